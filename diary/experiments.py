"""A person's own trial of a change (an n-of-1 experiment): its schedule and its answer.

Pure functions over plain values, so the schedule and every figure can be checked by hand and
on simulated data (tests/test_experiments.py); the views read an experiment's nights in two
queries (check-ins, cramps per night) and hand them here.

Schedule: a baseline of BASELINE_NIGHTS nights, then periods of 7 or 14 nights. An alternating
experiment has PAIRS pairs, "with" and "without" the change in an order drawn with `secrets`
for each pair when the experiment is created, and stored (one letter a period: w or n). A
before/after experiment has one period with the change after the baseline. The first
WASH_IN_NIGHTS nights of each period are not counted: a change takes a while to act, and to
wear off.

Which nights count: a night is counted when it is checked in (its cramps are known), is not a
wash-in night, and what was done matches its period: done on a "with" night, not done on a
"without" or baseline night. Adherence thus decides which nights count; the planned schedule is
shown beside it.

The answer: the rate ratio of cramps per night with the change against without it (for a
before/after design, against the baseline), with a 95% interval from the exact conditional
test: given the total number of cramps, those on "with" nights are binomial, and the
Clopper–Pearson interval of that share (scipy's beta quantiles, as binomtest uses) turns into
an interval of the ratio. Cramps come in spells, so counts vary more from night to night than
a Poisson count would; the counts are divided by the Pearson dispersion of the nights (never
less than 1) before the interval is taken, the usual quasi-Poisson widening. Without it, one
in seven experiments with no effect said "fewer" or "more" in simulations of spells; with it,
fewer than one in twenty (tests/test_experiments.py).

For alternating designs, a randomisation test over the pairs also asks whether the difference
could come from the coin tosses alone: scipy's permutation_test flips the order within each
pair, every way (2 ** pairs), so its p-value can never be below 2 / 2 ** pairs.
"""

import itertools
import math
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .stats import CONFIDENCE, finite

# scipy.stats is imported by the functions that use it, as in diary.stats (see there).

ALTERNATING, BEFORE_AFTER = "alternating", "before_after"
BASELINE, WITH, WITHOUT = "baseline", "with", "without"
BASELINE_NIGHTS = 14
WASH_IN_NIGHTS = 2
PAIRS = 3
PERIOD_NIGHTS = (7, 14)
# How far back an experiment may start, so that past check-ins serve as its baseline.
MAX_NIGHTS_BACK = 90
# Fewer counted nights than this on either side, and no interval is worked out.
MIN_COUNTED_NIGHTS = 5

RUNNING, FEWER, UNCLEAR, MORE = "running", "fewer", "unclear", "more"
VERDICTS = {
    RUNNING: "Still running",
    FEWER: "Fewer cramps with the change",
    UNCLEAR: "No clear difference",
    MORE: "More cramps with the change",
}

LETTERS = {"w": WITH, "n": WITHOUT}
PAIR_ORDERS = ("wn", "nw")
# Every stored order a design allows: the model's constraint names them all.
ORDERS = {
    ALTERNATING: ["".join(pairs) for pairs in itertools.product(PAIR_ORDERS, repeat=PAIRS)],
    BEFORE_AFTER: ["w"],
}


def draw_order(design):
    """The order of the periods after the baseline, drawn with an unpredictable coin."""
    if design == BEFORE_AFTER:
        return "w"
    return "".join(secrets.choice(PAIR_ORDERS) for _ in range(PAIRS))


@dataclass(frozen=True)
class Period:
    kind: str  # BASELINE, WITH or WITHOUT
    first: date
    last: date
    pair: int | None = None  # 1, 2, 3 for an alternating design's periods

    def __contains__(self, night):
        return self.first <= night <= self.last

    @property
    def nights(self):
        return (self.last - self.first).days + 1

    def wash_in(self, night):
        return self.kind != BASELINE and (night - self.first).days < WASH_IN_NIGHTS


