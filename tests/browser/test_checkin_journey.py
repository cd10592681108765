"""The morning check-in on a phone: one tap from the home page, and refusals that are
announced next to their fields, light and dark."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import CheckIn
from diary.vocabulary import last_night
from tests.factories import UserFactory
from tests.sitepages import session_cookie

from .conftest import open_page
from .test_accessibility import WCAG_21_AA, axe, describe

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def persons_last_night(person):
    """Last night in the person's own zone, which can be a day ahead of the server's."""
    return last_night(timezone.localdate(timezone=ZoneInfo(person.profile.time_zone)))


def assert_no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_390["viewport"]["width"], f"{page.url} is {width} px wide"


@pytest.fixture(params=["light", "dark"])
def phone(request, browser, live_server, db):
    options = {**PHONE_390, "color_scheme": request.param}
    context, page, watch = open_page(browser, live_server, options)
    person = UserFactory(username="sleeper")
    context.add_cookies([session_cookie(person, live_server.url)])
    yield page, person
    context.close()
    watch.check()


def test_one_tap_on_the_home_page_checks_in_for_last_night(phone):
    page, person = phone
    page.goto("/")

    page.get_by_role("button", name="No cramps, nothing special").tap()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".messages")).to_contain_text("Check-in saved for the night of")
    expect(page.locator("#checkin-heading").locator("..")).to_contain_text(
        "1 night checked in a row"
    )
    assert_no_sideways_scroll(page)
    checkin = CheckIn.objects.get(user=person)
    assert checkin.night == persons_last_night(person)
    assert checkin.unlogged_cramps == 0


def test_refused_check_in_values_are_announced_next_to_their_fields(phone):
    page, person = phone
    page.goto(f"/diary/checkin/{persons_last_night(person)}/")

    page.get_by_label("Other cramps that night, not logged one by one").fill("51")
    page.get_by_role("button", name="Save check-in").tap()

    field = page.get_by_label("Other cramps that night, not logged one by one")
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = field.get_attribute("aria-describedby").split()
    messages = " ".join(page.locator(f"#{id_}").inner_text() for id_ in described_by)
    assert "At most 50" in messages
    assert not CheckIn.objects.filter(user=person).exists()
    assert_no_sideways_scroll(page)
    violations = axe.run(page, options=WCAG_21_AA).response["violations"]
    assert not violations, "\n".join(describe(page.url, violations))


def test_the_insights_page_passes_axe_with_its_chart_and_tables(phone):
    page, person = phone
    last = persons_last_night(person)
    CheckIn.objects.bulk_create(
        [
            CheckIn(user=person, night=last - timedelta(days=n), factors=["alcohol"])
            for n in range(0, 84, 2)
        ]
    )
    page.goto("/diary/insights/")

    expect(page.get_by_role("heading", level=1)).to_have_text("What your own nights say")
    expect(page.get_by_role("img", name=re.compile("Cramps per week"))).to_be_visible()
    assert_no_sideways_scroll(page)
    violations = axe.run(page, options=WCAG_21_AA).response["violations"]
    assert not violations, "\n".join(describe(page.url, violations))
