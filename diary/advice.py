"""Feed the pure matcher (knowledge.matching) from the database, in a fixed number of queries.

Matches are worked out on every page view and never stored, so an editor's change to a rule
shows on the next view.
"""

import logging
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NamedTuple

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import ngettext

from knowledge import matching
from knowledge.models import Cause, ContentVersion, MatchRule, Tip

from . import patterns
from .durations import format_duration
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
    red_flags: list = field(default_factory=list)  # (RedFlag, reasons), each reason once
    tips: list = field(default_factory=list)  # Tip shown, by kind in the page's order
    more_tips: list = field(default_factory=list)  # the rest, for a disclosure

    @property
    def shown_causes(self):
        return self.causes[: matching.CAUSES_SHOWN]

    @property
    def more_causes(self):
        return self.causes[matching.CAUSES_SHOWN :]


class Content(NamedTuple):
    """The advice matching reads: rules as plain data and the entries they lead to."""

    rules: list  # matching.Rule in force
    targets: dict  # a rule's key -> its Cause or RedFlag
    tips: list  # matching.TipInfo for each published tip
    tip_pages: dict  # slug -> Tip


# The content and the content version it was read at, kept per process.
_loaded_content = (None, None)


def load_content():
    """The rules in force and the published tips, read again only when the advice changes.

    Reading and parsing every rule costs more than the rest of a diary page's queries, so
    each process keeps the last set it read and reads again only when the content version
    moves: an editor's change still shows on the next view, for one small query per request.
    The version is read first, so what is read after it is never older than it says.
    """
    global _loaded_content
    version = ContentVersion.current()
    loaded_at, loaded = _loaded_content
    if version != loaded_at:
        loaded = Content(*read_rules(), *read_tips())
        _loaded_content = (version, loaded)
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


def read_tips():
    tips = Tip.objects.published().prefetch_related(
        Prefetch("causes", Cause.objects.published().only("slug"))
    )
    pages = {tip.slug: tip for tip in tips}
    return [tip.as_info(c.slug for c in tip.causes.all()) for tip in pages.values()], pages


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
            "duration": format_duration(episode.duration_seconds),
            "intensity": str(episode.intensity),
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


def choose_tips(content, causes, logged, kinds):
    """The tips for the matched causes: (shown, kept for a disclosure), as Tips."""
    choice = matching.rank_tips(
        [(cause.slug, score) for cause, score, _reasons in causes], content.tips, logged, kinds
    )
    return (
        [content.tip_pages[tip.slug] for tip in choice.shown],
        [content.tip_pages[tip.slug] for tip in choice.more],
    )


def said_once(red_flags):
    """Red flags with each reason kept only where it first appears: two warnings can rest
    on the same fact (the cramps of the last 30 days, say)."""
    said, flags = set(), []
    for flag, reasons in red_flags:
        flags.append((flag, [reason for reason in reasons if reason not in said]))
        said.update(reasons)
    return flags


def for_episode(episode, profile):
    """Causes, red flags and tips for one cramp: relief first when it is happening now."""
    content = load_content()
    result = match_episodes([episode], profile, content.rules)[episode.pk]
    causes = [(content.targets[m.key], m.score, m.main_reasons) for m in result.causes]
    red_flags = [(content.targets[m.key], m.reasons) for m in result.red_flags]
    fresh = timezone.now() - episode.started_at <= RELIEF_WINDOW
    tips, more_tips = choose_tips(
        content, causes, frozenset(episode.triggers), matching.tip_kinds(fresh)
    )
    return Advice(causes, said_once(red_flags), tips, more_tips)


def top_causes(episodes, profile):
    """{episode pk: its strongest cause or None}, for a page of the diary."""
    content = load_content()
    results = match_episodes(episodes, profile, content.rules)
    return {
        pk: content.targets[result.causes[0].key] if result.causes else None
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
            "per_week": ngettext(
                "%(cramps)d cramp in %(days)d days, about %(per_week).1f a week",
                "%(cramps)d cramps in %(days)d days, about %(per_week).1f a week",
                len(episodes),
            )
            % {"cramps": len(episodes), "days": days, "per_week": per_week},
            "night_days": f"on {night_days} of {days} days",
        },
    )


def for_period(episodes, start, end, today, profile):
    """The causes that matched most often over a period, with their prevention tips, and the
    red flags that the period as a whole raises."""
    content = load_content()
    results = match_episodes(episodes, profile, content.rules)
    tally = Counter()
    for result in results.values():
        tally.update(match.key for match in result.causes)
    top = tally.most_common(matching.MAX_CAUSES)
    causes = [(content.targets[key], count, []) for key, count in top]
    logged = frozenset(trigger for episode in episodes for trigger in episode.triggers)
    tips, more_tips = choose_tips(content, causes, logged, [matching.PREVENTION])
    warnings = matching.evaluate(period(episodes, start, end, today), content.rules)
    red_flags = [(content.targets[m.key], m.reasons) for m in warnings.red_flags]
    return Advice(causes, said_once(red_flags), tips, more_tips)
