"""The pure matcher: plain data in, ranked matches with reasons out. No database here."""

import pytest

from diary.vocabulary import Hours
from knowledge.matching import (
    CAUSE_THRESHOLD,
    FACTS,
    MAX_CAUSES,
    MIN_PERIOD_DAYS,
    PREVENTION,
    RED_FLAG_THRESHOLD,
    RELIEF,
    TIPS_SHOWN,
    Period,
    Rule,
    Situation,
    TipInfo,
    evaluate,
    rank_tips,
    tip_kinds,
    validate_rule,
)


def situation(**overrides):
    values = {
        "duration_seconds": 60,
        "intensity": 5,
        "foot": "left",
        "local_hour": 14,
        "night": Hours(22, 6),
        "texts": {"fluids": "500 ml", "duration": "40 min", "time": "03:10", "activity": "running"},
        "labels": {"triggers": {"cold": "cold feet", "smoking": "smoking"}},
    }
    values.update(overrides)
    return Situation(**values)


def rule(target, fact, value="", weight=40, reason="Because.", red=False):
    return Rule(target, red, fact, value, weight, reason)


def test_a_cause_whose_rules_hold_is_listed_with_its_reason_filled_in():
    rules = [rule("dehydration", "fluids_below", "1500", reason="You drank {fluids}.")]

    result = evaluate(situation(fluid_ml=500), rules)

    assert [m.target for m in result.causes] == ["dehydration"]
    assert result.causes[0].reasons == ["You drank 500 ml."]


def test_unlogged_fluids_match_neither_below_nor_above():
    rules = [rule("dehydration", "fluids_below", "1500"), rule("x", "fluids_above", "0")]

    assert evaluate(situation(fluid_ml=None), rules).causes == []


def test_weights_add_up_and_the_strongest_cause_comes_first():
    rules = [
        rule("cold-exposure", "trigger_any", "cold", weight=30),
        rule("poor-circulation", "trigger_any", "smoking", weight=30),
        rule("poor-circulation", "night", "", weight=20),
    ]

    result = evaluate(situation(triggers=frozenset({"cold", "smoking"}), local_hour=3), rules)

    assert [(m.target, m.score) for m in result.causes] == [
        ("poor-circulation", 50),
        ("cold-exposure", 30),
    ]


def test_a_cause_below_the_threshold_is_left_out_rather_than_padding_the_list():
    rules = [rule("aging", "foot_is", "left", weight=CAUSE_THRESHOLD - 1)]

    assert evaluate(situation(), rules).causes == []


def test_at_most_five_causes_are_listed():
    rules = [rule(f"cause-{n}", "foot_is", "left", weight=30 + n) for n in range(8)]

    causes = evaluate(situation(), rules).causes

    assert len(causes) == MAX_CAUSES
    assert causes[0].target == "cause-7"


def test_a_red_flag_needs_the_full_weight_so_two_facts_can_be_required_together():
    rules = [
        rule("persistent-night-cramps", "night", "", weight=50, red=True),
        rule("persistent-night-cramps", "episodes_30d_at_least", "8", weight=50, red=True),
    ]

    assert evaluate(situation(local_hour=3, count_30d=3), rules).red_flags == []
    flags = evaluate(situation(local_hour=3, count_30d=8), rules).red_flags
    assert [flag.target for flag in flags] == ["persistent-night-cramps"]
    assert RED_FLAG_THRESHOLD == 100


def test_list_placeholders_name_only_the_logged_values_that_matched():
    rules = [
        rule("poor-circulation", "trigger_any", "smoking,alcohol", reason="You noted {triggers}.")
    ]

    result = evaluate(situation(triggers=frozenset({"cold", "smoking"})), rules)

    assert result.causes[0].reasons == ["You noted smoking."]


@pytest.mark.parametrize(
    ("hour", "night"),
    [(21, False), (22, True), (23, True), (0, True), (5, True), (6, False), (14, False)],
)
def test_a_night_across_midnight_runs_from_its_start_up_to_its_end(hour, night):
    assert (hour in Hours(22, 6)) is night


@pytest.mark.parametrize(
    ("hour", "night"), [(23, False), (0, True), (4, True), (5, False), (12, False)]
)
def test_a_night_that_does_not_cross_midnight_holds_only_between_its_hours(hour, night):
    assert (hour in Hours(0, 5)) is night


def test_the_night_fact_uses_the_night_the_situation_was_given():
    rules = [rule("poor-circulation", "night", "")]

    assert evaluate(situation(local_hour=23, night=Hours(22, 6)), rules).causes
    assert not evaluate(situation(local_hour=23, night=Hours(0, 5)), rules).causes
    assert evaluate(situation(local_hour=3, night=Hours(0, 5)), rules).causes


def test_a_rule_can_set_its_own_night_hours():
    rules = [rule("poor-circulation", "night", "1-4")]

    assert evaluate(situation(local_hour=3), rules).causes
    assert not evaluate(situation(local_hour=23), rules).causes


