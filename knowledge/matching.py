"""Match one cramp to its likely causes and to the warnings that apply.

Plain data in, ranked matches with reasons out: no database, no Django models. Rules are
content that editors change in the admin, so this module also says which rules are valid.

A rule tests one fact about the cramp or the person. Each cause, and each red flag, adds up
the weights of its rules that hold; a cause is shown from CAUSE_THRESHOLD, a red flag from
RED_FLAG_THRESHOLD, so a red flag can need two facts together (night and frequent, say).
"""

import string
from dataclasses import dataclass, field
from functools import cached_property

CAUSE_THRESHOLD = 25
RED_FLAG_THRESHOLD = 100
MAX_CAUSES = 5
MIN_WEIGHT = 1
MAX_WEIGHT = 100

ACTIVITIES = (
    "sleeping",
    "resting",
    "sitting",
    "standing",
    "walking",
    "running",
    "cycling",
    "sport",
    "stretching",
    "other",
)
TRIGGERS = (
    "intense_exercise",
    "no_warmup",
    "long_standing",
    "long_sitting",
    "tight_footwear",
    "high_heels",
    "cold",
    "heavy_sweating",
    "alcohol",
    "smoking",
)
SYMPTOMS = (
    "numbness_tingling",
    "weakness",
    "swelling",
    "skin_change",
    "pain_walking_eases_rest",
    "woke_me",
)
LOCATIONS = ("toes", "ball", "arch", "heel", "top", "ankle", "calf")
FEET = ("left", "right", "both")
CONDITIONS = ("diabetes", "thyroid", "kidney", "neuropathy", "pad", "parkinsons", "motor_neuron")
MEDICATIONS = ("diuretic", "statin", "antipsychotic", "other")


@dataclass(frozen=True)
class Fact:
    label: str
    help: str
    kind: str  # "number", "choices", "flag" or "hours"
    placeholder: str = ""
    allowed: tuple = ()
    maximum: int = 0


