"""A period's figures, from the rows of its episodes: totals, calendar, hours, places, drinks.

Pure functions over plain rows, so every figure can be checked against a hand-made fixture.
The views fetch the rows of one period with a single indexed query on (user, local_date).
"""

import calendar
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from .durations import format_duration
from .models import Activity, Foot, Helped, Location, Relief, Symptom, Trigger

# Under about one and a half litres a day counts as a low intake for an adult.
LOW_FLUID_ML = 1500
ROW_FIELDS = (
    "pk",
    "local_date",
    "local_hour",
    "duration_seconds",
    "intensity",
    "foot",
    "locations",
    "activity",
    "triggers",
    "symptoms",
    "relief",
    "relief_helped",
    "fluid_ml",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Row:
    pk: int
    local_date: date
    local_hour: int
    duration_seconds: int
    intensity: int
    foot: str
    locations: list
    activity: str
    triggers: list
    symptoms: list
    relief: list
    relief_helped: str
    fluid_ml: int | None


def is_night_hour(hour, start=22, end=6):
    return hour >= start or hour < end


def month_bounds(year, month):
    first = date(year, month, 1)
    return first, date(year, month, calendar.monthrange(year, month)[1])


def shift_month(year, month, delta):
    index = year * 12 + month - 1 + delta
    return index // 12, index % 12 + 1


def days_covered(start, end, today):
    """Days of the period that have happened: a month still running counts up to today."""
    if start > today:
        return 0
    return (min(end, today) - start).days + 1


@dataclass(frozen=True)
class Change:
    current: float | None
    previous: float | None
    unit: str = ""

    @property
    def delta(self):
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def words(self):
        delta = self.delta
        if delta is None:
            return "no comparison"
        if round(delta, 1) == 0:
            return "no change"
        direction = "up" if delta > 0 else "down"
        amount = abs(delta)
        if self.unit == "duration":
            return f"{direction} {format_duration(round(amount))}"
        shown = f"{amount:.1f}".rstrip("0").rstrip(".")
        return f"{direction} {shown}"


def totals(rows, start, end, today):
    durations = [row.duration_seconds for row in rows]
    covered = days_covered(start, end, today)
    cramp_days = len({row.local_date for row in rows})
    return {
        "episodes": len(rows),
        "cramp_days": cramp_days,
        "cramp_free_days": max(covered - cramp_days, 0),
        "median_duration": statistics.median(durations) if durations else None,
        "longest_duration": max(durations) if durations else None,
        "mean_intensity": round(statistics.fmean(row.intensity for row in rows), 1)
        if rows
        else None,
    }


def compare(current, previous):
    """Each total beside last period's, with the change in words and numbers."""
    units = {"median_duration": "duration", "longest_duration": "duration"}
    return {name: Change(current[name], previous[name], units.get(name, "")) for name in current}


def shade(count, highest):
    """A level from 0 (none) to 4 (the month's busiest), so shading scales with the month."""
    if not count:
        return 0
    return max(1, min(4, -(-4 * count // max(highest, 1))))


def month_calendar(rows, year, month):
    per_day = Counter(row.local_date for row in rows)
    worst = {}
    for row in rows:
        worst[row.local_date] = max(worst.get(row.local_date, 0), row.intensity)
    highest = max(per_day.values(), default=0)
    weeks = []
    for week in calendar.Calendar().monthdatescalendar(year, month):
        weeks.append(
            [
                {
                    "date": day,
                    "in_month": day.month == month,
                    "count": per_day.get(day, 0),
                    "worst": worst.get(day),
                    "level": shade(per_day.get(day, 0), highest),
                }
                for day in week
            ]
        )
    return weeks


def counted(values, choices, keep_zero=True):
    """(value, label, count) per choice, in the choices' order; keep_zero keeps unused ones."""
    tally = Counter(values)
    return [
        (value, label, tally.get(value, 0))
        for value, label in choices
        if keep_zero or tally.get(value)
    ]


def hours(rows):
    blocks = Counter(row.local_hour // 2 for row in rows)
    night = sum(1 for row in rows if is_night_hour(row.local_hour))
    return {
        "blocks": [(f"{2 * b:02d}–{2 * b + 2:02d}", blocks.get(b, 0)) for b in range(12)],
        "night": night,
        "day": len(rows) - night,
    }


def weekdays(rows):
    tally = Counter(row.local_date.weekday() for row in rows)
    return [(name, tally.get(index, 0)) for index, name in enumerate(WEEKDAYS)]


def hydration(rows):
    logged = [row for row in rows if row.fluid_ml is not None]
    amounts = [row.fluid_ml for row in logged]
    low = sum(1 for amount in amounts if amount < LOW_FLUID_ML)
    return {
        "logged": len(logged),
        "not_logged": len(rows) - len(logged),
        "median": statistics.median(amounts) if amounts else None,
        "low": low,
        "low_share": round(100 * low / len(amounts)) if amounts else None,
        "per_episode": [(row.local_date, row.fluid_ml) for row in logged],
    }


def relief(rows):
    results = []
    for value, label in Relief.choices:
        tried = [row for row in rows if value in row.relief]
        if not tried:
            continue
        helped = Counter(row.relief_helped for row in tried)
        results.append(
            {
                "value": value,
                "label": label,
                "tried": len(tried),
                "yes": helped.get(Helped.YES, 0),
                "partly": helped.get(Helped.PARTLY, 0),
                "no": helped.get(Helped.NO, 0),
                "unknown": helped.get("", 0),
            }
        )
    return results


def period_warnings(rows, start, end, today):
    """Red flags that a whole period shows: cramps on most nights, or several a week."""
    covered = days_covered(start, end, today)
    if covered < 7 or not rows:
        return []
    warnings = []
    night_days = {row.local_date for row in rows if is_night_hour(row.local_hour)}
    if len(night_days) > covered / 2:
        warnings.append(
            (
                "persistent-night-cramps",
                f"Cramps came at night on {len(night_days)} of {covered} days.",
            )
        )
    per_week = len(rows) * 7 / covered
    if per_week > 3:
        warnings.append(
            (
                "frequent-unexplained",
                f"You logged {len(rows)} cramps in {covered} days, about {per_week:.1f} a week.",
            )
        )
    return warnings


def figures(rows, start, end, today):
    """Everything a month page or a report shows about one period."""
    return {
        "totals": totals(rows, start, end, today),
        "hours": hours(rows),
        "weekdays": weekdays(rows),
        "feet": counted([row.foot for row in rows], Foot.choices),
        "locations": counted([v for row in rows for v in row.locations], Location.choices),
        "activities": counted([row.activity for row in rows], Activity.choices, False),
        "triggers": counted([v for row in rows for v in row.triggers], Trigger.choices, False),
        "symptoms": counted([v for row in rows for v in row.symptoms], Symptom.choices, False),
        "hydration": hydration(rows),
        "relief": relief(rows),
        "warnings": period_warnings(rows, start, end, today),
    }


def year_months(day_rows, year):
    """Twelve months from per-day rows of (local_date, count, intensity sum)."""
    months = {m: {"episodes": 0, "cramp_days": 0, "intensity_sum": 0} for m in range(1, 13)}
    for day, count, intensity_sum in day_rows:
        month = months[day.month]
        month["episodes"] += count
        month["cramp_days"] += 1
        month["intensity_sum"] += intensity_sum
    return [
        {
            "month": date(year, number, 1),
            "episodes": month["episodes"],
            "cramp_days": month["cramp_days"],
            "mean_intensity": round(month["intensity_sum"] / month["episodes"], 1)
            if month["episodes"]
            else None,
        }
        for number, month in months.items()
    ]


def comparison_windows(change, today, first_day, longest=91):
    """Equal windows before and after a change: as long as the data on both sides allows."""
    after_days = (today - change).days + 1
    before_days = (change - first_day).days if first_day else 0
    days = max(0, min(longest, after_days, before_days))
    return (change - timedelta(days=days), change, change + timedelta(days=days), days)


def bars(items, height=120, slot=32):
    """Geometry of a server-drawn bar chart for (label, count) pairs, scaled to the largest."""
    highest = max((count for _label, count in items), default=0)
    drawn = []
    for index, (label, count) in enumerate(items):
        bar_height = round(height * count / highest) if highest else 0
        drawn.append(
            {
                "label": label,
                "count": count,
                "x": index * slot + 4,
                "y": height - bar_height + 14,
                "height": bar_height,
                "centre": index * slot + slot // 2,
            }
        )
    return {
        "bars": drawn,
        "width": len(items) * slot,
        "bar_width": slot - 8,
        "baseline": height + 14,
        "label_y": height + 28,
        "total_height": height + 34,
    }
