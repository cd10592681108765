"""Match one cramp, or a period of cramps, to its likely causes and to the warnings that apply,
and choose the tips for them.

Plain data in, ranked matches with reasons out: no database, no Django models. Rules are
content that editors change in the admin, so this module also says which rules are valid.

A rule tests one fact about the cramp and the person, or about a whole period of the diary.
Each cause, and each red flag, adds up the weights of its rules that hold; a cause is shown
from CAUSE_THRESHOLD, a red flag from RED_FLAG_THRESHOLD, so a red flag can need two facts
together (night and frequent, say).
"""

import math
import string
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from diary.vocabulary import (
    MAX_FLUID_ML,
    MAX_INTENSITY,
    MAX_SECONDS,
    Activity,
    Condition,
    Foot,
    Hours,
    Location,
    Medication,
    Symptom,
    Trigger,
)

CAUSE_THRESHOLD = 25
RED_FLAG_THRESHOLD = 100
MAX_CAUSES = 5
# A cramp's page shows this many causes with their reasons, and this many tips of each kind;
# the rest wait behind a disclosure, so that what matters most fits on a phone's screen.
CAUSES_SHOWN = 3
TIPS_SHOWN = 3
MIN_WEIGHT = 1
MAX_WEIGHT = 100
# A period shorter than a week says too little about how often cramps come.
MIN_PERIOD_DAYS = 7

CRAMP, PERIOD = "cramp", "period"
# The kinds of tip: relief while a cramp is happening, prevention of the next one.
RELIEF, PREVENTION = "relief", "prevention"


@dataclass(frozen=True)
class Fact:
    label: str
    help: str
    kind: str  # "number", "choices", "flag" or "hours"
    # test(situation, parsed value) -> whether the fact holds.
    test: Callable
    placeholder: str = ""
    allowed: tuple = ()
    maximum: int = 0
    # What the fact is about: one cramp (Situation) or a period of the diary (Period).
    scope: str = CRAMP


def _any_of(attribute):
    return lambda situation, chosen: bool(chosen & getattr(situation, attribute))


