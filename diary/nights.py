"""Nights as the diary knows them: checked in, with logged cramps, or unknown.

A night (vocabulary.night_of) is known when it has a check-in or a logged cramp; a night with
neither is unknown, never counted as cramp-free. Cramp-free nights come only from check-ins.
Pure functions over plain values, so every figure can be checked by hand: the views read a
period's check-ins and its cramps per night (EpisodeQuerySet.per_night) in two queries.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from . import stats

WEEKS_SHOWN = 12


class Night(NamedTuple):
    # A tuple, not a frozen dataclass: the year page makes one for every night.
    night: date
    logged: int = 0  # cramps logged one by one in it
    checked: bool = False
    unlogged: int = 0  # cramps the check-in adds
    disturbance: int | None = None
    factors: tuple | list = ()

    @property
    def known(self):
        return self.checked or self.logged > 0

    @property
    def cramps(self):
        return self.logged + self.unlogged

    @property
    def cramp_free(self):
        return self.checked and self.cramps == 0


def every_night(first, last, per_night, checkins):
    """A Night for each date from first to last, known or not.

    `checkins` holds (night, unlogged_cramps, sleep_disturbance, factors) rows.
    """
    checked = {row[0]: row for row in checkins}
    found = []
    day = first
    while day <= last:
        row = checked.get(day)
        found.append(night(day, per_night.get(day, 0), row))
        day += timedelta(days=1)
    return found


def night(day, logged, row):
    if row is None:
        return Night(day, logged)
    _day, unlogged, disturbance, factors = row
    return Night(day, logged, True, unlogged, disturbance, factors)


@dataclass(frozen=True)
class Summary:
    """A stretch of nights in figures: only known nights count, and they are counted."""

    nights: int
    checked: int
    known: int
    cramp_free: int  # checked-in nights without a cramp
    cramp_nights: int
    cramps: int  # on known nights
    disturbance_total: int
    disturbance_count: int  # check-ins that said how much cramps disturbed sleep

    @property
    def per_week(self):
        return round(7 * self.cramps / self.known, 1) if self.known else None

    @property
    def share(self):
        """Share of known nights with a cramp, with its 95% interval."""
        return stats.share(self.cramp_nights, self.known)

    @property
    def share_of_nights(self):
        """The same share, without the interval."""
        return self.cramp_nights / self.known if self.known else None

    @property
    def mean_disturbance(self):
        if not self.disturbance_count:
            return None
        return round(self.disturbance_total / self.disturbance_count, 1)

    @property
    def logged_only(self):
        """Known nights without a check-in: known to have had a cramp, and nothing more."""
        return self.known - self.checked


def summary(nights):
    known = [n for n in nights if n.known]
    disturbances = [n.disturbance for n in nights if n.checked and n.disturbance is not None]
    return Summary(
        nights=len(nights),
        checked=sum(1 for n in nights if n.checked),
        known=len(known),
        cramp_free=sum(1 for n in nights if n.cramp_free),
        cramp_nights=sum(1 for n in known if n.cramps),
        cramps=sum(n.cramps for n in known),
        disturbance_total=sum(disturbances),
        disturbance_count=len(disturbances),
    )


@dataclass(frozen=True)
class Week:
    first: object  # date of its first night
    last: object
    summary: Summary


def weeks(nights):
    """Consecutive weeks of seven nights, the last week ending with the last night given."""
    count = len(nights) // 7
    nights = nights[len(nights) - 7 * count :]
    return [
        Week(block[0].night, block[-1].night, summary(block))
        for block in (nights[7 * i : 7 * i + 7] for i in range(count))
    ]


def weekly_trend(weeks):
    """The trend of cramps per week over the weeks with enough known nights, or None."""
    points = [
        (index, week.summary.per_week)
        for index, week in enumerate(weeks)
        if week.summary.known >= stats.TREND_MIN_KNOWN_NIGHTS
    ]
    return stats.trend(points)


def chart(weeks, trend, height=120, slot=40):
    """Geometry of the server-drawn chart of cramps per week, with the trend line over it."""
    rates = [week.summary.per_week for week in weeks]
    highest = max([rate for rate in rates if rate is not None] + [1.0])
    if trend:
        highest = max(highest, trend.at(0), trend.at(len(weeks) - 1))

    def y(value):
        return round(14 + height - height * max(value, 0) / highest, 1)

    bars = []
    for index, (week, rate) in enumerate(zip(weeks, rates, strict=True)):
        bars.append(
            {
                "week": week,
                "rate": rate,
                "x": index * slot + 4,
                "y": y(rate or 0),
                "value_y": y(rate or 0) - 3,
                "height": round(height * (rate or 0) / highest, 1),
                "centre": index * slot + slot // 2,
            }
        )
    line = None
    if trend:
        line = {
            "x1": slot // 2,
            "y1": y(trend.at(0)),
            "x2": (len(weeks) - 1) * slot + slot // 2,
            "y2": y(trend.at(len(weeks) - 1)),
        }
    return {
        "bars": bars,
        "line": line,
        "width": len(weeks) * slot,
        "bar_width": slot - 8,
        "baseline": height + 14,
        "label_y": height + 28,
        "total_height": height + 34,
    }


@dataclass(frozen=True)
class Streak:
    nights: int  # checked nights in a row
    last_night_done: bool


def streak(checked, last_night):
    """The run of checked nights, newest first in `checked`, up to last night.

    A run that reaches the night before last is still going: last night waits for its
    check-in. A check-in for the night under way (after noon) counts too.
    """
    run, expected, done = 0, None, False
    for day in checked:
        if expected is None:
            if day < last_night - timedelta(days=1):
                break
            expected = day
        if day != expected:
            break
        done = done or day == last_night
        run += 1
        expected = day - timedelta(days=1)
    return Streak(run, done)
