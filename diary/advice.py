"""Feed the pure matcher (knowledge.matching) from the database, in a fixed number of queries.

Matches are worked out on every page view and never stored, so an editor's change to a rule
shows on the next view.
"""

import logging
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from knowledge import matching
from knowledge.models import ContentVersion, MatchRule, Tip, TipKind

from . import patterns
from .models import NOT_GIVEN
from .vocabulary import Activity, Condition, Foot, Location, Medication, Symptom, Trigger, night

logger = logging.getLogger(__name__)

RELIEF_WINDOW = timedelta(hours=1)
LABELS = {
    "triggers": {value: label.lower() for value, label in Trigger.choices},
    "symptoms": {value: label.lower() for value, label in Symptom.choices},
    "locations": {value: label.lower() for value, label in Location.choices},
    "conditions": dict(Condition.choices),
    "medications": {value: label.lower() for value, label in Medication.choices},
}
ACTIVITY_WORDS = {value: label.lower() for value, label in Activity.choices}
FOOT_WORDS = {value: label.lower() for value, label in Foot.choices}


@dataclass
class Advice:
    """What one cramp, or a period of cramps, is matched to, ready for a template."""

    causes: list = field(default_factory=list)  # (Cause, score, reasons), strongest first
    red_flags: list = field(default_factory=list)  # (RedFlag, reasons)
    tips: list = field(default_factory=list)  # Tip, in the order to show them


# The parsed rules and the content version they were read at, kept per process.
_loaded_rules = (None, None)


def load_rules():
    """The rules in force as plain data, and the causes and red flags they point at, by key.

    Reading and parsing every rule costs more than the rest of a diary page's queries, so
    each process keeps the last set it read and reads again only when the content version
    moves: an editor's change still shows on the next view, for one small query per request.
    The version is read first, so rules read after it are never older than it says.
    """
    global _loaded_rules
    version = ContentVersion.current()
    loaded_at, loaded = _loaded_rules
    if version != loaded_at:
        loaded = read_rules()
        _loaded_rules = (version, loaded)
    return loaded


def read_rules():
    rules, targets = [], {}
    for rule in MatchRule.objects.published().select_related("cause", "red_flag"):
        plain = rule.as_rule()
        try:
            plain.parsed_value  # noqa: B018 - checks the value once, here, not per episode
        except matching.RuleError:
            logger.warning("Skipping matching rule %s: its value is not valid", rule.pk)
            continue
        rules.append(plain)
        targets[plain.key] = rule.target
    return rules, targets


def recent_counts(episodes, profile):
    """For each episode, the person's cramps in the 7 and 30 days before it: one query."""
    if not episodes:
        return {}
    earliest = min(episode.started_at for episode in episodes) - timedelta(days=30)
    latest = max(episode.started_at for episode in episodes)
    times = list(
        profile.user.episodes.filter(started_at__gte=earliest, started_at__lt=latest)
        .order_by("started_at")
        .values_list("started_at", flat=True)
    )
    counts = {}
    for episode in episodes:
        before = bisect_left(times, episode.started_at)
        counts[episode.pk] = (
            before - bisect_left(times, episode.started_at - timedelta(days=7)),
            before - bisect_left(times, episode.started_at - timedelta(days=30)),
        )
    return counts


def situation(episode, profile, counts):
    count_7d, count_30d = counts
    age = profile.age_on(episode.local_date)
    return matching.Situation(
        duration_seconds=episode.duration_seconds,
        intensity=episode.intensity,
        foot=episode.foot,
        local_hour=episode.local_hour,
        night=night(),
        fluid_ml=episode.fluid_ml,
        activity=episode.activity,
        triggers=frozenset(episode.triggers),
        symptoms=frozenset(episode.symptoms),
        locations=frozenset(episode.locations),
        age=age,
        conditions=frozenset(profile.conditions),
        medications=frozenset(profile.medications),
        pregnant=profile.pregnant,
        count_7d=count_7d,
        count_30d=count_30d,
        texts={
            "fluids": profile.format_fluids(episode.fluid_ml),
            "duration": episode.duration_display,
            "intensity": NOT_GIVEN if episode.intensity is None else str(episode.intensity),
            "time": f"{episode.local_started_at:%H:%M}",
            "age": str(age),
            "activity": ACTIVITY_WORDS.get(episode.activity, "not logged"),
            "foot": FOOT_WORDS[episode.foot],
            "count_7d": str(count_7d),
            "count_30d": str(count_30d),
        },
        labels=LABELS,
    )


