"""What a person's own nights say: each factor's link with cramp nights, a trend, a share.

Pure functions over plain numbers, with the estimates and intervals from scipy rather than
formulas of our own, so each can be checked on hand-worked tables and simulated data
(tests/test_stats.py). Nothing here is stronger than the data: an estimate that cannot be
made is None, and a factor is only said to go with more or fewer cramps when its interval
is clear of 1 *and* it survives the false discovery control across every factor tested.

Risk ratio: the chance of a cramp night with a factor over the chance without it, with
Katz's log interval (scipy.stats.contingency.relative_risk). That interval needs at least
one cramp night on each side, and at least one cramp-free night on one side; where a table
lacks them the ratio's interval is None ("cannot be estimated") and the verdict is unclear.
No continuity correction is added, so no figure shown rests on made-up half nights.

False discovery control: each table's two-sided p-value from Fisher's exact test
(scipy.stats.fisher_exact, valid for small and empty cells), adjusted across the factors
tested with the Benjamini–Hochberg procedure (scipy.stats.false_discovery_control).
Pearson's chi-square would cost a tenth as much on a long diary, but in simulations it let
false verdicts reach the full 5% where Fisher's test stays under it.
"""

import functools
import math
from collections import Counter
from dataclasses import dataclass, replace

# scipy.stats is imported by the functions that use it: it takes over a second to import,
# and every process (each web worker, every manage.py command) imports this module through
# diary.models, most of them never to test anything.

CONFIDENCE = 0.95
FALSE_DISCOVERY_RATE = 0.05
# Fewer checked nights than this with a factor, or without it, and it is not tested at all.
MIN_NIGHTS = 7
# A week enters the trend when at least this many of its nights are known, and a trend is
# fitted to at least this many such weeks.
TREND_MIN_KNOWN_NIGHTS = 4
TREND_MIN_WEEKS = 6

# A person's tables change only when a night ends with a check-in, yet every page built after
# any other change (a tap in the night under way, an edit of tonight's cramp) tests them all
# again, and scipy takes 1-2 ms a table: so each process keeps this many results, by table.
TABLES_KEPT = 4096

MORE, FEWER, UNCLEAR, TOO_FEW = "more", "fewer", "unclear", "too_few"
VERDICTS = {
    MORE: "More cramp nights",
    FEWER: "Fewer cramp nights",
    UNCLEAR: "Unclear",
    TOO_FEW: "Too few nights",
}


@dataclass(frozen=True)
class Link:
    """One factor's 2×2 table of checked nights, its risk ratio and verdict."""

    factor: str
    label: str
    nights_with: int
    cramp_nights_with: int
    nights_without: int
    cramp_nights_without: int
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p_value: float | None = None  # before adjustment
    adjusted_p: float | None = None  # Benjamini–Hochberg, across the factors tested
    verdict: str = TOO_FEW

    @property
    def verdict_label(self):
        return VERDICTS[self.verdict]

    @property
    def tested(self):
        """Whether it was one of the tests the false discovery control was applied across."""
        return self.p_value is not None

    @property
    def share_with(self):
        return self.cramp_nights_with / self.nights_with if self.nights_with else None

    @property
    def share_without(self):
        return self.cramp_nights_without / self.nights_without if self.nights_without else None


def finite(value):
    value = float(value)
    return value if math.isfinite(value) else None


@functools.lru_cache(maxsize=TABLES_KEPT)
def risk_ratio(cases_with, total_with, cases_without, total_without):
    """(ratio, low, high) of the chance of a case with against without; None where undefined.

    The ratio itself is None when no night on either side had a cramp (0/0); the interval
    is None when it cannot be estimated (see the module's docstring).
    """
    if cases_without == 0 and cases_with == 0:
        return None, None, None
    from scipy.stats.contingency import relative_risk

    result = relative_risk(cases_with, total_with, cases_without, total_without)
    ratio = float(result.relative_risk)
    if cases_with == 0 or cases_without == 0:
        return (ratio if math.isfinite(ratio) else None), None, None
    if cases_with == total_with and cases_without == total_without:
        # Every night a cramp night: the interval would have no width, which says nothing.
        return ratio, None, None
    interval = result.confidence_interval(CONFIDENCE)
    return ratio, finite(interval.low), finite(interval.high)


