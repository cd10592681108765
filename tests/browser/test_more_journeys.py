"""Longer journeys in chromium: two months of cramps to a printed report and a CSV moved to
another account, and a change to a tip drafted by an editor, approved by a reviewer and read by
a person; restoring an old version makes a draft too."""

import csv
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django.utils.dateformat import format as date_format
from playwright.sync_api import expect

from diary.models import Episode
from knowledge.models import Tip
from tests.factories import PASSWORD, UserFactory
from tests.sitepages import build_site, make_editor, make_reviewer

from .conftest import DESKTOP, PHONE, open_page

pytestmark = pytest.mark.browser


def log_in(page, username, path="/accounts/login/"):
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_cramp(page, when, duration, foot, location, pain):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log a cramp").click()
    page.get_by_label("When it began").fill(f"{when:%Y-%m-%dT%H:%M}")
    page.get_by_label("How long it lasted").fill(duration)
    page.get_by_role("radio", name=foot, exact=True).check()
    page.locator(".foot-locations").get_by_role("checkbox", name=location).check()
    page.get_by_role("radio", name=re.compile(rf"^{pain}\b")).check()
    page.get_by_role("button", name="Save cramp").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{foot} foot cramp")


def test_two_months_of_cramps_become_a_report_and_a_csv_for_another_account(page, tmp_path):
    UserFactory(username="ines")
    UserFactory(username="ines-new")
    # In the profile's time zone, as the form reads it; two hours ago sets "this month".
    now = timezone.now().astimezone(ZoneInfo("Europe/Berlin")) - timedelta(hours=2)
    this_month = now.date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    cramps = [
        (now, "45 s", "Left", "Toes", 4),
        (
            now.replace(year=last_month.year, month=last_month.month, day=10, hour=23),
            "2 min",
            "Right",
            "Arch",
            7,
        ),
        (
            now.replace(year=last_month.year, month=last_month.month, day=21, hour=6),
            "30 s",
            "Left",
            "Calf",
            3,
        ),
    ]

    log_in(page, "ines")
    for cramp in cramps:
        log_cramp(page, *cramp)
    assert Episode.objects.filter(user__username="ines").count() == 3

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patterns").click()
    month_name = date_format(this_month, "F Y")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Your cramps in {month_name}")
    expect(
        page.get_by_role("link", name=re.compile(r": 1 cramp, worst pain 4 out of 10"))
    ).to_be_visible()

    page.get_by_role("link", name=f"← {date_format(last_month, 'M Y')}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Your cramps in {date_format(last_month, 'F Y')}"
    )
    totals = page.get_by_role("table", name=re.compile("totals"))
    expect(totals.get_by_role("row", name=re.compile(r"^Cramps "))).to_contain_text("2")
    expect(page.locator(".calendar .count")).to_have_text(["1", "1"])

    page.get_by_role("link", name=f"All of {last_month.year}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{last_month.year} at a glance")
    in_that_year = 3 if last_month.year == this_month.year else 2
    expect(page.get_by_text(f"{in_that_year} cramps logged in {last_month.year}.")).to_be_visible()

    page.go_back()
    page.get_by_role("link", name="Report for the doctor").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Foot cramp diary")
    page.emulate_media(media="print")
    page.screenshot(path=tmp_path / "report-print.png", full_page=True)
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("link", name="Change the report")).to_be_hidden()
    expect(page.get_by_role("link", name="Share with a link")).to_be_hidden()
    expect(page.get_by_role("heading", name="Every cramp")).to_be_visible()
    page.emulate_media(media="screen")
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Diary").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    exported = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(exported)
    with exported.open(newline="", encoding="utf-8-sig") as rows:
        assert len(list(csv.DictReader(rows))) == 3

    page.get_by_role("button", name="Log out").click()
    log_in(page, "ines-new")
    page.goto("/diary/import/")
    page.get_by_label(re.compile("file", re.IGNORECASE)).set_input_files(exported)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("3 cramps will be added.")).to_be_visible()
    expect(
        page.get_by_role("table", name=re.compile("cramps to be added")).get_by_role("row")
    ).to_have_count(4)
    assert not Episode.objects.filter(user__username="ines-new").exists()
    page.get_by_role("button", name="Import 3 cramps").click()

    expect(page).to_have_url(re.compile(r"/diary/"))
    imported = Episode.objects.filter(user__username="ines-new")
    original = Episode.objects.filter(user__username="ines")
    fields = ["started_at", "duration_seconds", "foot", "locations", "intensity"]
    assert sorted(imported.values_list(*fields)) == sorted(original.values_list(*fields))