def match_episodes(episodes, profile, rules):
    """{episode pk: matching.Result} for a list of one person's episodes."""
    counts = recent_counts(episodes, profile)
    return {
        episode.pk: matching.evaluate(situation(episode, profile, counts[episode.pk]), rules)
        for episode in episodes
    }


def tips_for(causes, kinds):
    """Published tips for the causes, strongest cause first, each tip once, by kind order."""
    if not causes:
        return []
    slugs = {cause.pk: cause.slug for cause in causes}
    links = [(tip, slugs[tip.cause_id]) for tip in Tip.objects.for_causes(causes)]
    return matching.rank_tips([cause.slug for cause in causes], links, kinds)


def for_episode(episode, profile):
    """Causes, red flags and tips for one cramp: relief first when it is happening now."""
    rules, targets = load_rules()
    result = match_episodes([episode], profile, rules)[episode.pk]
    causes = [(targets[m.key], m.score, m.reasons) for m in result.causes]
    red_flags = [(targets[m.key], m.reasons) for m in result.red_flags]
    recent = timezone.now() - episode.started_at <= RELIEF_WINDOW
    kinds = [TipKind.RELIEF, TipKind.PREVENTION]
    if not recent:
        kinds.reverse()
    tips = tips_for([cause for cause, _score, _reasons in causes], kinds)
    return Advice(causes=causes, red_flags=red_flags, tips=tips)


def relief_now(episode, profile, limit=3):
    """Relief tips for a cramp happening now, at most `limit`, whether or not a cause matched.

    Those for its likely causes come first, then the ones that fit the most causes: relief
    that helps whatever set the cramp off.
    """
    rules, targets = load_rules()
    result = match_episodes([episode], profile, rules)[episode.pk]
    tips = tips_for([targets[match.key] for match in result.causes], [TipKind.RELIEF])[:limit]
    if len(tips) < limit:
        general = (
            Tip.objects.published()
            .filter(kind=TipKind.RELIEF)
            .exclude(pk__in=[tip.pk for tip in tips])
            .annotate(fits=Count("causes"))
            .order_by("-fits", "title")
        )
        tips += general[: limit - len(tips)]
    return tips


def top_causes(episodes, profile):
    """{episode pk: its strongest cause or None}, for a page of the diary."""
    rules, targets = load_rules()
    results = match_episodes(episodes, profile, rules)
    return {
        pk: targets[result.causes[0].key] if result.causes else None
        for pk, result in results.items()
    }


def period(episodes, start, end, today):
    """What a period of the diary shows as a whole, for the rules about periods."""
    days = patterns.days_covered(start, end, today)
    window = night()
    night_days = len({e.local_date for e in episodes if e.local_hour in window})
    per_week = len(episodes) * 7 / days if days else 0
    return matching.Period(
        days=days,
        cramps=len(episodes),
        night_days=night_days,
        texts={
            "per_week": f"{len(episodes)} cramps in {days} days, about {per_week:.1f} a week",
            "night_days": f"on {night_days} of {days} days",
        },
    )


def for_period(episodes, start, end, today, profile, limit=5):
    """The causes that matched most often over a period, with their prevention tips, and the
    red flags that the period as a whole raises."""
    rules, targets = load_rules()
    results = match_episodes(episodes, profile, rules)
    tally = Counter()
    for result in results.values():
        tally.update(match.key for match in result.causes)
    causes = [(targets[key], count, []) for key, count in tally.most_common(limit)]
    tips = tips_for([cause for cause, _count, _reasons in causes], [TipKind.PREVENTION])
    warnings = matching.evaluate(period(episodes, start, end, today), rules)
    red_flags = [(targets[m.key], m.reasons) for m in warnings.red_flags]
    return Advice(causes=causes, red_flags=red_flags, tips=tips)
