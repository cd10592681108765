"""A period's figures, from its episodes: totals, calendar, hours, places, drinks, charts.

Pure functions over anything with an episode's attributes (local_date, local_hour,
duration_seconds, intensity, foot, locations, activity, triggers, symptoms, relief,
relief_helped, fluid_ml), so every figure can be checked against a hand-made fixture. The
views fetch a period's episodes with a single indexed query on (user, local_date).

A length or pain that was not given (None) is left out of every median, mean and maximum:
the figures say how many cramps they rest on instead of counting a guess.
"""

import calendar
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from .durations import format_duration
from .vocabulary import Activity, Foot, Helped, Location, Relief, Symptom, Trigger

# Under about one and a half litres a day counts as a low intake for an adult.
LOW_FLUID_ML = 1500
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


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


def previous_stretch(year, month, today):
    """The stretch of last month to compare a month with, like with like.

    While a month is running, only as many of last month's first days as this month has had
    so far; a month that is over is compared with the whole of the month before.
    """
    start, end = month_bounds(year, month)
    previous_start, previous_end = month_bounds(*shift_month(year, month, -1))
    if start <= today < end:
        previous_end = min(previous_end, previous_start + (today - start))
    return previous_start, previous_end


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


def given(values):
    return [value for value in values if value is not None]


def totals(episodes):
    """A period's cramps in figures; lengths and pain from the values given only. Cramp-free
    nights come from check-ins (diary.nights)."""
    durations = given(episode.duration_seconds for episode in episodes)
    pains = given(episode.intensity for episode in episodes)
    return {
        "episodes": len(episodes),
        "cramp_days": len({episode.local_date for episode in episodes}),
        "median_duration": statistics.median(durations) if durations else None,
        "longest_duration": max(durations) if durations else None,
        "mean_intensity": round(statistics.fmean(pains), 1) if pains else None,
        "worst_intensity": max(pains) if pains else None,
        # How many cramps the length and pain figures rest on.
        "durations_given": len(durations),
        "pains_given": len(pains),
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


def month_calendar(episodes, year, month):
    """The month's weeks, Monday first, each day with its cramps, worst pain and shade, and
    what its link says when pointed at ("title") and read aloud ("spoken")."""
    per_day = Counter(episode.local_date for episode in episodes)
    worst = {}
    for episode in episodes:
        if episode.intensity is not None:
            day = episode.local_date
            worst[day] = max(worst.get(day, 0), episode.intensity)
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
                    **day_words(day, per_day.get(day, 0), worst.get(day)),
                }
                for day in week
            ]
        )
    return weeks


def day_words(day, count, worst):
    """A calendar day's cramps in words: written here rather than in the template because
    the calendar repeats them for every day of the month."""
    cramps = f"{count} cramp{'' if count == 1 else 's'}"
    if worst is None:
        shown = spoken = "pain not given"
    else:
        shown, spoken = f"worst pain {worst}/10", f"worst pain {worst} out of 10"
    return {"title": f"{cramps}, {shown}", "spoken": f"{day.day} {day:%B}: {cramps}, {spoken}"}


def counted(values, choices, keep_zero=True):
    """(value, label, count) per choice, in the choices' order; keep_zero keeps unused ones."""
    tally = Counter(values)
    return [
        (value, label, tally.get(value, 0))
        for value, label in choices
        if keep_zero or tally.get(value)
    ]


def night_days(episodes, night):
    """Days with a cramp in the night hours; what the period rules call nights with cramps."""
    return len({episode.local_date for episode in episodes if episode.local_hour in night})