def test_an_editor_drafts_a_tip_change_a_reviewer_approves_it_and_a_person_sees_it(
    browser, live_server, page, db
):
    build_site(UserFactory(username="reader"))
    make_editor("eddie")
    make_reviewer("rita")
    tip = Tip.objects.filter(published=True).order_by("slug").first()
    new_text = "Editors' test: drink a glass of water before bed."

    log_in(page, "eddie", path="/admin/login/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("link", name="Tips").click()
    page.get_by_role("link", name=tip.title, exact=True).click()
    page.get_by_label("Body").fill(new_text)
    page.get_by_label("Note for the reviewer").fill("Shorter and clearer.")
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("saved as a draft and waits for review")
    expect(page.get_by_role("heading", name="Review a draft")).to_be_visible()
    expect(page.locator(".review-changes ins")).to_contain_text(new_text)
    page.get_by_role("link", name="Preview").click()
    expect(page.get_by_role("main")).to_contain_text(new_text)
    expect(page.get_by_role("main")).to_contain_text("people do not see this version")

    reader, reader_page, reader_watch = open_page(browser, live_server, PHONE)
    reader_page.goto(f"/knowledge/tips/{tip.slug}/")
    expect(reader_page.get_by_role("main")).not_to_contain_text(new_text)

    reviewer, reviewer_page, reviewer_watch = open_page(browser, live_server, DESKTOP)
    log_in(reviewer_page, "rita", path="/admin/login/")
    reviewer_page.get_by_role("link", name="Drafts").first.click()
    expect(reviewer_page.get_by_role("heading", name="Drafts waiting for review")).to_be_visible()
    reviewer_page.get_by_role("link", name=f"Change to tip “{tip.title}”").click()
    expect(reviewer_page.get_by_text("Shorter and clearer.")).to_be_visible()
    reviewer_page.get_by_label("Comment").fill("Clear and correct.")
    reviewer_page.get_by_role("button", name="Approve and publish").click()
    expect(reviewer_page.locator(".messagelist")).to_contain_text("approved and published")

    reader_page.reload()
    expect(reader_page.get_by_role("main")).to_contain_text(new_text)
    history = tip.history.latest("history_date")
    assert history.history_user.username == "rita"
    assert history.history_change_reason.endswith("by eddie")
    for context, watch in ((reader, reader_watch), (reviewer, reviewer_watch)):
        context.close()
        watch.check()


def test_restoring_an_earlier_version_makes_a_draft_for_review(page, db):
    build_site(UserFactory(username="reader"))
    make_editor("eddie")
    tip = Tip.objects.filter(published=True).order_by("slug").first()
    tip.body = "A mistaken edit."
    tip.save()
    versions = tip.history.count()
    original_first_line = tip.history.earliest("history_date").body.strip().splitlines()[0]

    log_in(page, "eddie", path="/admin/login/")
    page.goto(f"/admin/knowledge/tip/{tip.pk}/change/")
    page.get_by_role("link", name="History").click()
    created = page.locator("#change-history tbody tr").filter(has_text="Created")
    created.get_by_role("link").first.click()
    expect(page.get_by_label("Body")).to_have_value(re.compile(re.escape(original_first_line)))
    page.get_by_role("button", name="Restore as a draft").click()

    expect(page.locator(".messagelist")).to_contain_text("A draft restoring this version is saved")
    expect(page.get_by_role("heading", name="Review a draft")).to_be_visible()
    page.goto(f"/knowledge/tips/{tip.slug}/")
    expect(page.get_by_role("main")).to_contain_text("A mistaken edit.")
    assert tip.history.count() == versions
