"""diary.stats on hand-worked tables and on simulated data with a known answer."""

import math
import random

import pytest
from scipy.stats import false_discovery_control

from diary import stats
from diary.vocabulary import Factor

# Two factors are enough to read; the false discovery control is checked with all eleven.
TWO = [("alcohol", "Alcohol"), ("stretched", "Stretched")]


def nights(table, factor="alcohol"):
    """(factors, cramp, 1) rows for a 2×2 table: cramp nights with, nights with, and without."""
    cramps_with, nights_with, cramps_without, nights_without = table
    rows = [((factor,), n < cramps_with, 1) for n in range(nights_with)]
    rows += [((), n < cramps_without, 1) for n in range(nights_without)]
    return rows


def test_nights_counted_together_give_the_same_table_as_one_by_one():
    one_by_one = nights((10, 20, 5, 40))
    together = [(("alcohol",), True, 10), (("alcohol",), False, 10), ((), True, 5), ((), False, 35)]

    assert stats.links(one_by_one, TWO) == stats.links(together, TWO)


def test_a_risk_ratio_and_its_interval_match_the_hand_worked_figures():
    # 10 of 20 nights with alcohol had a cramp, 5 of 40 without: (10/20) / (5/40) = 4.
    # Katz: SE of log RR = sqrt(1/10 - 1/20 + 1/5 - 1/40) = sqrt(0.225) = 0.4743,
    # so 4 × exp(±1.95996 × 0.4743) = 1.5787 to 10.1349.
    ratio, low, high = stats.risk_ratio(10, 20, 5, 40)

    assert ratio == pytest.approx(4.0)
    assert low == pytest.approx(4 * math.exp(-1.959964 * math.sqrt(0.225)), rel=1e-4)
    assert high == pytest.approx(4 * math.exp(1.959964 * math.sqrt(0.225)), rel=1e-4)
    assert (round(low, 3), round(high, 3)) == (1.579, 10.135)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # No cramp night with it: the ratio is 0, and Katz's interval has no upper end.
        ((0, 20, 5, 40), (0.0, None, None)),
        # No cramp night without it: the ratio is infinite, so it is not given.
        ((10, 20, 0, 40), (None, None, None)),
        # No cramp night at all: 0/0.
        ((0, 20, 0, 40), (None, None, None)),
        # Every night a cramp night: a ratio of 1 whose interval would have no width.
        ((20, 20, 40, 40), (1.0, None, None)),
    ],
)
def test_a_table_with_an_empty_cell_gives_no_interval_rather_than_a_made_up_one(table, expected):
    assert stats.risk_ratio(*table) == expected


def test_every_cramp_night_with_it_still_has_an_interval_when_some_nights_without_were_free():
    # 20 of 20 against 10 of 40: SE = sqrt(1/20 - 1/20 + 1/10 - 1/40) = sqrt(0.075).
    ratio, low, high = stats.risk_ratio(20, 20, 10, 40)

    assert ratio == pytest.approx(4.0)
    assert low == pytest.approx(4 * math.exp(-1.959964 * math.sqrt(0.075)), rel=1e-4)
    assert high == pytest.approx(4 * math.exp(1.959964 * math.sqrt(0.075)), rel=1e-4)


def test_a_factor_with_fewer_than_seven_nights_on_a_side_is_not_tested():
    pairs = nights((5, 6, 10, 40)) + nights((0, 0, 0, 0))
    few_without = nights((10, 40, 1, 6))

    link = stats.links(pairs, TWO)[0]

    assert (link.nights_with, link.nights_without, link.verdict) == (6, 40, stats.TOO_FEW)
    assert (link.ratio, link.ci_low, link.p_value) == (None, None, None)
    assert stats.links(few_without, TWO)[0].verdict == stats.TOO_FEW
    # A factor never named is too few as well, with the other nights counted without it.
    assert stats.links(pairs, TWO)[1].nights_without == 46


def test_a_clear_link_says_more_and_a_clear_protective_one_says_fewer():
    more = stats.links(nights((15, 20, 8, 40)), TWO)[0]
    fewer = stats.links(nights((3, 30, 25, 40), "stretched"), TWO)[1]

    assert (more.verdict, fewer.verdict) == (stats.MORE, stats.FEWER)
    assert more.ci_low > 1 and fewer.ci_high < 1
    assert more.adjusted_p <= 0.05 and fewer.adjusted_p <= 0.05


def test_a_table_with_an_empty_cell_is_unclear_however_small_its_p_value():
    # 0 of 30 nights after stretching had a cramp, against 30 of 40 without.
    link = stats.links(nights((0, 30, 30, 40), "stretched"), TWO)[1]

    assert link.p_value < 1e-6
    assert (link.ratio, link.ci_low, link.ci_high, link.verdict) == (0.0, None, None, "unclear")


