"""What the person's own nights say: cramps per week, factors, relief; and cramp-free nights
on the month and year pages and in the report, from check-ins only."""

import csv
import io
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from diary.models import CheckIn, Episode

from .factories import EpisodeFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
# 08:00 on 1 April 2026: last night is the night of 31 March.
NOW = datetime(2026, 4, 1, 8, 0, tzinfo=BERLIN)
LAST = date(2026, 3, 31)
CSV_COLUMNS = [
    "factor",
    "nights_with",
    "cramp_nights_with",
    "nights_without",
    "cramp_nights_without",
    "ratio",
    "ci_low",
    "ci_high",
    "verdict",
]


@pytest.fixture(autouse=True)
def now(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)


def at(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def cramp(user, night, **fields):
    """A cramp at 03:00 the morning after the night's date: it belongs to that night."""
    return EpisodeFactory(user=user, started_at=at(night + timedelta(days=1), 3), **fields)


@pytest.fixture
def planted(owner):
    """60 checked nights up to last night: after alcohol (every third night) 18 of 20 had a
    cramp, without it 8 of 40; stretching on 10 nights, unrelated to cramps."""
    cramp_nights = 0
    for n in range(60):
        night = LAST - timedelta(days=n)
        alcohol = n % 3 == 0
        factors = ["alcohol"] * alcohol + ["stretched"] * (n % 6 == 1)
        had_cramp = (alcohol and n < 54) or (not alcohol and n % 5 == 1)
        cramp_nights += had_cramp
        CheckIn.objects.create(user=owner, night=night, factors=factors)
        if had_cramp:
            cramp(owner, night)
    assert cramp_nights == 26


def csv_rows(response):
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_factor_table_finds_the_planted_link_and_says_what_it_is_not(owner_client, planted):
    response = owner_client.get("/diary/insights/")

    links = {link.factor: link for link in response.context["links"]}
    alcohol = links["alcohol"]
    assert (alcohol.nights_with, alcohol.cramp_nights_with) == (20, 18)
    assert (alcohol.nights_without, alcohol.cramp_nights_without) == (40, 8)
    assert alcohol.ratio == pytest.approx(4.5)
    assert alcohol.verdict == "more"
    assert links["stretched"].verdict == "unclear"
    assert links["cold"].verdict == "too_few"
    html = response.content.decode()
    assert "a link is not proof of a cause" in html
    assert "false discovery rate at 5%" in html
    assert "Benjamini–Hochberg" in html
    assert '<span class="small verdict verdict-more">More cramp nights</span>' in html


def test_the_factor_table_as_csv_has_the_contracted_columns_and_blank_estimates_when_undefined(
    owner_client, planted
):
    response = owner_client.get("/diary/insights.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    first_line = response.content.decode("utf-8-sig").splitlines()[0]
    assert first_line.split(",") == CSV_COLUMNS
    rows = {row["factor"]: row for row in csv_rows(response)}
    assert len(rows) == 11
    assert rows["alcohol"] == {
        "factor": "alcohol",
        "nights_with": "20",
        "cramp_nights_with": "18",
        "nights_without": "40",
        "cramp_nights_without": "8",
        "ratio": "4.500",
        "ci_low": rows["alcohol"]["ci_low"],
        "ci_high": rows["alcohol"]["ci_high"],
        "verdict": "more",
    }
    assert 1 < float(rows["alcohol"]["ci_low"]) < 4.5 < float(rows["alcohol"]["ci_high"])
    assert (rows["cold"]["ratio"], rows["cold"]["ci_low"], rows["cold"]["verdict"]) == (
        "",
        "",
        "too_few",
    )


def test_nights_with_neither_a_check_in_nor_a_cramp_are_left_out_of_the_weeks(owner, owner_client):
    # The last week: 2 checked nights without cramps, 1 night with a cramp and no check-in,
    # and 4 unknown nights.
    CheckIn.objects.create(user=owner, night=LAST, sleep_disturbance=2)
    CheckIn.objects.create(user=owner, night=LAST - timedelta(days=1), sleep_disturbance=0)
    cramp(owner, LAST - timedelta(days=2))
    cramp(owner, LAST - timedelta(days=2))

    response = owner_client.get("/diary/insights/")

    week = response.context["weeks"][-1]
    assert (week.first, week.last) == (LAST - timedelta(days=6), LAST)
    assert (week.summary.known, week.summary.checked, week.summary.cramps) == (3, 2, 2)
    assert week.summary.per_week == pytest.approx(4.7)
    assert week.summary.mean_disturbance == 1.0
    assert response.context["recent"].share.of == 3
    html = response.content.decode()
    assert "<svg" in html and "Cramps per week on known nights" in html
    assert "not enough weeks yet" in html


def test_the_trend_line_is_drawn_and_described_when_there_are_enough_weeks(owner, owner_client):
    for n in range(84):
        night = LAST - timedelta(days=n)
        CheckIn.objects.create(user=owner, night=night)
        if n % 7 < 4 - n // 28:  # fewer cramp nights a week in the older weeks
            cramp(owner, night)

    response = owner_client.get("/diary/insights/")

    trend = response.context["trend"]
    assert trend.weeks == 12 and trend.direction == "rising"
    html = response.content.decode()
    assert 'class="trend"' in html
    assert "rising" in html and "95% interval" in html


def test_what_helped_is_ranked_by_how_often_it_helped_with_the_counts(owner, owner_client):
    for helped in ("yes", "no", "no"):
        EpisodeFactory(user=owner, relief=["massage"], relief_helped=helped)
    for helped in ("yes", "yes", "partly", ""):
        EpisodeFactory(user=owner, relief=["stretch", "heat"], relief_helped=helped)
    EpisodeFactory(user=UserFactory(), relief=["walk"], relief_helped="yes")

    relief = owner_client.get("/diary/insights/").context["relief"]

    assert [(r["value"], r["tried"], r["yes"], r["partly"], r["no"]) for r in relief] == [
        ("stretch", 4, 2, 1, 0),
        ("heat", 4, 2, 1, 0),
        ("massage", 3, 1, 0, 2),
    ]


@pytest.mark.parametrize("nights_back", [3, 500])
@pytest.mark.parametrize(("url", "queries"), [("/diary/insights/", 8), ("/diary/insights.csv", 4)])
def test_the_insights_cost_the_same_queries_for_a_short_or_long_history(
    owner, owner_client, django_assert_num_queries, nights_back, url, queries
):
    CheckIn.objects.bulk_create(
        [
            CheckIn(user=owner, night=LAST - timedelta(days=n), factors=["alcohol"] * (n % 2))
            for n in range(nights_back)
        ]
    )
    batch = []
    for n in range(0, nights_back, 2):
        episode = Episode(
            user=owner,
            started_at=at(LAST - timedelta(days=n), 23),
            time_zone="Europe/Berlin",
            duration_seconds=60,
            foot="left",
            locations=["arch"],
            intensity=5,
            relief=["stretch"],
            relief_helped="yes",
        )
        episode.set_local_fields()
        batch.append(episode)
    Episode.objects.bulk_create(batch)

    owner_client.get(url)
    # A first view after a change, which tests the factors again.
    cache.clear()
    # The session and the person with their profile, and the factor tables counted in the
    # database; on the page also the last 12 weeks' cramps per night and check-ins, and the
    # relief tally.
    with django_assert_num_queries(queries):
        response = owner_client.get(url)

    assert response.status_code == 200


def test_a_stranger_sees_only_their_own_empty_insights(planted, stranger_client):
    response = stranger_client.get("/diary/insights/")
    rows = csv_rows(stranger_client.get("/diary/insights.csv"))

    assert response.context["checked"] == 0
    assert all(link.verdict == "too_few" for link in response.context["links"])
    assert {row["nights_with"] for row in rows} == {"0"}


def test_the_episode_page_mentions_a_factor_the_persons_own_data_links_to_cramps(
    planted, owner, owner_client
):
    after_alcohol = Episode.objects.filter(user=owner).order_by("-started_at").first()
    plain = cramp(owner, LAST - timedelta(days=1))

    linked = owner_client.get(after_alcohol.get_absolute_url())
    unlinked = owner_client.get(plain.get_absolute_url())

    assert [link.factor for link in linked.context["own_links"]] == ["alcohol"]
    html = linked.content.decode()
    assert "From your own check-ins" in html
    assert "For you, nights after a day with “alcohol” had a cramp 4.5 times as often" in html
    assert "This is your own data, not general advice" in html
    assert unlinked.context["own_links"] == []
    assert "From your own check-ins" not in unlinked.content.decode()


def test_a_cramp_logged_with_a_trigger_the_data_links_is_mentioned_without_a_check_in(
    planted, owner, owner_client
):
    night = LAST - timedelta(days=70)
    episode = cramp(owner, night, triggers=["alcohol"])

    response = owner_client.get(episode.get_absolute_url())

    assert [link.factor for link in response.context["own_links"]] == ["alcohol"]


# Month, year and report: cramp-free nights from check-ins only.


def test_the_month_counts_cramp_free_nights_only_from_check_ins_with_the_coverage(
    owner, owner_client
):
    for day in (1, 2, 3):
        CheckIn.objects.create(user=owner, night=date(2026, 3, day))
    CheckIn.objects.create(user=owner, night=date(2026, 3, 4), unlogged_cramps=1)
    cramp(owner, date(2026, 3, 2))  # the night of 2 March, checked in, had a cramp
    cramp(owner, date(2026, 3, 20))  # no check-in: known, not cramp-free
    CheckIn.objects.create(user=owner, night=date(2026, 2, 27))

    response = owner_client.get("/diary/2026/03/")

    totals = response.context["figures"]["totals"]
    nights = response.context["nights"]
    assert totals["cramp_free_nights"] == 2
    assert (nights.nights, nights.checked, nights.cramp_free) == (31, 4, 2)
    assert response.context["figures"]["changes"]["cramp_free_nights"].previous == 1
    html = response.content.decode()
    assert ">Cramp-free nights</th>" in html
    assert "March: checked in on 4 of 31 nights, 2 of them cramp-free." in html
    assert "February: checked in on 1 of 28 nights, 1 of them cramp-free." in html
    assert "Cramp-free days" not in html


def test_a_running_month_is_compared_with_as_many_first_days_of_the_month_before(
    owner, owner_client, monkeypatch
):
    monkeypatch.setattr(timezone, "now", lambda: at(date(2026, 3, 10), 9))
    for day in (2, 9, 20):
        EpisodeFactory(user=owner, started_at=at(date(2026, 2, day), 15))
    EpisodeFactory(user=owner, started_at=at(date(2026, 3, 3), 15))
    for day in (1, 5, 15):
        CheckIn.objects.create(user=owner, night=date(2026, 2, day))

    response = owner_client.get("/diary/2026/03/")

    changes = response.context["figures"]["changes"]
    assert (changes["episodes"].current, changes["episodes"].previous) == (1, 2)
    # Nine nights of March have ended (1 to 9 March), so nine of February are compared.
    assert changes["cramp_free_nights"].previous == 2
    html = response.content.decode()
    assert "March so far" in html and "February 1–10" in html
    assert "The same nights of February: checked in on 2 of 9 nights" in html


def test_an_empty_month_says_how_many_nights_were_checked_in(owner, owner_client):
    CheckIn.objects.create(user=owner, night=date(2025, 5, 3))

    html = owner_client.get("/diary/2025/05/").content.decode()

    assert "No cramps logged in May 2025: you checked in on 1 of 31 nights, 1 of them" in html


def test_the_year_and_the_report_show_cramp_free_nights_with_the_coverage(owner, owner_client):
    CheckIn.objects.create(user=owner, night=date(2026, 1, 5))
    CheckIn.objects.create(user=owner, night=date(2026, 3, 5), unlogged_cramps=2)
    CheckIn.objects.create(user=owner, night=date(2026, 3, 6))

    year = owner_client.get("/diary/2026/")
    report = owner_client.get("/diary/report/", {"start": "2026-03-01", "end": "2026-03-31"})

    months = year.context["months"]
    assert (months[0]["nights"].checked, months[0]["nights"].cramp_free) == (1, 1)
    assert (months[2]["nights"].checked, months[2]["nights"].cramp_free) == (2, 1)
    assert months[3]["nights"].nights == 0
    # 1 January to last night, 31 March: 90 nights.
    assert "you checked in on 3 of 90 nights, 2 of them cramp-free" in year.content.decode()
    html = report.content.decode()
    assert "the person checked in on 2 of 31 nights, 1 of them cramp-free" in html
    assert "<strong>7.0</strong> on known nights" in html


def test_seed_demo_checks_in_most_nights_with_a_planted_effect_the_insights_find(client, db):
    call_command("seed_demo", month_people=1, stdout=StringIO())
    person = CheckIn.objects.filter(user__username="demo-decade").first().user
    client.force_login(person, backend="diary.backends.ProfileModelBackend")

    links = {link.factor: link for link in client.get("/diary/insights/").context["links"]}

    checked = CheckIn.objects.filter(user=person).count()
    assert 0.9 * 3650 <= checked <= 3650
    assert links["alcohol"].verdict == "more"
    assert links["stretched"].verdict == "fewer"
    others = {f: link.verdict for f, link in links.items() if f not in ("alcohol", "stretched")}
    assert set(others.values()) <= {"unclear", "too_few"}