FACTS = {
    "fluids_below": Fact(
        "Drinks in the 24 hours before, below (ml)",
        "Holds when the person logged drinks under this many millilitres.",
        "number",
        "fluids",
        maximum=15_000,
    ),
    "fluids_above": Fact(
        "Drinks in the 24 hours before, above (ml)",
        "Holds when the person logged drinks over this many millilitres.",
        "number",
        "fluids",
        maximum=15_000,
    ),
    "activity_in": Fact(
        "What they were doing, one of",
        "A comma-separated list, such as running,sport.",
        "choices",
        "activity",
        ACTIVITIES,
    ),
    "trigger_any": Fact(
        "Anything beforehand, any of",
        "A comma-separated list, such as tight_footwear,high_heels.",
        "choices",
        "triggers",
        TRIGGERS,
    ),
    "symptom_any": Fact(
        "Other symptoms, any of",
        "A comma-separated list, such as numbness_tingling.",
        "choices",
        "symptoms",
        SYMPTOMS,
    ),
    "location_any": Fact(
        "Where on the foot, any of",
        "A comma-separated list, such as toes,ball.",
        "choices",
        "locations",
        LOCATIONS,
    ),
    "foot_is": Fact(
        "Which foot, one of",
        "A comma-separated list of left, right, both.",
        "choices",
        "foot",
        FEET,
    ),
    "duration_over": Fact(
        "Lasted longer than (seconds)",
        "Holds when the cramp lasted longer than this many seconds.",
        "number",
        "duration",
        maximum=14 * 24 * 3600,
    ),
    "intensity_at_least": Fact(
        "Pain at least (0 to 10)",
        "Holds when the pain was logged at this level or higher.",
        "number",
        "intensity",
        maximum=10,
    ),
    "night": Fact(
        "At night",
        "Empty for the site's night hours (22 to 6), or hours such as 23-5.",
        "hours",
        "time",
    ),
    "age_at_least": Fact(
        "Age at least (years)",
        "Holds when the profile's year of birth gives this age or more.",
        "number",
        "age",
        maximum=130,
    ),
    "condition_any": Fact(
        "Health conditions, any of",
        "A comma-separated list, such as diabetes,neuropathy.",
        "choices",
        "conditions",
        CONDITIONS,
    ),
    "medication_any": Fact(
        "Regular medicines, any of",
        "A comma-separated list, such as diuretic,statin.",
        "choices",
        "medications",
        MEDICATIONS,
    ),
    "pregnant": Fact("Pregnant", "Leave the value empty.", "flag"),
    "episodes_7d_at_least": Fact(
        "Cramps in the 7 days before, at least",
        "Counts the person's cramps in the week before this one.",
        "number",
        "count_7d",
        maximum=10_000,
    ),
    "episodes_30d_at_least": Fact(
        "Cramps in the 30 days before, at least",
        "Counts the person's cramps in the 30 days before this one.",
        "number",
        "count_30d",
        maximum=10_000,
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

    duration_seconds: int
    intensity: int
    foot: str
    local_hour: int
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


@dataclass
class Match:
    target: str
    score: int = 0
    reasons: list = field(default_factory=list)


@dataclass
class Result:
    causes: list
    red_flags: list

    @property
    def top_cause(self):
        return self.causes[0] if self.causes else None


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
    start, end = int(start), int(end)
    if start > 23 or end > 23 or start == end:
        raise RuleError({"value": ["Hours run from 0 to 23, and start and end must differ."]})
    return (start, end)


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


def is_night(hour, night):
    start, end = night
    return hour >= start or hour < end if start > end else start <= hour < end


def holds(rule, situation, night):
    """Whether the rule's fact is true of the situation, with the values that made it so."""
    value = rule.parsed_value
    fact = rule.fact
    if fact == "fluids_below":
        return situation.fluid_ml is not None and situation.fluid_ml < value
    if fact == "fluids_above":
        return situation.fluid_ml is not None and situation.fluid_ml > value
    if fact == "activity_in":
        return situation.activity in value
    if fact == "foot_is":
        return situation.foot in value
    if fact in {"trigger_any", "symptom_any", "location_any", "condition_any", "medication_any"}:
        return bool(value & getattr(situation, FACTS[fact].placeholder))
    if fact == "duration_over":
        return situation.duration_seconds > value
    if fact == "intensity_at_least":
        return situation.intensity >= value
    if fact == "night":
        return is_night(situation.local_hour, value or night)
    if fact == "age_at_least":
        return situation.age is not None and situation.age >= value
    if fact == "pregnant":
        return situation.pregnant
    if fact == "episodes_7d_at_least":
        return situation.count_7d >= value
    if fact == "episodes_30d_at_least":
        return situation.count_30d >= value
    raise KeyError(fact)


def explain(rule, situation):
    """The rule's reason with its placeholder filled from what the person logged."""
    placeholder = FACTS[rule.fact].placeholder
    if not placeholder:
        return rule.reason
    if placeholder in situation.texts:
        words = situation.texts[placeholder]
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


def evaluate(situation, rules, night=(22, 6)):
    """Rank the causes and red flags whose rules hold for this cramp.

    Causes come strongest first (ties by name, so the order is stable), at most MAX_CAUSES;
    red flags come in the same order. A target with too little weight is left out rather
    than padding the list.
    """
    scores = {}
    for rule in rules:
        if not holds(rule, situation, night):
            continue
        match = scores.setdefault((rule.is_red_flag, rule.target), Match(rule.target))
        match.score += rule.weight
        match.reasons.append(explain(rule, situation))
    ranked = sorted(scores.items(), key=lambda item: (-item[1].score, item[0][1]))
    causes = [m for (red, _), m in ranked if not red and m.score >= CAUSE_THRESHOLD]
    red_flags = [m for (red, _), m in ranked if red and m.score >= RED_FLAG_THRESHOLD]
    return Result(causes=causes[:MAX_CAUSES], red_flags=red_flags)
