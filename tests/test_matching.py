"""The pure matcher: plain data in, ranked matches with reasons out. No database here."""

import pytest

from knowledge.matching import (
    CAUSE_THRESHOLD,
    MAX_CAUSES,
    RED_FLAG_THRESHOLD,
    Rule,
    Situation,
    evaluate,
    is_night,
    validate_rule,
)


def situation(**overrides):
    values = {
        "duration_seconds": 60,
        "intensity": 5,
        "foot": "left",
        "local_hour": 14,
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
def test_night_runs_from_22_to_6(hour, night):
    assert is_night(hour, (22, 6)) is night


def test_a_rule_can_set_its_own_night_hours():
    rules = [rule("poor-circulation", "night", "1-4")]

    assert evaluate(situation(local_hour=3), rules).causes
    assert not evaluate(situation(local_hour=23), rules).causes


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