def periods(starts_on, period_nights, order, design):
    """The baseline and each period, in order, from the stored order."""
    found = [Period(BASELINE, starts_on, starts_on + timedelta(days=BASELINE_NIGHTS - 1))]
    first = found[0].last + timedelta(days=1)
    for index, letter in enumerate(order):
        pair = index // 2 + 1 if design == ALTERNATING else None
        last = first + timedelta(days=period_nights - 1)
        found.append(Period(LETTERS[letter], first, last, pair))
        first = last + timedelta(days=1)
    return found


def period_of(night, schedule):
    return next((period for period in schedule if night in period), None)


@dataclass(frozen=True)
class Night:
    night: date
    period: Period
    checked: bool
    done: bool | None  # None when not known
    cramps: int | None  # None when not known

    @property
    def wash_in(self):
        return self.period.wash_in(self.night)

    @property
    def adhered(self):
        if self.period.kind == WITH:
            return self.done is True
        return self.done is not True

    @property
    def counted(self):
        return self.checked and not self.wash_in and self.adhered


def plan(schedule, last, known, done):
    """A Night for every night of the schedule up to `last`.

    `known` maps a date to a diary.nights.Night; `done` maps a date to whether the change was
    done that night (absent when not known).
    """
    found = []
    for period in schedule:
        night = period.first
        while night <= min(period.last, last):
            diary_night = known.get(night)
            checked = bool(diary_night and diary_night.checked)
            cramps = diary_night.cramps if diary_night and diary_night.known else None
            found.append(Night(night, period, checked, done.get(night), cramps))
            night += timedelta(days=1)
    return found


@dataclass(frozen=True)
class Arm:
    nights: int
    cramps: int

    @property
    def per_night(self):
        return self.cramps / self.nights if self.nights else None


@dataclass(frozen=True)
class Result:
    with_change: Arm
    without_change: Arm  # the "without" periods, or the baseline for before/after
    baseline: Arm
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    dispersion: float | None = None
    randomisation_p: float | None = None
    pairs_tested: int = 0
    verdict: str = UNCLEAR

    @property
    def orders(self):
        """How many orders of the tested pairs the coin could have drawn."""
        return 2**self.pairs_tested

    @property
    def smallest_p(self):
        """The smallest p-value the randomisation test can give with this many pairs."""
        return 2 / self.orders if self.pairs_tested else None


def arm(nights):
    return Arm(len(nights), sum(night.cramps for night in nights))


def analyse(nights, design):
    """The Result of an experiment's Nights (see plan); the verdict is never RUNNING here."""
    counted = [night for night in nights if night.counted]
    baseline = [night for night in counted if night.period.kind == BASELINE]
    with_change = [night for night in counted if night.period.kind == WITH]
    without = (
        baseline
        if design == BEFORE_AFTER
        else [night for night in counted if night.period.kind == WITHOUT]
    )
    ratio, low, high, phi = rate_ratio(
        [night.cramps for night in with_change], [night.cramps for night in without]
    )
    verdict = UNCLEAR
    if low is not None and low > 1:
        verdict = MORE
    elif high is not None and high < 1:
        verdict = FEWER
    p, pairs = randomisation_test(with_change, without) if design == ALTERNATING else (None, 0)
    return Result(
        arm(with_change), arm(without), arm(baseline), ratio, low, high, phi, p, pairs, verdict
    )


def dispersion(*groups):
    """Pearson's dispersion of nightly counts around their group's mean, at least 1."""
    statistic, nights = 0.0, 0
    for counts in groups:
        counts = np.asarray(counts, dtype=float)
        nights += len(counts)
        mean = counts.mean() if len(counts) else 0
        if mean > 0:
            statistic += float(((counts - mean) ** 2 / mean).sum())
    freedom = nights - len(groups)
    return max(1.0, statistic / freedom) if freedom > 0 else 1.0


