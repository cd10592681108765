"""The diary's night: which night a cramp belongs to, known and unknown nights, streaks."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary import nights
from diary.models import Episode
from diary.vocabulary import night_of, night_under_way

from .factories import EpisodeFactory

BERLIN = ZoneInfo("Europe/Berlin")
D = date(2026, 3, 10)


@pytest.mark.parametrize(
    ("local_date", "hour", "night"),
    [
        (D, 12, D),  # noon on D: the night of D begins
        (D, 23, D),
        (D + timedelta(days=1), 0, D),
        (D + timedelta(days=1), 11, D),  # 11:59 the next day: still the night of D
        (D + timedelta(days=1), 12, D + timedelta(days=1)),
        (D, 11, D - timedelta(days=1)),
    ],
)
def test_a_cramp_belongs_to_the_night_from_noon_on_its_date_to_noon_the_next_day(
    local_date, hour, night
):
    assert night_of(local_date, hour) == night


def test_before_noon_the_night_under_way_is_last_night():
    assert night_under_way(datetime(2026, 3, 11, 8, 0)) == D
    assert night_under_way(datetime(2026, 3, 11, 12, 0)) == D + timedelta(days=1)


@pytest.mark.django_db
# Each example starts by deleting the episodes of the one owner it shares.
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(hours=st.lists(st.integers(min_value=0, max_value=71), max_size=12))
def test_the_database_picks_the_same_cramps_for_a_night_as_night_of(owner, hours):
    Episode.objects.filter(user=owner).delete()
    start = datetime(2026, 3, 9, 0, 30, tzinfo=BERLIN)
    episodes = [EpisodeFactory(user=owner, started_at=start + timedelta(hours=h)) for h in hours]
    mine = Episode.objects.filter(user=owner)

    for night in (D - timedelta(days=1), D, D + timedelta(days=1)):
        expected = {e.pk for e in episodes if night_of(e.local_date, e.local_hour) == night}
        assert set(mine.in_nights(night, night).values_list("pk", flat=True)) == expected
        assert mine.per_night(night, night).get(night, 0) == len(expected)
    everything = mine.per_night()
    assert sum(everything.values()) == len(episodes)


def checked(day, unlogged=0, disturbance=None, factors=()):
    return (day, unlogged, disturbance, list(factors))


def test_only_checked_in_nights_are_cramp_free_and_nights_with_neither_are_unknown():
    first, last = date(2026, 3, 1), date(2026, 3, 7)
    per_night = {date(2026, 3, 2): 2, date(2026, 3, 3): 1}
    checkins = [
        checked(date(2026, 3, 1)),  # checked, nothing: cramp-free
        checked(date(2026, 3, 3), unlogged=1, disturbance=6),  # 1 logged + 1 more
        checked(date(2026, 3, 4), disturbance=0),  # cramp-free
        checked(date(2026, 2, 28)),  # outside the stretch
    ]

    summary = nights.summary(nights.every_night(first, last, per_night, checkins))

    assert (summary.nights, summary.checked, summary.known) == (7, 3, 4)
    assert (summary.cramp_free, summary.cramp_nights, summary.cramps) == (2, 2, 4)
    assert summary.logged_only == 1
    assert summary.per_week == 7.0  # 4 cramps over 4 known nights
    assert summary.mean_disturbance == 3.0
    assert summary.share.count == 2 and summary.share.of == 4


def test_a_stretch_with_no_known_night_has_no_rates():
    summary = nights.summary(nights.every_night(D, D + timedelta(days=6), {}, []))

    assert (summary.known, summary.per_week, summary.share, summary.mean_disturbance) == (
        0,
        None,
        None,
        None,
    )


def test_weeks_end_with_the_last_night_and_the_trend_uses_weeks_with_four_known_nights():
    last = date(2026, 3, 31)
    first = last - timedelta(days=83)
    checkins = [checked(first + timedelta(days=n)) for n in range(84) if n % 7 < 5]
    per_night = {first + timedelta(days=n): n // 7 for n in range(84) if n % 7 == 0}

    weeks = nights.weeks(nights.every_night(first, last, per_night, checkins))
    trend = nights.weekly_trend(weeks)

    assert len(weeks) == 12
    assert (weeks[0].first, weeks[-1].last) == (first, last)
    assert [week.summary.cramps for week in weeks] == list(range(12))
    assert [week.summary.per_week for week in weeks][:3] == [0.0, 1.4, 2.8]
    assert trend.weeks == 12 and trend.direction == "rising"
    assert trend.slope == pytest.approx(1.4)


def test_the_chart_draws_a_bar_per_known_week_and_the_trend_line():
    last = date(2026, 3, 31)
    first = last - timedelta(days=83)
    checkins = [checked(first + timedelta(days=n)) for n in range(84) if n >= 7]
    per_night = {first + timedelta(days=n): 1 for n in range(84) if n % 2}

    weeks = nights.weeks(nights.every_night(first, last, per_night, checkins))
    chart = nights.chart(weeks, nights.weekly_trend(weeks))

    assert len(chart["bars"]) == 12
    # The first week has only its logged cramps: three nights known, every one with a cramp.
    assert chart["bars"][0]["rate"] == 7.0
    assert all(bar["height"] >= 0 for bar in chart["bars"])
    assert chart["line"]["x1"] < chart["line"]["x2"]


@pytest.mark.parametrize(
    ("checked_nights", "expected"),
    [
        ([], (0, False)),
        ([D, D - timedelta(days=1), D - timedelta(days=2)], (3, True)),
        # Last night not checked in yet: the run up to the night before still counts.
        ([D - timedelta(days=1), D - timedelta(days=2)], (2, False)),
        # Tonight checked in already, after noon, with last night.
        ([D + timedelta(days=1), D, D - timedelta(days=2)], (2, True)),
        # A gap of two nights ends the run.
        ([D - timedelta(days=2), D - timedelta(days=3)], (0, False)),
        ([D, D - timedelta(days=2)], (1, True)),
    ],
)
def test_the_streak_counts_checked_nights_in_a_row_up_to_last_night(checked_nights, expected):
    streak = nights.streak(iter(checked_nights), D)

    assert (streak.nights, streak.last_night_done) == expected


@pytest.mark.django_db
def test_episode_ids_keep_five_digits_after_the_table_gained_its_night_column(owner):
    # Migration 0006 rebuilds the table on SQLite, which would start the ids again at 1.
    episode = EpisodeFactory(user=owner)

    assert episode.pk >= 10_000
    assert episode.night == night_of(episode.local_date, episode.local_hour)
