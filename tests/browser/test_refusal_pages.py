"""The pages that refuse something (too many attempts, a save from a stale tab) pass axe for
WCAG 2.1 AA on a phone, light and dark, and say what happened."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import EpisodeFactory, UserFactory
from tests.sitepages import session_cookie

from .conftest import PHONE, open_page
from .test_accessibility import WCAG_21_AA, axe, describe

pytestmark = pytest.mark.browser


@pytest.fixture(params=["light", "dark"])
def phone(request, browser, live_server):
    context, page, watch = open_page(browser, live_server, {**PHONE, "color_scheme": request.param})
    yield context, page, watch
    context.close()
    # Chromium reports the 429 status itself on the console; nothing else may appear.
    watch.problems = [problem for problem in watch.problems if "status of 429" not in problem]
    watch.check()


def violations(page):
    return describe(page.url, axe.run(page, options=WCAG_21_AA).response["violations"])


def test_the_too_many_attempts_page_is_accessible(phone, db, settings):
    settings.CRAMPLOG_LOGIN_FAILURES_PER_HOUR = 1
    _, page, _ = phone
    page.goto("/accounts/login/")
    for _ in range(2):
        page.get_by_label("Username").fill("nobody")
        page.get_by_label("Password").fill("wrong password")
        page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts from your network")
    assert not violations(page)


def test_the_two_tabs_page_is_accessible_and_shows_the_saved_value(phone, db, live_server):
    context, page, _ = phone
    owner = UserFactory(username="tabs")
    episode = EpisodeFactory(user=owner, notes="")
    context.add_cookies([session_cookie(owner, live_server.url)])
    other_tab = context.new_page()
    page.goto(f"/diary/{episode.pk}/edit/")
    other_tab.goto(f"/diary/{episode.pk}/edit/")
    other_tab.get_by_label("Notes").fill("from the other tab")
    other_tab.get_by_role("button", name="Save changes").click()
    expect(other_tab).to_have_url(re.compile(rf"/diary/{episode.pk}/$"))

    page.get_by_label("Notes").fill("from this tab")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("alert").first).to_contain_text("changed in another tab")
    expect(page.locator("#id_notes_error")).to_contain_text("“from the other tab”")
    assert not violations(page)