def hours(episodes, night):
    blocks = Counter(episode.local_hour // 2 for episode in episodes)
    at_night = sum(1 for episode in episodes if episode.local_hour in night)
    return {
        "blocks": [(f"{2 * b:02d}–{2 * b + 2:02d}", blocks.get(b, 0)) for b in range(12)],
        "night": at_night,
        "day": len(episodes) - at_night,
        "window": night,
    }


def weekdays(episodes):
    tally = Counter(episode.local_date.weekday() for episode in episodes)
    return [(name, tally.get(index, 0)) for index, name in enumerate(WEEKDAYS)]


def hydration(episodes):
    logged = [episode for episode in episodes if episode.fluid_ml is not None]
    amounts = [episode.fluid_ml for episode in logged]
    low = sum(1 for amount in amounts if amount < LOW_FLUID_ML)
    return {
        "logged": len(logged),
        "not_logged": len(episodes) - len(logged),
        "median": statistics.median(amounts) if amounts else None,
        "low": low,
        "low_share": round(100 * low / len(amounts)) if amounts else None,
        # (day, amount, low) per cramp, the day in words here, not by the template's date
        # filter: a month of rows made it a millisecond of the month page.
        "per_episode": [
            (short_day(episode.local_date), episode.fluid_ml, episode.fluid_ml < LOW_FLUID_ML)
            for episode in logged
        ],
    }


def short_day(day):
    """A day as Django's "D j M" writes it in English: "Mon 3 Nov"."""
    return f"{day:%a} {day.day} {day:%b}"


def relief(episodes):
    return relief_tally((episode.relief, episode.relief_helped, 1) for episode in episodes)


def relief_tally(rows):
    """Each kind of relief tried, how often, and how often it helped, in the choices' order.

    From (relief tried, whether it helped, how many episodes) rows, so a whole diary can be
    counted from the rows of a GROUP BY.
    """
    tally = {value: Counter() for value in Relief.values}
    for tried, helped, count in rows:
        for value in tried:
            tally[value][helped] += count
    return [
        {
            "value": value,
            "label": label,
            "tried": tally[value].total(),
            "yes": tally[value][Helped.YES],
            "partly": tally[value][Helped.PARTLY],
            "no": tally[value][Helped.NO],
            "unknown": tally[value][""],
        }
        for value, label in Relief.choices
        if tally[value]
    ]


def ranked_relief(relief):
    """Most often helped first; then most often partly helped; then least often no help."""
    return sorted(relief, key=lambda r: (-r["yes"], -r["partly"], r["no"], -r["tried"]))


def figures(episodes, night):
    """Everything a month page or a report shows about one period, charts included."""
    by_hour = hours(episodes, night)
    by_weekday = weekdays(episodes)
    return {
        "totals": totals(episodes),
        "hours": by_hour,
        "weekdays": by_weekday,
        "feet": counted([e.foot for e in episodes], Foot.choices),
        "locations": counted([v for e in episodes for v in e.locations], Location.choices),
        "activities": counted([e.activity for e in episodes], Activity.choices, False),
        "triggers": counted([v for e in episodes for v in e.triggers], Trigger.choices, False),
        "symptoms": counted([v for e in episodes for v in e.symptoms], Symptom.choices, False),
        "hydration": hydration(episodes),
        "relief": relief(episodes),
        # Short labels fit the bars: the hour a block starts at, a weekday's first letters.
        "hour_bars": bars([(label[:2], n) for label, n in by_hour["blocks"]]),
        "weekday_bars": bars([(name[:3], n) for name, n in by_weekday]),
    }


def year_months(day_rows, year):
    """Twelve months from per-day rows of (local_date, count, pains given, pain sum)."""
    months = {
        m: {"episodes": 0, "cramp_days": 0, "pains": 0, "intensity_sum": 0} for m in range(1, 13)
    }
    for day, count, pains, intensity_sum in day_rows:
        month = months[day.month]
        month["episodes"] += count
        month["cramp_days"] += 1
        month["pains"] += pains
        month["intensity_sum"] += intensity_sum or 0
    return [
        {
            "month": date(year, number, 1),
            "episodes": month["episodes"],
            "cramp_days": month["cramp_days"],
            "mean_intensity": round(month["intensity_sum"] / month["pains"], 1)
            if month["pains"]
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
    """Geometry of a server-drawn bar chart for (label, count) pairs, scaled to the largest.

    Labels are drawn as given: at most six characters fit under a bar on a phone, and each
    caller makes its own that short ("00", "Mon", "Sep", "12 Sep").
    """
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


def day_ranges(days):
    """Dates as runs of consecutive days, for a list that stays short: [(first, last)]."""
    runs = []
    for day in sorted(set(days)):
        if runs and day - runs[-1][1] == timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


# The weekly chart draws at most this many bars; longer periods put several weeks in a bar.
WEEKLY_BARS = 26


def week_runs(weeks, size):
    """Runs of `size` weeks (diary.nights.Week), each with its cramps and, when it spans
    several weeks, their mean per week. Cramps are those of the run's nights: logged one by
    one, and added at check-ins."""
    runs = []
    for index in range(0, len(weeks), size):
        run = weeks[index : index + size]
        cramps = sum(week.summary.cramps for week in run)
        runs.append(
            {
                "first": run[0].first,
                "last": run[-1].last,
                "weeks": len(run),
                "cramps": cramps,
                "per_week": cramps if len(run) == 1 else round(cramps / len(run), 1),
                "checked": sum(week.summary.checked for week in run),
                "nights": sum(week.summary.nights for week in run),
            }
        )
    return runs


def week_labels(runs):
    """A date under every bar while they fit side by side, under every other one beyond; the
    month only where it changes ("1 Sep", "8", … "6 Oct"), so the labels fit a phone."""
    step = 1 if len(runs) <= 13 else 2
    labels, month = [], None
    for index, run in enumerate(runs):
        first = run["first"]
        if index % step:
            labels.append("")
        elif first.month == month:
            labels.append(str(first.day))
        else:
            labels.append(f"{first.day} {first:%b}")
            month = first.month
    return labels


def summary(episodes, weeks, start, end, today, night):
    """Page one of the report: a period's figures in the order a doctor reads them.

    The period figures of the month page, with the worst pain and the cramps in each week of
    nights (diary.nights.weeks). The view adds what needs more than the episodes: the person,
    the nights as a whole, the advice and anything else the summary grows.
    """
    size = max(1, -(-len(weeks) // WEEKLY_BARS))
    runs = week_runs(weeks, size)
    period = figures(episodes, night)
    period["weeks"] = runs
    period["weeks_per_bar"] = size
    period["week_bars"] = bars(
        list(zip(week_labels(runs), (run["per_week"] for run in runs), strict=True)),
        height=60,
        slot=36 if len(runs) <= 13 else 24,
    )
    # As tall as the weekly chart, so both write their numbers at one size on paper.
    blocks = period["hours"]["blocks"]
    period["hour_bars"] = bars([(label[:2], n) for label, n in blocks], height=60)
    period["days"] = days_covered(start, end, today)
    return period