def rate_ratio(with_counts, without_counts):
    """(ratio, low, high, dispersion) of cramps per night with against without.

    None where it cannot be worked out: too few nights on a side, or no cramp at all. The
    ratio is 0 when no "with" night had a cramp, and its upper bound still says how large
    it could be.
    """
    nights_with, nights_without = len(with_counts), len(without_counts)
    if min(nights_with, nights_without) < MIN_COUNTED_NIGHTS:
        return None, None, None, None
    cramps_with, total = sum(with_counts), sum(with_counts) + sum(without_counts)
    if total == 0:
        return None, None, None, None
    phi = dispersion(with_counts, without_counts)
    # The exact conditional interval of the share of cramps on "with" nights, on counts
    # shrunk by the dispersion (the Clopper–Pearson bounds are these beta quantiles).
    x, n = cramps_with / phi, total / phi
    from scipy.stats import beta

    alpha = 1 - CONFIDENCE
    share_low = float(beta.ppf(alpha / 2, x, n - x + 1)) if x > 0 else 0.0
    share_high = float(beta.ppf(1 - alpha / 2, x + 1, n - x)) if x < n else 1.0

    def to_ratio(share):
        return share / (1 - share) * nights_without / nights_with if share < 1 else math.inf

    ratio = to_ratio(cramps_with / total)
    return finite(ratio), to_ratio(share_low), finite(to_ratio(share_high)), phi


def randomisation_test(with_change, without):
    """(p, pairs) of the two-sided randomisation test over the complete pairs, or (None, 0).

    A pair is complete when both of its periods have counted nights; the statistic is the
    mean over pairs of the difference in cramps per night.
    """
    rates = {}
    for night in [*with_change, *without]:
        cramps, nights = rates.get((night.period.pair, night.period.kind), (0, 0))
        rates[night.period.pair, night.period.kind] = (cramps + night.cramps, nights + 1)
    pairs = sorted({pair for pair, _kind in rates})
    pairs = [pair for pair in pairs if (pair, WITH) in rates and (pair, WITHOUT) in rates]
    if len(pairs) < 2:
        return None, len(pairs)
    with_rates = [rates[pair, WITH][0] / rates[pair, WITH][1] for pair in pairs]
    without_rates = [rates[pair, WITHOUT][0] / rates[pair, WITHOUT][1] for pair in pairs]
    from scipy.stats import permutation_test

    result = permutation_test(
        (with_rates, without_rates),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=np.inf,
        alternative="two-sided",
    )
    return float(result.pvalue), len(pairs)


def counts_by_period(schedule, nights):
    """A row a period: its nights so far, checked, counted, and cramps on counted nights."""
    rows = []
    for period in schedule:
        own = [night for night in nights if night.period == period]
        counted = [night for night in own if night.counted]
        cramps = sum(night.cramps for night in counted)
        rows.append(
            {
                "period": period,
                "so_far": len(own),
                "checked": sum(1 for night in own if night.checked),
                "counted": len(counted),
                "cramps": cramps,
                "per_night": cramps / len(counted) if counted else None,
            }
        )
    return rows


def timeline(nights, schedule, width_per_night=6, height=80):
    """Geometry of the server-drawn timeline: shaded periods and a bar per known night."""
    if not schedule:
        return None
    first = schedule[0].first
    highest = max([night.cramps or 0 for night in nights] + [1])
    total = (schedule[-1].last - first).days + 1

    def x(day):
        return (day - first).days * width_per_night

    return {
        "width": total * width_per_night,
        "height": height + 22,
        "baseline": height,
        "label_y": height + 17,
        "periods": [
            {
                "period": period,
                "x": x(period.first),
                "width": period.nights * width_per_night,
                "label_x": x(period.first) + 2,
            }
            for period in schedule
        ],
        "bars": [
            {
                "night": night,
                "x": x(night.night) + 1,
                "width": width_per_night - 2,
                "height": round(height * (night.cramps or 0) / highest, 1),
                "y": round(height - height * (night.cramps or 0) / highest, 1),
            }
            for night in nights
            if night.cramps is not None
        ],
        "highest": highest,
    }
