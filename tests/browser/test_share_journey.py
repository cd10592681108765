"""Sharing a report in chromium: make a link, open it signed out, revoke it."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import ShareLink
from tests.factories import UserFactory
from tests.reportdiary import three_months
from tests.sitepages import build_site, session_cookie

from .conftest import PHONE, open_page
from .test_accessibility import WCAG_21_AA, describe

pytestmark = pytest.mark.browser


def test_a_link_made_for_a_doctor_opens_signed_out_until_it_is_revoked(browser, live_server, page):
    owner = UserFactory(username="ana")
    build_site(owner)
    today = timezone.localdate()
    page.context.add_cookies([session_cookie(owner, live_server.url)])

    page.goto(f"/diary/report/?start={today - timedelta(days=30)}&end={today}")
    page.get_by_role("link", name="Share with a link").click()
    expect(page.get_by_label("From")).to_have_value(f"{today - timedelta(days=30)}")
    page.get_by_role("radio", name="1 day").check()
    page.get_by_label("Your name, as the link should show it").fill("Ana Ruiz")
    page.get_by_role("button", name="Make the link").click()
    link = page.get_by_label("Copy it now: it is shown only this once.").input_value()
    assert re.fullmatch(rf"{live_server.url}/share/[A-Za-z0-9_-]{{43}}/", link)
    violations = Axe().run(page, options=WCAG_21_AA).response["violations"]
    assert not violations, "\n".join(describe(page.url, violations))

    context, doctor, watch = open_page(browser, live_server, PHONE)
    try:
        doctor.goto(link)
        expect(doctor.get_by_text("Shared by Ana Ruiz from their cramplog diary")).to_be_visible()
        expect(doctor.get_by_role("heading", level=1)).to_have_text("Foot cramp diary of Ana Ruiz")
        expect(doctor.get_by_role("link")).to_have_count(1)  # the skip link, to the report
        expect(doctor.get_by_role("navigation")).to_have_count(0)

        page.reload()
        expect(page.get_by_role("cell", name="1 time, last", exact=False)).to_be_visible()
        start = today - timedelta(days=30)
        page.get_by_role("button", name=f"Revoke the link for {start.day} {start:%b %Y}").click()
        expect(page.get_by_text("The link is revoked")).to_be_visible()

        response = doctor.goto(link)
        assert response.status == 404
        expect(doctor.get_by_role("heading", level=1)).to_have_text("This link does not work")
    finally:
        context.close()
    # Chromium reports the 404 status itself on the console; nothing else may appear.
    watch.problems = [p for p in watch.problems if "404" not in p]
    watch.check()


PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_shared_report_reads_on_a_phone_in_light_and_dark(browser, live_server, db, scheme):
    owner = UserFactory(username="ines")
    last_day = timezone.localdate() - timedelta(days=1)
    first_day = three_months(owner, last_day)
    _link, token = ShareLink.objects.issue(
        user=owner, start=first_day, end=last_day, expires_in_days=7, name="Ines Moreau"
    )
    context, doctor, watch = open_page(browser, live_server, {**PHONE_390, "color_scheme": scheme})
    problems = []
    try:
        for url, heading in [
            (f"/share/{token}/", "Foot cramp diary of Ines Moreau"),
            (f"/share/{'A' * len(token)}/", "This link does not work"),
        ]:
            doctor.goto(url)
            expect(doctor.get_by_role("heading", level=1)).to_have_text(heading)
            # The page itself never scrolls sideways; the table of cramps scrolls in its box.
            assert doctor.evaluate("document.scrollingElement.scrollWidth") == 390
            seen = len(watch.problems)
            problems += describe(url, Axe().run(doctor, options=WCAG_21_AA).response["violations"])
            del watch.problems[seen:]  # axe's probing sets inline styles, which the CSP reports
    finally:
        context.close()
    assert not problems, f"axe found violations ({scheme}):\n" + "\n".join(problems)
    watch.problems = [p for p in watch.problems if "404" not in p]
    watch.check()