FACTS = {
    "fluids_below": Fact(
        "Drinks in the 24 hours before, below (ml)",
        "Holds when the person logged drinks under this many millilitres.",
        "number",
        lambda s, ml: s.fluid_ml is not None and s.fluid_ml < ml,
        "fluids",
        maximum=MAX_FLUID_ML,
    ),
    "fluids_above": Fact(
        "Drinks in the 24 hours before, above (ml)",
        "Holds when the person logged drinks over this many millilitres.",
        "number",
        lambda s, ml: s.fluid_ml is not None and s.fluid_ml > ml,
        "fluids",
        maximum=MAX_FLUID_ML,
    ),
    "activity_in": Fact(
        "What they were doing, one of",
        "A comma-separated list, such as running,sport.",
        "choices",
        lambda s, chosen: s.activity in chosen,
        "activity",
        tuple(Activity.values),
    ),
    "trigger_any": Fact(
        "Anything beforehand, any of",
        "A comma-separated list, such as tight_footwear,high_heels.",
        "choices",
        _any_of("triggers"),
        "triggers",
        tuple(Trigger.values),
    ),
    "symptom_any": Fact(
        "Other symptoms, any of",
        "A comma-separated list, such as numbness_tingling.",
        "choices",
        _any_of("symptoms"),
        "symptoms",
        tuple(Symptom.values),
    ),
    "location_any": Fact(
        "Where on the foot, any of",
        "A comma-separated list, such as toes,ball.",
        "choices",
        _any_of("locations"),
        "locations",
        tuple(Location.values),
    ),
    "foot_is": Fact(
        "Which foot, one of",
        "A comma-separated list of left, right, both.",
        "choices",
        lambda s, chosen: s.foot in chosen,
        "foot",
        tuple(Foot.values),
    ),
    "duration_over": Fact(
        "Lasted longer than (seconds)",
        "Holds when the cramp lasted longer than this many seconds.",
        "number",
        lambda s, seconds: s.duration_seconds is not None and s.duration_seconds > seconds,
        "duration",
        maximum=MAX_SECONDS,
    ),
    "intensity_at_least": Fact(
        f"Pain at least (0 to {MAX_INTENSITY})",
        "Holds when the pain was logged at this level or higher.",
        "number",
        lambda s, level: s.intensity is not None and s.intensity >= level,
        "intensity",
        maximum=MAX_INTENSITY,
    ),
    "night": Fact(
        "At night",
        "Empty for the site's night hours (see the README), or hours such as 23-5.",
        "hours",
        lambda s, hours: s.local_hour in (hours or s.night),
        "time",
    ),
    "age_at_least": Fact(
        "Age at least (years)",
        "Holds when the profile's year of birth gives this age or more.",
        "number",
        lambda s, years: s.age is not None and s.age >= years,
        "age",
        maximum=130,
    ),
    "condition_any": Fact(
        "Health conditions, any of",
        "A comma-separated list, such as diabetes,neuropathy.",
        "choices",
        _any_of("conditions"),
        "conditions",
        tuple(Condition.values),
    ),
    "medication_any": Fact(
        "Regular medicines, any of",
        "A comma-separated list, such as diuretic,statin.",
        "choices",
        _any_of("medications"),
        "medications",
        tuple(Medication.values),
    ),
    "pregnant": Fact("Pregnant", "Leave the value empty.", "flag", lambda s, _value: s.pregnant),
    "episodes_7d_at_least": Fact(
        "Cramps in the 7 days before, at least",
        "Counts the person's cramps in the week before this one.",
        "number",
        lambda s, count: s.count_7d >= count,
        "count_7d",
        maximum=10_000,
    ),
    "episodes_30d_at_least": Fact(
        "Cramps in the 30 days before, at least",
        "Counts the person's cramps in the 30 days before this one.",
        "number",
        lambda s, count: s.count_30d >= count,
        "count_30d",
        maximum=10_000,
    ),
    "period_per_week_over": Fact(
        "Over a period: cramps per week, more than",
        f"For a month or a report of at least {MIN_PERIOD_DAYS} days: holds when the cramps "
        "logged average more than this many a week.",
        "number",
        lambda p, per_week: p.cramps * 7 > per_week * p.days,
        "per_week",
        maximum=10_000,
        scope=PERIOD,
    ),
    "period_night_days_percent_over": Fact(
        "Over a period: days with a cramp at night, more than (%)",
        f"For a month or a report of at least {MIN_PERIOD_DAYS} days: holds when more than "
        "this share of its days had a cramp in the night hours.",
        "number",
        lambda p, percent: p.night_days * 100 > percent * p.days,
        "night_days",
        maximum=100,
        scope=PERIOD,
    ),
}
FACT_CHOICES = [(name, fact.label) for name, fact in FACTS.items()]


@dataclass(frozen=True)
class Situation:
    """What is known about one cramp and the person who logged it.

    `labels` maps a placeholder name to the words for each logged value, e.g.
    {"triggers": {"cold": "cold feet or cold weather"}}; `texts` holds ready-made words for
    single values, e.g. {"fluids": "500 ml", "duration": "40 min", "time": "03:10"}.
    """

    duration_seconds: int | None
    intensity: int | None
    foot: str
    local_hour: int
    night: Hours
    fluid_ml: int | None = None
    activity: str = ""
    triggers: frozenset = frozenset()
    symptoms: frozenset = frozenset()
    locations: frozenset = frozenset()
    age: int | None = None
    conditions: frozenset = frozenset()
    medications: frozenset = frozenset()
    pregnant: bool = False
    count_7d: int = 0
    count_30d: int = 0
    texts: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    scope = CRAMP


@dataclass(frozen=True)
class Period:
    """What is known about a period of someone's diary: its days that have happened so far,
    the cramps logged in them and the days with a cramp in the night hours."""

    days: int
    cramps: int
    night_days: int
    texts: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    scope = PERIOD


@dataclass(frozen=True)
class Rule:
    target: str  # a cause's or a red flag's slug
    is_red_flag: bool
    fact: str
    value: str
    weight: int
    reason: str

    @cached_property
    def parsed_value(self):
        return parse_value(self.fact, self.value)

    @property
    def key(self):
        """What the rule adds weight to: a cause and a red flag may share a slug."""
        return (self.is_red_flag, self.target)