def test_nights_that_are_all_alike_are_unclear_and_not_counted_as_tests():
    link = stats.links(nights((0, 20, 0, 40)), TWO)[0]

    assert link.verdict == stats.UNCLEAR
    assert (link.p_value, link.tested) == (None, False)


def test_the_false_discovery_control_can_turn_a_lone_interval_above_one_into_unclear():
    # Fisher's p for 13 of 20 against 13 of 40 is about 0.01: alone it would count; among
    # ten other factors with nothing in them, Benjamini–Hochberg multiplies it by up to eleven.
    random_factors = [("alcohol",)] * 20 + [()] * 40
    cramps = [n < 13 for n in range(20)] + [n < 13 for n in range(40)]
    pairs = []
    for index, (factors, cramp) in enumerate(zip(random_factors, cramps, strict=True)):
        others = tuple(value for k, value in enumerate(Factor.values[1:]) if (index + k) % 2)
        pairs.append((factors + others, cramp, 1))

    link = stats.links(pairs, Factor.choices)[0]

    assert link.ci_low > 1
    assert link.p_value < 0.05 < link.adjusted_p
    assert link.verdict == stats.UNCLEAR


def test_the_adjusted_p_values_are_benjamini_hochbergs():
    # Hand-worked: sorted p (0.01, 0.04, 0.30) × 3 / rank = (0.03, 0.06, 0.30); scipy's
    # default method, which stats.links uses.
    assert list(false_discovery_control([0.04, 0.01, 0.3])) == pytest.approx([0.06, 0.03, 0.3])


def simulate(rng, nights_count, chances, effect=None):
    """(factors, cramp, 1) for each night: factors drawn at `chances`, a cramp with 35%,
    doubled on nights with the `effect` factor."""
    rows = []
    for _ in range(nights_count):
        factors = tuple(value for value, chance in chances.items() if rng.random() < chance)
        chance = 0.35 * (2 if effect in factors else 1)
        rows.append((factors, rng.random() < chance, 1))
    return rows


CHANCES = dict.fromkeys(Factor.values, 0.25)


def test_with_no_effect_at_all_more_or_fewer_appear_in_at_most_about_five_percent_of_runs():
    rng = random.Random(13)
    runs = 100
    flagged = 0
    for _ in range(runs):
        links = stats.links(simulate(rng, 120, CHANCES), Factor.choices)
        flagged += any(link.verdict in (stats.MORE, stats.FEWER) for link in links)

    # The false discovery control bounds the chance of any false verdict among the eleven
    # at 5% when no factor has an effect (1,000 runs of this give 3.0%, see the README).
    assert flagged / runs <= 0.05


def test_a_factor_that_doubles_the_chance_of_a_cramp_night_is_found():
    # Eight months of nights, a quarter of them after alcohol: found in about 96% of runs
    # (in 69% with four months, 25% with two: the README has the figures).
    rng = random.Random(7)
    runs = 40
    found = wrong = 0
    for _ in range(runs):
        links = stats.links(simulate(rng, 240, CHANCES, effect="alcohol"), Factor.choices)
        by_factor = {link.factor: link for link in links}
        found += by_factor["alcohol"].verdict == stats.MORE
        wrong += any(
            link.verdict in (stats.MORE, stats.FEWER)
            for f, link in by_factor.items()
            if f != "alcohol"
        )

    assert found / runs >= 0.8
    assert wrong / runs <= 0.1


def test_a_share_has_wilsons_interval():
    # Wilson for 5 of 10: 0.5 ± 1.96 × sqrt(0.25/10 + 1.96²/400) / (1 + 1.96²/10).
    share = stats.share(5, 10)

    assert share.share == 0.5
    assert (round(share.low, 3), round(share.high, 3)) == (0.237, 0.763)
    assert stats.share(0, 0) is None


def test_a_trend_needs_six_weeks_and_reads_rising_falling_or_no_clear_trend():
    rising = stats.trend([(week, 2 + week) for week in range(8)])
    falling = stats.trend([(week, 20 - 2 * week) for week in range(8)])
    flat = stats.trend([(week, [3, 5, 4, 3, 5, 4, 3, 5][week]) for week in range(8)])

    assert stats.trend([(week, week) for week in range(5)]) is None
    assert (rising.slope, rising.direction) == (1.0, "rising")
    assert (falling.slope, falling.direction) == (-2.0, "falling")
    assert flat.direction == "no clear trend" and flat.low < 0 < flat.high


def test_with_no_change_over_twelve_weeks_the_trend_is_rarely_called():
    rng = random.Random(3)
    runs = 100
    called = 0
    for _ in range(runs):
        # Cramps per week from seven nights, each with a 40% chance of one or two cramps.
        weeks = [
            (week, sum(rng.choice([1, 2]) for _ in range(7) if rng.random() < 0.4))
            for week in range(12)
        ]
        called += stats.trend(weeks).direction != "no clear trend"

    assert called / runs <= 0.08
