"""Month, year and report pages: figures checked against hand-computed fixtures."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import advice, patterns
from diary.models import Episode, PendingImport
from diary.vocabulary import Hours
from knowledge.models import MatchRule, RedFlag

from .factories import EpisodeFactory

BERLIN = ZoneInfo("Europe/Berlin")


def at(day, hour, minute=0, zone=BERLIN):
    return datetime(*day, hour, minute, tzinfo=zone)


def row(day, hour=3, duration=60, intensity=5, **fields):
    """An unsaved episode with its local date and hour given, as patterns reads them."""
    values = {
        "local_date": day,
        "local_hour": hour,
        "duration_seconds": duration,
        "intensity": intensity,
        "foot": "left",
        "locations": ["arch"],
        "activity": "",
        "triggers": [],
        "symptoms": [],
        "relief": [],
        "relief_helped": "",
        "fluid_ml": None,
    }
    values.update(fields)
    return Episode(**values)


def test_a_months_totals_are_counted_by_hand():
    rows = [
        row(date(2026, 3, 1), duration=30, intensity=4),
        row(date(2026, 3, 1), duration=90, intensity=6),
        row(date(2026, 3, 15), duration=600, intensity=8),
    ]

    totals = patterns.totals(rows)

    assert totals == {
        "episodes": 3,
        "cramp_days": 2,
        "median_duration": 90,
        "longest_duration": 600,
        "mean_intensity": 6.0,
        "worst_intensity": 8,
        "durations_given": 3,
        "pains_given": 3,
    }


@pytest.mark.parametrize(
    ("year", "month", "today", "expected"),
    [
        # Running: as many of last month's first days as this month has had.
        (2026, 3, date(2026, 3, 10), (date(2026, 2, 1), date(2026, 2, 10))),
        # Running into days last month did not have: all of it.
        (2026, 3, date(2026, 3, 30), (date(2026, 2, 1), date(2026, 2, 28))),
        # Over, or on its last day: the whole month before.
        (2026, 4, date(2026, 5, 2), (date(2026, 3, 1), date(2026, 3, 31))),
        (2026, 4, date(2026, 4, 30), (date(2026, 3, 1), date(2026, 3, 31))),
        (2026, 1, date(2026, 1, 1), (date(2025, 12, 1), date(2025, 12, 1))),
    ],
)
def test_a_month_is_compared_with_the_same_stretch_of_the_month_before(
    year, month, today, expected
):
    assert patterns.previous_stretch(year, month, today) == expected


def test_changes_are_given_in_words_and_numbers():
    current = {"episodes": 5, "median_duration": 150}
    previous = {"episodes": 8, "median_duration": 90}

    changes = patterns.compare(current, previous)

    assert changes["episodes"].words == "down 3"
    assert changes["median_duration"].words == "up 1 min"


def test_hours_blocks_night_and_weekdays():
    rows = [
        row(date(2026, 3, 2), hour=23),
        row(date(2026, 3, 2), hour=5),
        row(date(2026, 3, 4), 14),
    ]

    hours = patterns.hours(rows, Hours(22, 6))
    weekdays = dict(patterns.weekdays(rows))

    assert hours["night"] == 2 and hours["day"] == 1
    assert dict(hours["blocks"])["22–24"] == 1
    assert dict(hours["blocks"])["04–06"] == 1
    assert weekdays["Monday"] == 2 and weekdays["Wednesday"] == 1


def test_a_night_that_does_not_cross_midnight_counts_only_its_own_hours():
    rows = [row(date(2026, 3, 2), hour=hour) for hour in (23, 0, 4, 5)]

    hours = patterns.hours(rows, Hours(0, 5))

    assert (hours["night"], hours["day"]) == (2, 2)
    assert str(hours["window"]) == "00:00 to 05:00"


def test_the_figures_carry_their_charts_with_short_labels():
    rows = [row(date(2026, 3, 2), hour=23), row(date(2026, 3, 4), hour=14)]

    figures = patterns.figures(rows, Hours(22, 6))

    assert [bar["label"] for bar in figures["hour_bars"]["bars"]][:2] == ["00", "02"]
    counts = [bar["count"] for bar in figures["hour_bars"]["bars"]]
    assert (counts[7], counts[11], sum(counts)) == (1, 1, 2)
    assert [bar["label"] for bar in figures["weekday_bars"]["bars"]] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    ]


def test_hydration_gives_the_median_and_the_share_after_low_intake():
    rows = [row(date(2026, 3, d), fluid_ml=ml) for d, ml in [(1, 500), (2, 1000), (3, 2500)]]
    rows.append(row(date(2026, 3, 4)))

    hydration = patterns.hydration(rows)

    assert hydration["median"] == 1000
    assert hydration["low"] == 2 and hydration["low_share"] == 67
    assert hydration["not_logged"] == 1


def test_what_helped_counts_tries_and_outcomes():
    rows = [
        row(date(2026, 3, 1), relief=["stretch", "heat"], relief_helped="yes"),
        row(date(2026, 3, 2), relief=["stretch"], relief_helped="no"),
    ]

    relief = {item["value"]: item for item in patterns.relief(rows)}

    assert relief["stretch"]["tried"] == 2 and relief["stretch"]["yes"] == 1
    assert relief["stretch"]["no"] == 1
    assert relief["heat"]["tried"] == 1


def test_relief_is_tallied_from_grouped_rows_and_ranked_by_how_often_it_helped():
    rows = [
        (["massage"], "yes", 3),
        (["massage"], "no", 4),
        (["stretch", "heat"], "yes", 3),
        (["stretch"], "partly", 2),
        (["heat"], "", 5),
    ]

    ranked = patterns.ranked_relief(patterns.relief_tally(rows))

    assert [
        (r["value"], r["tried"], r["yes"], r["partly"], r["no"], r["unknown"]) for r in ranked
    ] == [
        ("stretch", 5, 3, 2, 0, 0),
        ("heat", 8, 3, 0, 0, 5),
        ("massage", 7, 3, 0, 4, 0),
    ]


def test_the_calendar_shades_by_count_and_keeps_the_worst_pain():
    rows = [row(date(2026, 3, 5), intensity=3), row(date(2026, 3, 5), intensity=7)]

    days = {cell["date"]: cell for week in patterns.month_calendar(rows, 2026, 3) for cell in week}

    assert days[date(2026, 3, 5)]["count"] == 2
    assert days[date(2026, 3, 5)]["worst"] == 7
    assert days[date(2026, 3, 5)]["level"] == 4
    assert days[date(2026, 3, 6)]["level"] == 0


def test_comparison_windows_are_equal_and_limited_by_the_data():
    before, change, after_end, days = patterns.comparison_windows(
        date(2026, 10, 3), date(2026, 10, 31), date(2026, 1, 1)
    )

    assert days == 29
    assert (change - before).days == (after_end - change).days == 29


@pytest.fixture
def march(owner):
    """Episodes around March 2026 in Berlin, including the edges of the month."""
    EpisodeFactory(user=owner, started_at=at((2026, 2, 28), 23, 30), intensity=9)
    EpisodeFactory(user=owner, started_at=at((2026, 3, 1), 0, 10), intensity=4, duration_seconds=30)
    EpisodeFactory(user=owner, started_at=at((2026, 3, 1), 14, 0), intensity=6, duration_seconds=90)
    EpisodeFactory(
        user=owner, started_at=at((2026, 3, 31), 23, 30), intensity=8, duration_seconds=600
    )
    EpisodeFactory(user=owner, started_at=at((2026, 4, 1), 0, 30), intensity=2)


def test_the_month_page_counts_episodes_at_the_edges_of_the_month_in_local_time(
    march, owner_client
):
    response = owner_client.get("/diary/2026/03/")

    totals = response.context["figures"]["totals"]
    assert totals["episodes"] == 3
    assert totals["cramp_days"] == 2
    assert totals["longest_duration"] == 600
    assert totals["median_duration"] == 90
    assert totals["mean_intensity"] == 6.0
    assert response.context["figures"]["changes"]["episodes"].previous == 1
    html = response.content.decode()
    assert "/diary/2026/02/" in html and "/diary/2026/04/" in html
    assert '<svg class="chart"' in html and "<title" in html


@pytest.fixture
def march_cramps(owner):
    """Two cramps on 5 March, one without a drink logged; one on 9 March without a pain."""
    EpisodeFactory(user=owner, started_at=at((2026, 3, 5), 2, 0), intensity=3, fluid_ml=1200)
    EpisodeFactory(user=owner, started_at=at((2026, 3, 5), 4, 0), intensity=7, fluid_ml=None)
    EpisodeFactory(user=owner, started_at=at((2026, 3, 9), 2, 0), intensity=None, fluid_ml=2000)


def test_each_calendar_day_names_its_cramps_and_worst_pain_or_that_none_was_given(
    march_cramps, owner_client
):
    html = owner_client.get("/diary/2026/03/").content.decode()

    assert (
        'href="/diary/?day=2026-03-05" title="2 cramps, worst pain 7/10"'
        ' aria-label="5 March: 2 cramps, worst pain 7 out of 10">5<'
    ) in html
    assert (
        'href="/diary/?day=2026-03-09" title="1 cramp, pain not given"'
        ' aria-label="9 March: 1 cramp, pain not given">9<'
    ) in html
    assert '<span class="day shade-0">6<span class="visually-hidden">: no cramps</span>' in html


def test_the_drinks_table_gives_each_cramps_day_and_drink_and_marks_the_low_ones(
    march_cramps, owner_client
):
    html = owner_client.get("/diary/2026/03/").content.decode()

    rows = re.findall(
        r'<th scope="row" class="fw-normal">(\w+ \d+ \w+)</th><td[^>]*>(.*?)</td>', html
    )
    assert rows == [
        ("Thu 5 Mar", '1,200 ml <span class="badge text-bg-warning">low</span>'),
        ("Mon 9 Mar", "2,000 ml"),
    ]


def test_an_episode_at_2330_on_the_last_day_belongs_to_that_day_in_tokyo(owner, owner_client):
    owner.profile.time_zone = "Asia/Tokyo"
    owner.profile.save()
    EpisodeFactory(
        user=owner, started_at=datetime(2026, 1, 31, 23, 30, tzinfo=ZoneInfo("Asia/Tokyo"))
    )

    january = owner_client.get("/diary/2026/01/").context["figures"]["totals"]["episodes"]
    february = owner_client.get("/diary/2026/02/").context["figures"]["totals"]["episodes"]

    assert (january, february) == (1, 0)


def test_an_empty_month_says_so_kindly_and_links_to_logging(owner_client):
    html = owner_client.get("/diary/2025/05/").content.decode()

    assert "No cramps logged in May 2025" in html
    assert 'href="/diary/new/"' in html


@pytest.mark.parametrize(
    "url", ["/diary/2026/13/", "/diary/0000/00/", "/diary/2026/00/", "/diary/1899/"]
)
def test_impossible_months_and_years_are_not_found(owner_client, url):
    assert owner_client.get(url).status_code == 404


def test_the_month_page_costs_the_same_queries_for_one_month_and_for_years_of_history(
    owner, owner_client
):
    def episodes_over(days):
        start = at((2026, 3, 31), 3)
        batch = []
        for day in range(days):
            episode = Episode(
                user=owner,
                started_at=start - timedelta(days=day),
                time_zone="Europe/Berlin",
                duration_seconds=60,
                foot="left",
                locations=["arch"],
                intensity=5,
            )
            episode.set_local_fields()
            batch.append(episode)
        Episode.objects.bulk_create(batch)

    episodes_over(31)
    owner_client.get("/diary/2026/03/")  # a process's first page also reads the matching rules
    cache.clear()  # a first view, not a kept page (tests/test_kept_pages.py)
    with CaptureQueriesContext(connection) as one_month:
        owner_client.get("/diary/2026/03/")
    Episode.objects.all().delete()
    episodes_over(3 * 365)
    cache.clear()
    with CaptureQueriesContext(connection) as years:
        response = owner_client.get("/diary/2026/03/")

    assert len(years) == len(one_month)
    assert response.context["figures"]["totals"]["episodes"] == 31


def test_the_year_page_shows_twelve_months_and_a_before_and_after_comparison(owner, owner_client):
    for day in range(1, 29):
        EpisodeFactory(user=owner, started_at=at((2026, 2, day), 3), intensity=6)
    for day in (1, 8, 15, 22):
        EpisodeFactory(user=owner, started_at=at((2026, 3, day), 3), intensity=4)

    response = owner_client.get("/diary/2026/", {"since": "2026-03-01"})

    months = response.context["months"]
    assert len(months) == 12
    assert (months[1]["episodes"], months[1]["cramp_days"], months[1]["mean_intensity"]) == (
        28,
        28,
        6.0,
    )
    comparison = response.context["comparison"]
    assert comparison["before"] >= comparison["after"] == 4
    assert comparison["before_pain"] == 6.0 and comparison["after_pain"] == 4.0


def test_the_report_covers_the_range_with_profile_facts_and_every_episode(
    march, owner, owner_client
):
    owner.profile.conditions = ["diabetes"]
    owner.profile.save()

    response = owner_client.get("/diary/report/", {"start": "2026-03-01", "end": "2026-03-31"})

    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["summary"]["totals"]["episodes"] == 3
    assert "Diabetes" in html
    assert "Logged by the person in the cramplog app, not a clinical record." in html
    assert 'media="print"' in html


@pytest.mark.parametrize(
    "query",
    [{"start": "2026-03-31", "end": "2026-03-01"}, {"start": "yesterday"}, {"end": "2026-99-01"}],
)
def test_a_report_with_bad_dates_explains_the_problem_without_an_error(owner_client, query):
    response = owner_client.get("/diary/report/", query)

    assert response.status_code == 400
    assert "invalid-feedback" in response.content.decode()


@pytest.mark.parametrize(
    "url", ["/diary/2026/03/", "/diary/2026/", "/diary/report/?start=2026-03-01&end=2026-03-31"]
)
def test_a_stranger_sees_only_their_own_empty_figures(march, stranger_client, url):
    response = stranger_client.get(url)

    assert response.status_code == 200
    assert b"worst pain 9" not in response.content
    # A month's figures, or a report's summary; the year page has neither.
    for figures in (response.context.get("figures"), response.context.get("summary")):
        if isinstance(figures, dict):
            assert figures["totals"]["episodes"] == 0


@pytest.mark.parametrize("url", ["/diary/2026/03/", "/diary/2026/", "/diary/report/"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.fixture
def shipped_rules(knowledge):
    """The shipped rules, loaded once per session (tests/conftest.py)."""


def month_red_flags(client, url="/diary/2026/03/"):
    response = client.get(url)
    assert response.status_code == 200
    return [(flag.slug, reasons) for flag, reasons in response.context["advice"].red_flags]


def test_a_month_with_cramps_on_most_nights_raises_the_shipped_period_warnings(
    shipped_rules, owner, owner_client
):
    for day in range(1, 20):
        EpisodeFactory(user=owner, started_at=at((2026, 3, day), 2))

    flags = dict(month_red_flags(owner_client))

    assert flags["persistent-night-cramps"] == ["Cramps came at night on 19 of 31 days."]
    assert flags["frequent-unexplained"] == ["You logged 19 cramps in 31 days, about 4.3 a week."]


def test_a_quiet_month_raises_no_period_warning(shipped_rules, owner, owner_client):
    EpisodeFactory(user=owner, started_at=at((2026, 3, 3), 15))
    EpisodeFactory(user=owner, started_at=at((2026, 3, 20), 2))

    assert month_red_flags(owner_client) == []


def test_a_period_warning_follows_its_red_flag_when_an_editor_renames_it(
    shipped_rules, owner, owner_client
):
    RedFlag.objects.filter(slug="frequent-unexplained").update(slug="see-a-doctor-often")
    for day in range(1, 20):
        EpisodeFactory(user=owner, started_at=at((2026, 3, day), 14))

    assert [slug for slug, _ in month_red_flags(owner_client)] == ["see-a-doctor-often"]


def test_an_editor_can_change_when_the_frequent_warning_is_raised(
    shipped_rules, owner, owner_client
):
    for day in range(1, 20, 3):
        EpisodeFactory(user=owner, started_at=at((2026, 3, day), 14))
    assert month_red_flags(owner_client) == []

    MatchRule.objects.filter(fact="period_per_week_over").update(value="1")

    assert [slug for slug, _ in month_red_flags(owner_client)] == ["frequent-unexplained"]


@pytest.mark.parametrize(
    ("start", "end", "night", "day"), [(0, 5, 2, 1), (22, 6, 3, 0), (23, 2, 2, 1)]
)
def test_the_month_page_counts_and_names_the_configured_night(
    settings, owner, owner_client, start, end, night, day
):
    settings.CRAMPLOG_NIGHT_START_HOUR, settings.CRAMPLOG_NIGHT_END_HOUR = start, end
    for hour in (23, 1, 4):
        EpisodeFactory(user=owner, started_at=at((2026, 3, 10), hour))

    response = owner_client.get("/diary/2026/03/")

    hours = response.context["figures"]["hours"]
    assert (hours["night"], hours["day"]) == (night, day)
    assert f"At night ({start:02d}:00 to {end:02d}:00)" in response.content.decode()


def test_the_report_names_the_configured_night(settings, owner, owner_client):
    settings.CRAMPLOG_NIGHT_START_HOUR, settings.CRAMPLOG_NIGHT_END_HOUR = 1, 5
    EpisodeFactory(user=owner, started_at=at((2026, 3, 10), 3))

    html = owner_client.get("/diary/report/", {"start": "2026-03-01", "end": "2026-03-31"})

    assert "At night (01:00 to 05:00): <strong>1</strong>" in html.content.decode()


def test_month_and_year_navigation_stop_at_the_current_period(owner, owner_client):
    today = timezone.localdate(timezone=owner.profile.zone)
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)

    current = owner_client.get(f"/diary/{this_month:%Y/%m}/").content.decode()
    previous = owner_client.get(f"/diary/{last_month:%Y/%m}/").content.decode()
    this_year = owner_client.get(f"/diary/{today:%Y}/").content.decode()
    last_year = owner_client.get(f"/diary/{today.year - 1}/").content.decode()

    assert 'rel="next"' not in current
    assert f'href="/diary/{this_month:%Y/%m}/" rel="next"' in previous
    assert 'rel="next"' not in this_year
    assert f'href="/diary/{today:%Y}/" rel="next"' in last_year
    assert 'rel="prev"' in current and 'rel="prev"' in this_year


@pytest.mark.parametrize("count", [1, 2])
def test_counts_of_one_and_of_more_take_the_right_plural(shipped_rules, owner, owner_client, count):
    for hour in range(count):
        EpisodeFactory(user=owner, started_at=at((2026, 3, 10), 14 + hour))
    pages = [
        "/diary/2026/03/",
        "/diary/2026/",
        "/diary/report/?start=2026-03-10&end=2026-03-10",
        "/diary/",
    ]

    texts = [owner_client.get(url).content.decode() for url in pages]

    month = texts[0]
    if count == 1:
        assert "List this 1 cramp</a>" in month
        assert "matched 1 cramp<" in month
    else:
        assert "List these 2 cramps</a>" in month
        assert "matched 2 cramps<" in month
    for url, text in zip(pages, texts, strict=True):
        assert not re.search(r"\b1 (cramps|days|drinks|times)\b", text), url
        assert not re.search(r"\b([02-9]|\d\d+) cramp\b(?!-)", text), url


def test_the_period_warning_says_cramp_or_cramps_as_the_count_needs():
    one = row(date(2026, 3, 10), hour=14)

    texts = advice.period([one], date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1)).texts
    two = advice.period([one, one], date(2026, 3, 1), date(2026, 3, 31), date(2026, 4, 1)).texts

    assert texts["per_week"] == "1 cramp in 31 days, about 0.2 a week"
    assert two["per_week"] == "2 cramps in 31 days, about 0.5 a week"


def test_a_waiting_import_names_its_cramps_with_the_right_plural():
    when = datetime(2026, 3, 10, 9, 0, tzinfo=BERLIN)

    assert str(PendingImport(rows=[{}], created_at=when)) == (
        "Import of 1 cramp waiting since 2026-03-10 09:00"
    )
    assert str(PendingImport(rows=[{}, {}], created_at=when)).startswith("Import of 2 cramps")