def tables(rows, choices):
    """The 2×2 table of each factor in `choices`, from (factors, cramp night, nights) rows."""
    nights_with, cramp_nights_with = Counter(), Counter()
    total = cramp_nights = 0
    for factors, cramp, count in rows:
        total += count
        cramp_nights += count * cramp
        for factor in factors:
            nights_with[factor] += count
            cramp_nights_with[factor] += count * cramp
    return [
        Link(
            value,
            label,
            nights_with[value],
            cramp_nights_with[value],
            total - nights_with[value],
            cramp_nights - cramp_nights_with[value],
        )
        for value, label in choices
    ]


def testable(link):
    """Enough nights on both sides, and some but not all of them cramp nights."""
    nights = link.nights_with + link.nights_without
    cramp_nights = link.cramp_nights_with + link.cramp_nights_without
    return min(link.nights_with, link.nights_without) >= MIN_NIGHTS and 0 < cramp_nights < nights


def p_value(link):
    """Fisher's exact two-sided p of no difference: exact, and valid for small and empty
    cells, so the verdicts never lean on an approximation."""
    return fisher_p(
        link.cramp_nights_with,
        link.nights_with - link.cramp_nights_with,
        link.cramp_nights_without,
        link.nights_without - link.cramp_nights_without,
    )


@functools.lru_cache(maxsize=TABLES_KEPT)
def fisher_p(cases_with, others_with, cases_without, others_without):
    from scipy.stats import fisher_exact

    return float(fisher_exact([[cases_with, others_with], [cases_without, others_without]]).pvalue)


def links(rows, choices):
    """A Link per factor in `choices` ((value, label) pairs), in their order.

    `rows` are (factors, whether a cramp night, how many such checked nights): one per night,
    or fewer, counted by the database. Only the testable factors count towards the false
    discovery control.
    """
    from scipy.stats import false_discovery_control

    counted = tables(rows, choices)
    tested = [link for link in counted if testable(link)]
    p_values = [p_value(link) for link in tested]
    adjusted = false_discovery_control(p_values) if p_values else []
    tests = {
        link.factor: (float(p), float(q))
        for link, p, q in zip(tested, p_values, adjusted, strict=True)
    }
    return [estimated(link, *tests.get(link.factor, (None, None))) for link in counted]


def estimated(link, p_value, adjusted_p):
    """The link with its ratio, interval and verdict filled in."""
    if min(link.nights_with, link.nights_without) < MIN_NIGHTS:
        return link
    ratio, low, high = risk_ratio(
        link.cramp_nights_with, link.nights_with, link.cramp_nights_without, link.nights_without
    )
    verdict = UNCLEAR
    if adjusted_p is not None and adjusted_p <= FALSE_DISCOVERY_RATE:
        if low is not None and low > 1:
            verdict = MORE
        elif high is not None and high < 1:
            verdict = FEWER
    return replace(
        link,
        ratio=ratio,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        adjusted_p=adjusted_p,
        verdict=verdict,
    )


@dataclass(frozen=True)
class Share:
    """How many of so many nights, with the interval of the underlying chance."""

    count: int
    of: int
    low: float
    high: float

    @property
    def share(self):
        return self.count / self.of


@functools.lru_cache(maxsize=TABLES_KEPT)
def share(count, of):
    """count of `of` with Wilson's score interval (scipy's binomtest), or None when of is 0."""
    if not of:
        return None
    from scipy.stats import binomtest

    interval = binomtest(count, of).proportion_ci(CONFIDENCE, method="wilson")
    return Share(count, of, float(interval.low), float(interval.high))


@dataclass(frozen=True)
class Trend:
    """Change in cramps per week, each week, by the Theil–Sen slope and its interval."""

    slope: float
    intercept: float
    low: float
    high: float
    weeks: int  # how many weeks it was fitted to

    @property
    def direction(self):
        if self.low > 0:
            return "rising"
        if self.high < 0:
            return "falling"
        return "no clear trend"

    def at(self, week):
        return self.intercept + self.slope * week


def trend(points):
    """Trend of (week index, cramps per week) points, or None with fewer than enough weeks.

    Theil–Sen (scipy.stats.theilslopes): the median of the slopes between every two weeks,
    so one unusual week moves it little, with Sen's interval for the slope.
    """
    if len(points) < TREND_MIN_WEEKS:
        return None
    weeks = [week for week, _rate in points]
    rates = [rate for _week, rate in points]
    from scipy.stats import theilslopes

    result = theilslopes(rates, weeks, alpha=CONFIDENCE)
    return Trend(
        float(result.slope),
        float(result.intercept),
        float(result.low_slope),
        float(result.high_slope),
        len(points),
    )
