"""The report for the doctor: a hand-made diary, its summary and table checked by hand."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from diary import patterns
from diary.models import CheckIn
from diary.templatetags.diary_tags import day_runs

from .factories import EpisodeFactory

BERLIN = ZoneInfo("Europe/Berlin")
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
LONG_NOTE = "Woke with the calf locked hard. " * 8  # 256 characters


def at(day, hour):
    return datetime(2026, 3, day, hour, tzinfo=BERLIN)


@pytest.fixture
def diary(knowledge, owner):
    """Four cramps in March 2026 and one in April, with every value chosen by hand."""
    profile = owner.profile
    profile.fluid_unit = "glass"
    profile.birth_year = 1956
    profile.conditions = ["diabetes"]
    profile.medications = ["statin"]
    profile.save()

    def cramp(**fields):
        return EpisodeFactory(**{"user": owner, "fluid_ml": None, "activity": "sleeping", **fields})

    cramp(
        started_at=at(2, 2),
        duration_seconds=1200,
        intensity=9,
        foot="left",
        locations=["calf"],
        fluid_ml=1000,
        relief=["stretch"],
        relief_helped="yes",
        notes=LONG_NOTE,
    )
    cramp(
        started_at=at(3, 3),
        duration_seconds=60,
        intensity=3,
        foot="right",
        locations=["arch", "toes"],
        triggers=["cold"],
        symptoms=["numbness_tingling"],
        relief=["massage"],
        relief_helped="partly",
        notes="Cold bedroom.",
    )
    cramp(
        activity="walking",
        started_at=at(10, 15),
        duration_seconds=120,
        intensity=5,
        foot="both",
        locations=["heel"],
        fluid_ml=2000,
        triggers=["long_standing"],
    )
    cramp(started_at=at(20, 23), duration_seconds=30, intensity=3, locations=["arch"])
    cramp(started_at=datetime(2026, 4, 2, 3, tzinfo=BERLIN), notes="April")
    return owner


@pytest.fixture
def checked_in(diary):
    """Check-ins for four nights of March: the cramp of the 2nd's small hours (night of the
    1st), two cramps not logged one by one (the 5th), and two quiet nights (the 6th and 7th)."""
    for day, unlogged, disturbance in [(1, 0, 6), (5, 2, 4), (6, 0, None), (7, 0, None)]:
        CheckIn.objects.create(
            user=diary,
            night=date(2026, 3, day),
            unlogged_cramps=unlogged,
            sleep_disturbance=disturbance,
        )
    return diary


def test_the_summary_of_a_hand_made_month_is_counted_by_hand(diary, owner_client):
    response = owner_client.get("/diary/report/", MARCH)

    assert response.status_code == 200
    summary = response.context["summary"]
    totals = summary["totals"]
    assert (totals["episodes"], totals["cramp_days"]) == (4, 4)
    # Lengths 30 s, 60 s, 120 s, 1200 s: the median is halfway between 60 and 120.
    assert (totals["median_duration"], totals["longest_duration"]) == (90, 1200)
    assert (totals["worst_intensity"], totals["mean_intensity"]) == (9, 5.0)
    # Weeks of nights, noon to noon, ending with the night of 31 March: from 4 March. The
    # cramps of the 2nd and 3rd at 02:00 and 03:00 belong to the nights of the 1st and 2nd.
    assert [week["first"].day for week in summary["weeks"]] == [4, 11, 18, 25]
    assert [week["cramps"] for week in summary["weeks"]] == [1, 0, 1, 0]
    assert summary["weeks_per_bar"] == 1
    before = response.context["before_weeks"]
    assert (before.nights, before.cramps) == (3, 2)
    assert (summary["hours"]["night"], summary["hours"]["day"]) == (3, 1)
    assert summary["feet"] == [("left", "Left", 2), ("right", "Right", 1), ("both", "Both", 1)]
    assert summary["hydration"]["median"] == 1500


def test_the_summary_reads_in_the_order_a_doctor_needs_it(diary, owner_client):
    html = owner_client.get("/diary/report/", {**MARCH, "name": "Ana Ruiz"}).content.decode()

    headings = [
        "Foot cramp diary of Ana Ruiz",
        "Cramps per week",
        "When",
        "Where",
        "Doing, beforehand, also noticed",
        "What was tried, and whether it helped",
        "Warning signs raised in the period",
        "About the person, as they gave it",
        "Likely causes across the period",
        "Every cramp, oldest first",
    ]
    positions = [html.index(f">{heading}") for heading in headings]
    assert positions == sorted(positions)
    assert "<strong>4</strong> logged, on 4 days</dd>" in html
    # Without check-ins, only the nights with a logged cramp are known.
    assert (
        "<strong>4</strong>; without check-ins, nights without a logged cramp are unknown" in html
    )
    assert "checked in on" not in html
    assert "median <strong>1 min 30 s</strong>, longest 20 min" in html
    assert "worst <strong>9</strong>, mean 5.0" in html


def test_check_ins_give_the_coverage_cramps_per_week_and_sleep_on_page_one(
    checked_in, owner_client
):
    response = owner_client.get("/diary/report/", MARCH)

    nights = response.context["nights"]
    # Known: the four checked nights and the nights of the 2nd, 10th and 20th with a logged
    # cramp. Cramps on them: four logged and two added at a check-in.
    assert (nights.nights, nights.checked, nights.known, nights.cramp_free) == (31, 4, 7, 2)
    assert (nights.cramp_nights, nights.cramps, nights.per_week) == (5, 6, 6.0)
    assert nights.mean_disturbance == 5.0
    assert [week["cramps"] for week in response.context["summary"]["weeks"]] == [3, 0, 1, 0]
    html = response.content.decode()
    assert "· the person checked in on 4 of 31 nights, 2 of them cramp-free</p>" in html
    assert "<strong>4</strong> logged, on 4 days; 2 more added at check-ins</dd>" in html
    # 5 of 7 with Wilson's interval, 35.9% to 91.8%.
    assert "<strong>5</strong> of 7 known nights (71%, 95% interval 36% to 92%)" in html
    assert "<dd><strong>6.0</strong> on known nights</dd>" in html
    assert "mean <strong>5.0</strong>, from 2 check-ins" in html


def test_a_shared_report_counts_the_same_nights(checked_in, owner_client):
    made = owner_client.post(
        "/diary/shares/", {**MARCH, "expires_in_days": "1"}, follow=True
    ).content.decode()
    token = re.search(r"/share/([A-Za-z0-9_-]+)/", made)[1]

    html = Client().get(f"/share/{token}/").content.decode()

    assert "checked in on 4 of 31 nights, 2 of them cramp-free" in html
    assert "<strong>5</strong> of 7 known nights" in html


def test_every_red_flag_of_the_period_is_listed_with_the_dates_that_raised_it(diary, owner_client):
    response = owner_client.get("/diary/report/", MARCH)

    flags = {flag.slug: days for flag, days, _ in response.context["advice"].dated_red_flags}
    assert flags["long-cramp"] == [date(2026, 3, 2)]
    assert flags["numbness-tingling"] == [date(2026, 3, 3)]
    html = response.content.decode()
    assert "<strong>A cramp that lasts longer than about 15 minutes</strong>: on 2 Mar." in html
    assert "<strong>Cramps with numbness or tingling</strong>: on 3 Mar." in html


def test_the_likely_causes_are_ranked_and_labelled_as_general_information(diary, owner_client):
    response = owner_client.get("/diary/report/", MARCH)

    causes = response.context["advice"].causes
    assert causes
    counts = [count for _cause, count, _reasons in causes]
    assert counts == sorted(counts, reverse=True)
    html = response.content.decode()
    assert f"<strong>{causes[0][0].title}</strong>: fits {counts[0]} of 4 cramps" in html
    assert "not a diagnosis. A link is not proof of a cause." in html


def test_the_profile_facts_and_fluids_are_in_the_persons_own_words_and_unit(diary, owner_client):
    html = owner_client.get("/diary/report/", MARCH).content.decode()

    assert "<dt>Conditions</dt><dd>Diabetes</dd>" in html
    assert "<dt>Regular medicines</dt><dd>A statin (for cholesterol)</dd>" in html
    assert "<dt>Age</dt><dd>70 (born 1956)</dd>" in html
    assert "<dt>Pregnant</dt><dd>no</dd>" in html
    # 1,000 and 2,000 ml: a median of 6 glasses, the low line of 1,500 ml as 6 glasses.
    assert "median 6 glasses; under 6 glasses before 1 of 2" in html
    assert " ml" not in html


def test_the_table_cuts_long_notes_unless_the_full_notes_are_asked_for(diary, owner_client):
    cut = owner_client.get("/diary/report/", MARCH).content.decode()
    full = owner_client.get("/diary/report/", {**MARCH, "full_notes": "on"}).content.decode()

    shortened = LONG_NOTE[:119] + "…"
    assert f"Note: {shortened}</td>" in cut
    assert LONG_NOTE not in cut
    assert "Notes in full" not in cut
    assert f"Note: {shortened}</td>" in full
    assert f'<dd class="notes">{LONG_NOTE}</dd>' in full
    # Short notes are whole in the table and not repeated after it.
    assert full.count("Cold bedroom.") == 1
    assert "April" not in full


def test_the_report_links_nowhere_inside_the_site(diary, owner_client):
    html = owner_client.get("/diary/report/", MARCH).content.decode()
    article = html[html.index("<article") : html.index("</article>")]

    assert "<a " not in article
    assert "<form" not in article


def test_a_long_report_draws_at_most_26_bars_of_cramps_per_week(owner, owner_client):
    for week in range(0, 104, 2):  # a cramp every other week for two years
        EpisodeFactory(
            user=owner, started_at=datetime(2024, 3, 1, 14, tzinfo=BERLIN) + timedelta(weeks=week)
        )

    # 728 nights: 104 weeks, in 26 bars of four.
    response = owner_client.get("/diary/report/", {"start": "2024-03-01", "end": "2026-02-26"})

    assert response.status_code == 200
    summary = response.context["summary"]
    assert summary["weeks_per_bar"] == 4
    assert len(summary["weeks"]) == len(summary["week_bars"]["bars"]) == 26
    # Four weeks of nights with two cramps: half a cramp a week.
    assert {run["per_week"] for run in summary["weeks"]} == {0.5}
    assert response.context["before_weeks"] is None
    assert "Each bar is 4 weeks of nights (noon to noon)" in response.content.decode()


def test_the_report_takes_as_many_queries_for_forty_cramps_as_for_four(
    checked_in, owner, owner_client
):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get("/diary/report/", MARCH).status_code == 200
        return len(captured)

    queries()  # the first reads the matching rules, which the process then keeps
    few = queries()
    for day in range(1, 29):
        EpisodeFactory(user=owner, started_at=at(day, 14))
        CheckIn.objects.get_or_create(user=owner, night=date(2026, 3, day))

    assert queries() == few


def test_dates_are_written_as_runs_of_days():
    days = [date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 11), date(2026, 3, 12)]
    days += [date(2026, 3, 31), date(2026, 4, 1)]

    assert day_runs(days) == "3 Mar, 10–12 Mar, 31 Mar–1 Apr"


def test_the_month_page_gives_drinks_in_the_persons_unit(diary, owner_client):
    html = owner_client.get("/diary/2026/03/").content.decode()

    assert "The median was <strong>6 glasses</strong>" in html
    assert "less than 6 glasses in the 24 hours before" in html
    assert "Drank (ml)" not in html


def test_the_weekly_chart_names_the_month_only_where_it_changes():
    firsts = [date(2026, 9, 22), date(2026, 9, 29), date(2026, 10, 6), date(2026, 10, 13)]
    labels = patterns.week_labels([{"first": day} for day in firsts])

    assert labels == ["22 Sep", "29", "6 Oct", "13"]
    # Beyond 13 bars, every other one is labelled.
    many = [{"first": date(2026, 1, 1) + timedelta(weeks=n)} for n in range(14)]
    assert patterns.week_labels(many)[:5] == ["1 Jan", "", "15", "", "29"]
