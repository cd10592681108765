"""The report for the doctor as Chromium prints it: page counts, running headers, page numbers.

Three months with 52 cramps, a few with long notes (tests/reportdiary.py), as a person brings
them to a GP. A4 is what the issue measured; US Letter must fit as well. The PDF is read with
pypdf: its page count, and each page's text.
"""

from io import BytesIO

import pytest
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import UserFactory
from tests.reportdiary import three_months
from tests.sitepages import session_cookie

pytestmark = pytest.mark.browser


def printed(page, url, paper="A4"):
    page.goto(url)
    return [p.extract_text() for p in PdfReader(BytesIO(page.pdf(format=paper))).pages]


@pytest.fixture
def quarter(db, live_server, page):
    person = UserFactory(username="ines")
    last_day = timezone.localdate() - timezone.timedelta(days=1)
    first_day = three_months(person, last_day)
    page.context.add_cookies([session_cookie(person, live_server.url)])
    period = f"{first_day:%-d %b %Y} to {last_day:%-d %b %Y}"
    return {
        "url": f"/diary/report/?start={first_day}&end={last_day}&name=Ines+Moreau",
        "header": f"Foot cramp diary of Ines Moreau · {period}",
    }


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_three_months_of_cramps_print_on_two_pages_the_summary_alone_on_the_first(
    page, quarter, paper
):
    pages = printed(page, quarter["url"], paper)

    assert len(pages) == 2
    summary, cramps = pages
    assert "Likely causes across the period" in summary
    assert "Every cramp" not in summary
    assert "Every cramp, oldest first" in cramps
    # Every note is in the table, the five long ones cut to about 120 characters.
    assert cramps.count("Note:") == 16
    assert cramps.count("Stretching against the bed frame did nothing for the fir…") == 5


def test_every_printed_page_names_the_period_and_person_and_counts_the_pages(page, quarter):
    pages = printed(page, quarter["url"] + "&full_notes=on")

    assert len(pages) == 3
    for number, text in enumerate(pages, start=1):
        assert quarter["header"] in text
        assert f"page {number} of 3" in text
    after_table = "".join(pages[1:]).split("Notes in full", 1)[1]
    # Five long notes, each in full once, after the table.
    assert after_table.count("in new boots and drank less than usual") == 5


def test_the_printed_report_has_no_navigation_or_buttons(page, quarter):
    text = "\n".join(printed(page, quarter["url"]))

    for control in ("Change the report", "Share with a link", "Log out", "Diary", "Patterns"):
        assert control not in text