def test_every_fact_can_hold_and_can_fail():
    """One situation where each fact holds and one where it does not, so no fact is dead."""
    holds = situation(
        fluid_ml=500,
        activity="running",
        triggers=frozenset({"cold"}),
        symptoms=frozenset({"woke_me"}),
        locations=frozenset({"toes"}),
        duration_seconds=600,
        intensity=8,
        local_hour=3,
        age=80,
        conditions=frozenset({"diabetes"}),
        medications=frozenset({"statin"}),
        pregnant=True,
        count_7d=7,
        count_30d=12,
    )
    fails = situation(fluid_ml=None, duration_seconds=None, intensity=None, age=None)
    values = {
        "fluids_below": "1500",
        "fluids_above": "400",
        "activity_in": "running",
        "trigger_any": "cold",
        "symptom_any": "woke_me",
        "location_any": "toes",
        "foot_is": "left",
        "duration_over": "300",
        "intensity_at_least": "7",
        "night": "",
        "age_at_least": "65",
        "condition_any": "diabetes",
        "medication_any": "statin",
        "pregnant": "",
        "episodes_7d_at_least": "7",
        "episodes_30d_at_least": "12",
    }
    cramp_facts = {name for name, fact in FACTS.items() if fact.scope == "cramp"}
    assert set(values) == cramp_facts
    for fact, value in values.items():
        check = [rule("target", fact, value, weight=CAUSE_THRESHOLD)]
        assert evaluate(holds, check).causes, fact
        if fact != "foot_is":
            assert not evaluate(fails, check).causes, fact
    assert not evaluate(situation(foot="right"), [rule("t", "foot_is", "left")]).causes


def period_rules():
    return [
        rule("frequent", "period_per_week_over", "3", weight=100, red=True, reason="{per_week}"),
        rule("nights", "period_night_days_percent_over", "50", weight=100, red=True),
    ]


def test_a_period_with_more_than_three_cramps_a_week_raises_the_frequent_warning():
    busy = Period(days=14, cramps=7, night_days=2, texts={"per_week": "7 in 14 days"})
    calm = Period(days=14, cramps=6, night_days=2)

    flags = evaluate(busy, period_rules()).red_flags
    assert [(flag.target, flag.reasons) for flag in flags] == [("frequent", ["7 in 14 days"])]
    assert evaluate(calm, period_rules()).red_flags == []


def test_a_period_with_cramps_on_most_nights_raises_the_night_warning():
    assert "nights" in [f.target for f in evaluate(Period(10, 6, 6), period_rules()).red_flags]
    assert "nights" not in [f.target for f in evaluate(Period(10, 5, 5), period_rules()).red_flags]


def test_a_period_shorter_than_a_week_raises_nothing():
    assert evaluate(Period(MIN_PERIOD_DAYS - 1, 30, 6), period_rules()).red_flags == []
    assert evaluate(Period(MIN_PERIOD_DAYS, 30, 6), period_rules()).red_flags


def test_rules_about_periods_never_hold_for_one_cramp_and_the_reverse():
    cramp_rule = [rule("frequent", "episodes_7d_at_least", "0", weight=100, red=True)]

    assert evaluate(situation(), period_rules()).red_flags == []
    assert evaluate(Period(30, 90, 30), cramp_rule).red_flags == []


def test_a_valid_rule_has_no_errors():
    assert validate_rule("fluids_below", "1500", "You drank {fluids} the day before.") == {}


@pytest.mark.parametrize(
    ("fact", "value", "reason", "field", "words"),
    [
        ("sunshine", "", "Reason.", "fact", "not a fact"),
        ("fluids_below", "lots", "Reason.", "value", "whole number"),
        ("fluids_below", "99999", "Reason.", "value", "no larger"),
        ("trigger_any", "cold,flying", "Reason.", "value", "flying"),
        ("trigger_any", "", "Reason.", "value", "at least one"),
        ("pregnant", "yes", "Reason.", "value", "no value"),
        ("night", "25-6", "Reason.", "value", "0 to 23"),
        ("night", "late", "Reason.", "value", "start-end"),
        ("fluids_below", "1500", "You drank {fluids", "reason", "malformed"),
        ("fluids_below", "1500", "You drank {duration}.", "reason", "{duration}"),
        ("fluids_below", "1500", "You drank {fluids!r}.", "reason", "plain name"),
        ("fluids_below", "1500", "   ", "reason", "Write the reason"),
    ],
)
def test_a_malformed_rule_is_rejected_with_a_message(fact, value, reason, field, words):
    errors = validate_rule(fact, value, reason)

    assert words in " ".join(errors[field])


def test_reasons_come_strongest_first_and_a_reason_two_rules_give_is_said_once():
    rules = [
        rule("frequent", "episodes_30d_at_least", "4", weight=50, red=True, reason="{count_30d}"),
        rule("frequent", "episodes_30d_at_least", "12", weight=100, red=True, reason="{count_30d}"),
        rule("frequent", "foot_is", "left", weight=10, red=True, reason="Left."),
        rule("frequent", "intensity_at_least", "5", weight=60, red=True, reason="Hurt."),
    ]

    flag = evaluate(situation(count_30d=12, texts={"count_30d": "12 cramps"}), rules).red_flags[0]

    assert flag.reasons == ["12 cramps", "Hurt.", "Left."]
    assert flag.score == 220


