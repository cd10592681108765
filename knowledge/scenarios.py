"""Reference cramps, and what a person would be shown for each of them.

The tests check the shipped rules against these scenarios, and the admin shows a reviewer how a
draft would change them (the effect of a change), so both read the same list. Plain data in,
plain data out: the caller reads the rules and tips from the database.
"""

from dataclasses import dataclass, field

from . import matching

# What is known about a cramp unless a scenario says otherwise: an afternoon cramp in the arch
# of the left foot, a minute long, with nothing else logged, in a person of 41.
ORDINARY = {
    "duration_seconds": 60,
    "intensity": 5,
    "foot": "left",
    "local_hour": 14,
    "locations": frozenset({"arch"}),
    "age": 41,
}


@dataclass(frozen=True)
class Scenario:
    name: str
    cramp: dict = field(default_factory=dict)  # Situation fields that differ from ORDINARY
    causes: frozenset = frozenset()  # expected among the first three causes
    red_flags: frozenset = frozenset()  # exactly the red flags expected
    just_now: bool = False  # logged within the hour, so relief tips come first

    @property
    def facts(self):
        return {**ORDINARY, **self.cramp}

    def situation(self, night):
        facts = self.facts
        fluid = facts.get("fluid_ml")
        texts = {
            "fluids": "not logged" if fluid is None else f"{fluid} ml",
            "duration": f"{facts['duration_seconds']} s",
            "intensity": str(facts["intensity"]),
            "time": f"{facts['local_hour']:02d}:00",
            "age": str(facts.get("age")),
            "activity": facts.get("activity", "").replace("_", " ") or "not logged",
            "foot": facts["foot"],
            "count_7d": str(facts.get("count_7d", 0)),
            "count_30d": str(facts.get("count_30d", 0)),
        }
        return matching.Situation(**facts, night=night, texts=texts)


def scenario(name, causes=(), red_flags=(), just_now=False, **cramp):
    cramp = {key: frozenset(v) if isinstance(v, set) else v for key, v in cramp.items()}
    return Scenario(name, cramp, frozenset(causes), frozenset(red_flags), just_now)


SCENARIOS = (
    scenario(
        "a cramp at 03:00 while sleeping",
        {"poor-circulation", "prolonged-position"},
        local_hour=3,
        activity="sleeping",
        symptoms={"woke_me"},
    ),
    scenario(
        "after a long run on a hot day with little to drink",
        {"dehydration", "strenuous-exercise"},
        activity="running",
        triggers={"intense_exercise", "heavy_sweating"},
        fluid_ml=500,
        locations={"calf"},
    ),
    scenario(
        "in the toes after a day in tight shoes",
        {"poor-footwear"},
        triggers={"tight_footwear"},
        locations={"toes"},
        activity="standing",
    ),
    scenario(
        "in high heels with a weak foot",
        {"poor-footwear", "muscle-imbalance"},
        triggers={"high_heels"},
        symptoms={"weakness"},
    ),
    scenario(
        "for someone taking a diuretic",
        {"medications", "electrolyte-imbalance"},
        activity="resting",
        medications={"diuretic"},
    ),
    scenario(
        "with numbness",
        {"peripheral-neuropathy", "nerve-compression"},
        {"numbness-tingling"},
        symptoms={"numbness_tingling"},
    ),
    scenario(
        "with numbness and diabetes",
        {"peripheral-neuropathy", "chronic-conditions"},
        {"numbness-tingling"},
        symptoms={"numbness_tingling"},
        conditions={"diabetes"},
    ),
    scenario(
        "with diabetes",
        {"chronic-conditions", "peripheral-neuropathy"},
        conditions={"diabetes"},
    ),
    scenario("with Parkinson's", {"neurological-conditions"}, conditions={"parkinsons"}),
    scenario("lasting 40 minutes", (), {"long-cramp"}, duration_seconds=40 * 60),
    scenario(
        "during a walk, easing with rest",
        {"peripheral-artery-disease"},
        {"claudication"},
        activity="walking",
        symptoms={"pain_walking_eases_rest"},
    ),
    scenario("while holding a stretch", {"stretching-cramp"}, activity="stretching"),
    scenario("in a pregnant person", {"pregnancy"}, activity="resting", pregnant=True),
    scenario("at 88 years old", {"aging"}, activity="resting", age=88),
    scenario(
        "after sitting at a desk all day",
        {"prolonged-position", "sedentary-lifestyle"},
        triggers={"long_sitting"},
        activity="sitting",
    ),
    scenario("with cold feet", {"cold-exposure"}, triggers={"cold"}),
    scenario(
        "after sport without a warm-up",
        {"strenuous-exercise"},
        triggers={"no_warmup"},
        activity="sport",
    ),
    scenario("after drinking and smoking", {"poor-circulation"}, triggers={"alcohol", "smoking"}),
    scenario(
        "with swelling after sport",
        {"muscle-strain-injury"},
        activity="sport",
        symptoms={"swelling", "skin_change"},
    ),
    scenario("the eighth cramp in a week", (), {"frequent-unexplained"}, count_7d=7, count_30d=7),
    scenario("logged just now, with nothing else known", just_now=True),
    scenario(
        "logged just now, in the calf after a hard run",
        {"muscle-fatigue", "strenuous-exercise"},
        just_now=True,
        activity="running",
        triggers={"intense_exercise"},
        locations={"calf"},
        intensity=8,
    ),
)