@dataclass
class Match:
    key: tuple
    score: int = 0
    reasons: list = field(default_factory=list)  # the strongest rule's first, each once
    weights: list = field(default_factory=list)  # the weight behind each reason

    @property
    def target(self):
        return self.key[1]

    @property
    def main_reasons(self):
        """The reasons that could show a cause on their own, or the strongest one when only
        smaller hints (below CAUSE_THRESHOLD) add up to it: what a cramp's page says."""
        pairs = zip(self.reasons, self.weights, strict=True)
        main = [reason for reason, weight in pairs if weight >= CAUSE_THRESHOLD]
        return main or self.reasons[:1]


@dataclass
class Result:
    causes: list
    red_flags: list


@dataclass(frozen=True)
class TipInfo:
    """What ranking needs to know about a published tip."""

    slug: str
    title: str
    kind: str  # RELIEF or PREVENTION
    causes: frozenset  # slugs of the published causes it addresses
    habits: frozenset = frozenset()  # triggers; a habit tip shows only when one was logged
    general: bool = False  # a relief step for any cramp, shown when no cause matched


@dataclass
class TipChoice:
    shown: list = field(default_factory=list)  # TipInfo, by kind, then most relevant first
    more: list = field(default_factory=list)  # the rest, in the same order


class RuleError(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


def parse_value(fact_name, value):
    """Turn a rule's stored value into what `holds` compares; raise RuleError if malformed."""
    fact = FACTS[fact_name]
    value = (value or "").strip()
    if fact.kind == "flag":
        if value:
            raise RuleError({"value": ["This fact takes no value: leave it empty."]})
        return None
    if fact.kind == "hours":
        return _parse_hours(value)
    if fact.kind == "number":
        if not value.isdigit():
            raise RuleError({"value": ["Enter a whole number, such as 1500."]})
        number = int(value)
        if number > fact.maximum:
            raise RuleError({"value": [f"Enter a number no larger than {fact.maximum:,}."]})
        return number
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise RuleError({"value": [f"List at least one of: {', '.join(fact.allowed)}."]})
    unknown = [item for item in items if item not in fact.allowed]
    if unknown:
        raise RuleError(
            {
                "value": [
                    f"Not known for this fact: {', '.join(unknown)}. "
                    f"Use any of: {', '.join(fact.allowed)}."
                ]
            }
        )
    return frozenset(items)


def _parse_hours(value):
    if not value:
        return None
    start, dash, end = value.partition("-")
    if not dash or not start.strip().isdigit() or not end.strip().isdigit():
        raise RuleError({"value": ["Write the night hours as start-end, such as 22-6."]})
    try:
        return Hours(int(start), int(end))
    except ValueError as error:
        raise RuleError({"value": [str(error)]}) from error


def reason_placeholders(reason):
    """The placeholder names a reason uses; raise RuleError if the braces are malformed."""
    try:
        parsed = list(string.Formatter().parse(reason))
    except ValueError as error:
        raise RuleError(
            {"reason": [f"The braces in this reason are malformed ({error}). Write {{name}}."]}
        ) from error
    names = set()
    for _text, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or spec or conversion or not name.isidentifier():
            raise RuleError({"reason": ["Write placeholders as a plain name in braces: {name}."]})
        names.add(name)
    return names


def validate_rule(fact, value, reason):
    """Return {field: [messages]} for a rule an editor wrote; empty when it is valid."""
    if fact not in FACTS:
        return {"fact": [f"“{fact}” is not a fact that rules can test."]}
    errors = {}
    try:
        parse_value(fact, value)
    except RuleError as error:
        errors.update(error.errors)
    if not (reason or "").strip():
        errors["reason"] = ["Write the reason the person will read."]
        return errors
    try:
        names = reason_placeholders(reason)
    except RuleError as error:
        errors.update(error.errors)
        return errors
    allowed = {FACTS[fact].placeholder} - {""}
    unknown = sorted(names - allowed)
    if unknown:
        usable = f"{{{FACTS[fact].placeholder}}}" if allowed else "none"
        errors["reason"] = [
            f"Unknown placeholder {', '.join('{' + name + '}' for name in unknown)}: "
            f"this fact offers {usable}."
        ]
    return errors


def holds(rule, situation):
    """Whether the rule's fact is true of the situation; facts about another scope never are."""
    fact = FACTS[rule.fact]
    return fact.scope == situation.scope and fact.test(situation, rule.parsed_value)


def explain(rule, situation):
    """The rule's reason with its placeholder filled from what the person logged."""
    placeholder = FACTS[rule.fact].placeholder
    if not placeholder:
        return rule.reason
    if placeholder in situation.texts or FACTS[rule.fact].kind != "choices":
        words = situation.texts.get(placeholder, "")
    else:
        chosen = rule.parsed_value
        logged = getattr(situation, placeholder)
        matched = [item for item in FACTS[rule.fact].allowed if item in logged and item in chosen]
        names = situation.labels.get(placeholder, {})
        words = _join([names.get(item, item.replace("_", " ")) for item in matched])
    return rule.reason.format(**{placeholder: words})


def _join(words):
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def evaluate(situation, rules):
    """Rank the causes and red flags whose rules hold for this cramp or period.

    Causes come strongest first (ties by name, so the order is stable), at most MAX_CAUSES;
    red flags come in the same order. Each match's reasons come strongest rule first. A
    target with too little weight is left out rather than padding the list. A period
    shorter than MIN_PERIOD_DAYS matches nothing.
    """
    if situation.scope == PERIOD and situation.days < MIN_PERIOD_DAYS:
        return Result(causes=[], red_flags=[])
    scores = {}
    for rule in rules:
        if not holds(rule, situation):
            continue
        match = scores.setdefault(rule.key, Match(rule.key))
        match.score += rule.weight
        reason = explain(rule, situation)
        # Two rules can say the same thing (12 cramps in 30 days is also at least 4).
        if reason in match.reasons:
            index = match.reasons.index(reason)
            match.weights[index] = max(match.weights[index], rule.weight)
        else:
            match.reasons.append(reason)
            match.weights.append(rule.weight)
    for match in scores.values():
        pairs = sorted(zip(match.weights, match.reasons, strict=True), key=lambda pair: -pair[0])
        match.weights, match.reasons = [w for w, _r in pairs], [r for _w, r in pairs]
    ranked = sorted(scores.values(), key=lambda match: (-match.score, match.target))
    causes = [m for m in ranked if not m.key[0] and m.score >= CAUSE_THRESHOLD]
    red_flags = [m for m in ranked if m.key[0] and m.score >= RED_FLAG_THRESHOLD]
    return Result(causes=causes[:MAX_CAUSES], red_flags=red_flags)


def tip_kinds(fresh):
    """The order of the kinds of tip: relief first for a cramp that is still happening (it
    started within the hour), prevention first otherwise. Every page uses this order."""
    return [RELIEF, PREVENTION] if fresh else [PREVENTION, RELIEF]


def rank_tips(causes, tips, logged=frozenset(), kinds=(PREVENTION, RELIEF)):
    """Choose the tips for ranked causes, most relevant first, and which of them to show.

    `causes` are (slug, score) pairs of the matched causes; `tips` are TipInfo. A tip is
    relevant when it addresses a matched cause: the scores of the matched causes it addresses,
    divided by the square root of how many causes it addresses, so that a tip for just this
    cause ranks above one that is said for every cramp. A habit tip shows only when one of its
    habits is in `logged` (the triggers logged), and then counts double. When no cause
    matched, the general relief steps stand in, since they help any cramp that is happening.

    Tips come by kind in the order of `kinds`, then by relevance, then by title; at most
    TIPS_SHOWN of each kind are shown and the rest are kept for a disclosure.
    """
    scores = dict(causes)
    relevance = {}
    for tip in tips:
        if tip.kind not in kinds or (tip.habits and not tip.habits & logged):
            continue
        fit = sum(scores[slug] for slug in tip.causes if slug in scores)
        if fit:
            relevance[tip] = fit / math.sqrt(len(tip.causes)) * (2 if tip.habits else 1)
    if not scores and RELIEF in kinds:
        relevance = {tip: 0 for tip in tips if tip.general and tip.kind == RELIEF}
    ranked = sorted(relevance, key=lambda tip: (kinds.index(tip.kind), -relevance[tip], tip.title))
    choice, per_kind = TipChoice(), Counter()
    for tip in ranked:
        per_kind[tip.kind] += 1
        (choice.shown if per_kind[tip.kind] <= TIPS_SHOWN else choice.more).append(tip)
    return choice