def test_a_cramps_page_gives_the_reasons_that_could_show_a_cause_and_leaves_out_small_hints():
    rules = [
        rule("dehydration", "fluids_below", "1500", weight=CAUSE_THRESHOLD, reason="Drank little."),
        rule("dehydration", "activity_in", "running", weight=10, reason="Ran."),
        rule("aging", "foot_is", "left", weight=15, reason="Small."),
        rule("aging", "intensity_at_least", "1", weight=20, reason="Bigger."),
    ]

    causes = evaluate(situation(fluid_ml=500, activity="running"), rules).causes

    assert [(m.target, m.main_reasons) for m in causes] == [
        ("aging", ["Bigger."]),
        ("dehydration", ["Drank little."]),
    ]


# Choosing tips


def tip(slug, kind=PREVENTION, causes=(), habits=(), general=False):
    return TipInfo(
        slug, slug.replace("-", " "), kind, frozenset(causes), frozenset(habits), general
    )


MANY = [f"cause-{n}" for n in range(12)]


def test_a_tip_for_just_the_matched_cause_ranks_above_one_said_for_many_causes():
    warmth = tip("apply-warmth", RELIEF, ["cold-exposure", *MANY])
    socks = tip("wear-socks", RELIEF, ["cold-exposure"])

    chosen = rank_tips([("cold-exposure", 50)], [warmth, socks], kinds=[RELIEF])

    assert chosen.shown == [socks, warmth]


def test_a_tip_for_the_stronger_causes_ranks_first_and_one_for_no_matched_cause_is_left_out():
    tips = [
        tip("a-for-weak", causes=["weak"]),
        tip("b-for-strong", causes=["strong"]),
        tip("c-for-both", causes=["strong", "weak"]),
        tip("d-for-neither", causes=["other"]),
    ]

    chosen = rank_tips([("strong", 60), ("weak", 30)], tips, kinds=[PREVENTION])

    assert [t.slug for t in chosen.shown] == ["c-for-both", "b-for-strong", "a-for-weak"]
    assert chosen.more == []


def test_a_habit_tip_shows_only_when_the_habit_was_logged_and_then_counts_double():
    smoking = tip("stop-smoking", causes=["poor-circulation"], habits=["smoking", "alcohol"])
    moving = tip("change-position", causes=["poor-circulation", "prolonged-position"])
    causes = [("poor-circulation", 35), ("prolonged-position", 35)]

    at_night = rank_tips(causes, [smoking, moving], logged=frozenset())
    after_a_cigarette = rank_tips(causes, [smoking, moving], logged=frozenset({"smoking"}))

    assert at_night.shown == [moving] and at_night.more == []
    assert after_a_cigarette.shown == [smoking, moving]


def test_at_most_three_tips_of_each_kind_are_shown_and_the_rest_kept_in_the_same_order():
    tips = [tip(f"p{n}", PREVENTION, ["c"]) for n in range(5)]
    tips += [tip(f"r{n}", RELIEF, ["c"]) for n in range(4)]

    chosen = rank_tips([("c", 40)], tips, kinds=[PREVENTION, RELIEF])

    assert TIPS_SHOWN == 3
    assert [t.slug for t in chosen.shown] == ["p0", "p1", "p2", "r0", "r1", "r2"]
    assert [t.slug for t in chosen.more] == ["p3", "p4", "r3"]


def test_relief_comes_first_for_a_cramp_that_is_happening_and_prevention_otherwise():
    tips = [tip("rest", RELIEF, ["c"]), tip("prevent", PREVENTION, ["c"])]

    assert tip_kinds(fresh=True) == [RELIEF, PREVENTION]
    assert tip_kinds(fresh=False) == [PREVENTION, RELIEF]
    assert [t.kind for t in rank_tips([("c", 30)], tips, kinds=tip_kinds(True)).shown] == [
        RELIEF,
        PREVENTION,
    ]
    assert [t.kind for t in rank_tips([("c", 30)], tips, kinds=tip_kinds(False)).shown] == [
        PREVENTION,
        RELIEF,
    ]


def test_the_general_relief_steps_stand_in_when_no_cause_matched():
    general = [tip(f"step-{n}", RELIEF, [], general=True) for n in range(4)]
    specific = tip("stop-the-stretch", RELIEF, ["stretching-cramp"])
    prevention = tip("drink", PREVENTION, ["dehydration"])
    tips = [*general, specific, prevention]

    nothing_matched = rank_tips([], tips, kinds=tip_kinds(fresh=True))
    a_cause_matched = rank_tips([("stretching-cramp", 60)], tips, kinds=tip_kinds(fresh=True))
    a_period = rank_tips([], tips, kinds=[PREVENTION])

    assert nothing_matched.shown == general[:3] and nothing_matched.more == general[3:]
    assert a_cause_matched.shown == [specific]
    assert a_period.shown == [] and a_period.more == []