@dataclass(frozen=True)
class World:
    """What the site would match with: the rules in force and the published tips."""

    rules: list  # matching.Rule
    titles: dict  # (is_red_flag, slug) -> title
    tips: list  # matching.TipInfo


@dataclass(frozen=True)
class Item:
    key: str
    label: str


@dataclass(frozen=True)
class Outcome:
    causes: tuple  # Item, strongest first, labelled with the score
    red_flags: tuple
    tips: tuple  # the tips shown, not those behind the disclosure


def outcome(scenario, world, night):
    """What the person in the scenario would see on the cramp's page."""
    result = matching.evaluate(scenario.situation(night), world.rules)
    tips = matching.rank_tips(
        [(match.target, match.score) for match in result.causes],
        world.tips,
        logged=scenario.facts.get("triggers", frozenset()),
        kinds=matching.tip_kinds(scenario.just_now),
    )
    return Outcome(
        causes=tuple(Item(m.target, f"{world.titles[m.key]} ({m.score})") for m in result.causes),
        red_flags=tuple(Item(m.target, world.titles[m.key]) for m in result.red_flags),
        tips=tuple(Item(tip.slug, tip.title) for tip in tips.shown),
    )


@dataclass(frozen=True)
class Column:
    name: str  # "causes", "red_flags" or "tips"
    before: list  # (Item, state): state is "same", "moved" or "removed"
    after: list  # (Item, state): state is "same", "moved" or "added"

    @property
    def changed(self):
        return any(state != "same" for _item, state in self.before + self.after)


@dataclass(frozen=True)
class Row:
    scenario: Scenario
    columns: tuple  # Column for causes, red flags and tips

    @property
    def changed(self):
        return any(column.changed for column in self.columns)


def compare(before, after, night, scenarios=SCENARIOS):
    """Each scenario's outcome in two worlds, every item marked as same, moved, added or removed.

    Items are told apart by slug, not by label, so a changed score alone is not a change.
    """
    rows = []
    for each in scenarios:
        old, new = outcome(each, before, night), outcome(each, after, night)
        columns = tuple(
            Column(name, *_mark(getattr(old, name), getattr(new, name)))
            for name in ("causes", "red_flags", "tips")
        )
        rows.append(Row(each, columns))
    return rows


def _mark(old, new):
    old_keys, new_keys = [item.key for item in old], [item.key for item in new]

    def state(item, index, other_keys, missing):
        if item.key not in other_keys:
            return missing
        return "same" if other_keys.index(item.key) == index else "moved"

    return (
        [(item, state(item, i, new_keys, "removed")) for i, item in enumerate(old)],
        [(item, state(item, i, old_keys, "added")) for i, item in enumerate(new)],
    )
