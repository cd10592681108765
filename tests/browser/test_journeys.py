"""People's journeys through the diary, in Debian's chromium, clicking what they see."""

import os
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from diary.models import Episode
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def snapshot(page, name):
    """Save a screenshot to look at when CRAMPLOG_SCREENSHOT_DIR names a folder."""
    folder = os.environ.get("CRAMPLOG_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def tab_to(page, target, limit=120):
    """Press Tab until `target` has the keyboard focus, as someone without a mouse would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} could not be reached with the Tab key")


def test_a_new_person_signs_up_logs_a_cramp_on_a_phone_and_sees_causes_and_tips(phone_page):
    page = phone_page
    page.goto("/")
    page.get_by_role("link", name="Start your diary").click()

    page.get_by_label("Username").fill("maria")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create my diary").click()

    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    page.get_by_label("Time zone").select_option("Pacific/Auckland")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("Pacific/Auckland")
    snapshot(page, "phone-profile")

    page.get_by_role("link", name="cramplog").click()
    snapshot(page, "phone-home")
    page.get_by_text("Right", exact=True).click()
    page.get_by_role("button", name="Heel").click()

    expect(page).to_have_url(re.compile(r"/diary/\d+/logged/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logged: right foot, heel")
    logged_at = datetime.now(ZoneInfo("Pacific/Auckland"))
    nearby_minutes = {f"{logged_at + timedelta(minutes=step):%H:%M}" for step in (-1, 0, 1)}
    said = page.locator(".quick-logged").inner_text()
    assert any(f"At {minutes} on" in said for minutes in nearby_minutes), said
    assert "Pacific/Auckland time" in said
    expect(page.get_by_role("region", name="Relief now").get_by_role("link")).to_have_count(3)

    page.get_by_role("link", name="Add details").click()
    page.get_by_role("button", name="2 min").click()
    expect(page.get_by_label("How long it lasted")).to_have_value("2 min")
    region = page.locator(".foot-picker .foot-region[data-location=arch]")
    arch_box = page.locator(".foot-locations").get_by_role("checkbox", name="Arch")
    expect(arch_box).not_to_be_checked()
    region.click()
    expect(arch_box).to_be_checked()
    expect(region).to_have_attribute("aria-checked", "true")
    page.get_by_label("7 severe").check()
    page.get_by_label("How much you drank in the 24 hours before").fill("800")
    page.get_by_label("Heavy sweating").check()
    snapshot(page, "phone-edit")
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(r"/diary/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Right foot cramp")
    facts = page.locator(".episode-facts")
    expect(facts).to_contain_text("2 min")
    expect(facts).to_contain_text("arch, heel")
    expect(facts).to_contain_text("7 out of 10")
    causes = page.get_by_role("region", name="Likely causes")
    expect(causes.get_by_role("link", name="Dehydration")).to_be_visible()
    expect(causes).to_contain_text("You drank 800 ml in the 24 hours before")
    tips = page.get_by_role("region", name="What may help")
    expect(tips.get_by_role("listitem").first).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("general information, not a diagnosis")
    snapshot(page, "phone-episode")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Diary").click()
    expect(page).to_have_url(re.compile(r"/diary/$"))
    row = page.get_by_role("row").filter(has_text="Right: arch, heel")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2 min")
    expect(row).to_contain_text("7/10")
    snapshot(page, "phone-diary")

    episode = Episode.objects.get(user__username="maria")
    assert episode.foot == "right"
    assert sorted(episode.locations) == ["arch", "heel"]
    assert episode.duration_seconds == 120
    assert episode.intensity == 7
    assert episode.fluid_ml == 800
    assert episode.triggers == ["heavy_sweating"]
    assert episode.time_zone == "Pacific/Auckland"


def test_a_person_logs_a_cramp_with_the_keyboard_alone(page):
    UserFactory(username="kim")
    page.goto("/diary/new/")
    page.get_by_label("Username").fill("kim")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="Log a cramp")).to_be_visible()

    tab_to(page, page.get_by_label("How long it lasted"))
    page.keyboard.type("90s")
    tab_to(page, page.get_by_role("radio", name="Left", exact=True))
    page.keyboard.press("Space")
    drawing = page.get_by_role("group", name="Drawing of the foot: choose where it cramps")
    arch_region = drawing.get_by_role("checkbox", name="Arch")
    tab_to(page, arch_region)
    page.keyboard.press("Space")
    expect(arch_region).to_have_attribute("aria-checked", "true")
    snapshot(page, "desktop-keyboard-foot")
    expect(page.locator(".foot-locations").get_by_role("checkbox", name="Arch")).to_be_checked()
    # "Not given" is chosen until a pain is: the arrow keys go round to 0, then up to 6.
    tab_to(page, page.get_by_role("radio", name="Not given", exact=True))
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name="6", exact=True)).to_be_checked()
    snapshot(page, "desktop-keyboard-form")
    tab_to(page, page.get_by_role("button", name="Save cramp"))
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Left foot cramp")
    expect(page.locator(".episode-facts")).to_contain_text("1 min 30 s")
    episode = Episode.objects.get(user__username="kim")
    assert (episode.foot, episode.locations, episode.duration_seconds, episode.intensity) == (
        "left",
        ["arch"],
        90,
        6,
    )
