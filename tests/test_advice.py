"""An episode's page shows the causes, warnings and tips that fit it, from the shipped rules."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary import advice, vocabulary
from knowledge import matching, scenarios
from knowledge.models import Cause, ContentVersion, MatchRule, RedFlag, Tip
from knowledge.scenarios import SCENARIOS

from .factories import EpisodeFactory

BERLIN = ZoneInfo("Europe/Berlin")


def section(html, section_id):
    match = re.search(rf'<section id="{section_id}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def slugs(html, section_id, kind):
    found = re.findall(rf'href="/knowledge/{kind}/([a-z0-9-]+)/"', section(html, section_id))
    return list(dict.fromkeys(found))


def visible(html, section_id, kind):
    """The slugs a person sees before opening any disclosure."""
    return slugs(re.sub(r"<details.*?</details>", "", html, flags=re.S), section_id, kind)


def shown(client, episode):
    response = client.get(f"/diary/{episode.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    return (
        slugs(html, "causes", "causes"),
        slugs(html, "red-flags", "red-flags"),
        slugs(html, "tips", "tips"),
        html,
    )


def night(hour=3):
    return (timezone.now() - timedelta(days=1)).astimezone(BERLIN).replace(hour=hour, minute=0)


# Causes that have nothing to do with a plain cramp unless the person logged something for them.
SPECIFIC = {
    "pregnancy",
    "medications",
    "peripheral-artery-disease",
    "neurological-conditions",
    "chronic-conditions",
    "aging",
    "stretching-cramp",
    "poor-footwear",
    "cold-exposure",
    "muscle-strain-injury",
    "dehydration",
}


def log_scenario(owner, scenario):
    """The scenario's cramp in the owner's diary, with the profile and earlier cramps it needs."""
    facts = scenario.facts
    if scenario.just_now:
        started_at = timezone.now() - timedelta(minutes=10)
    else:
        started_at = night(facts["local_hour"])
    profile = owner.profile
    profile.birth_year = started_at.astimezone(BERLIN).year - facts["age"]
    profile.conditions = sorted(facts.get("conditions", ()))
    profile.medications = sorted(facts.get("medications", ()))
    profile.pregnant = facts.get("pregnant", False)
    profile.save()
    count_7d, count_30d = facts.get("count_7d", 0), facts.get("count_30d", 0)
    for n in range(count_30d):
        days = 1 + n * 6 / count_7d if n < count_7d else 8 + n - count_7d
        EpisodeFactory(user=owner, started_at=started_at - timedelta(days=days), activity="")
    return EpisodeFactory(
        user=owner,
        started_at=started_at,
        duration_seconds=facts["duration_seconds"],
        intensity=facts["intensity"],
        foot=facts["foot"],
        locations=sorted(facts["locations"]),
        fluid_ml=facts.get("fluid_ml"),
        activity=facts.get("activity", ""),
        triggers=sorted(facts.get("triggers", ())),
        symptoms=sorted(facts.get("symptoms", ())),
    )


# What a person sees of each scenario before opening a disclosure: causes with their reasons,
# relief tips and prevention tips. Never more than 3 of each; the rest wait behind disclosures.
VISIBLE = {
    "a cramp at 03:00 while sleeping": (2, 3, 3),
    "after a long run on a hot day with little to drink": (3, 3, 3),
    "in the toes after a day in tight shoes": (1, 3, 1),
    "in high heels with a weak foot": (2, 3, 3),
    "for someone taking a diuretic": (2, 3, 3),
    "with numbness": (2, 2, 0),
    "with numbness and diabetes": (3, 2, 0),
    "with diabetes": (2, 2, 0),
    "with Parkinson's": (1, 2, 0),
    "lasting 40 minutes": (0, 3, 0),
    "during a walk, easing with rest": (1, 0, 0),
    "while holding a stretch": (1, 3, 1),
    "in a pregnant person": (1, 3, 2),
    "at 88 years old": (1, 3, 2),
    "after sitting at a desk all day": (2, 3, 3),
    "with cold feet": (1, 3, 1),
    "after sport without a warm-up": (1, 3, 3),
    "after drinking and smoking": (1, 3, 3),
    "with swelling after sport": (1, 1, 1),
    "the eighth cramp in a week": (0, 3, 0),
    "logged just now, with nothing else known": (0, 3, 0),
    "logged just now, in the calf after a hard run": (2, 3, 3),
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_a_scenario_from_the_articles_ranks_the_expected_causes_first(
    scenario, knowledge, owner, owner_client
):
    episode = log_scenario(owner, scenario)

    causes, red_flags, tips, html = shown(owner_client, episode)

    assert scenario.causes <= set(causes[:3]), causes
    assert set(red_flags) == scenario.red_flags
    assert not (set(causes) & SPECIFIC) - scenario.causes, causes
    kinds = [Tip.objects.get(slug=slug).kind for slug in visible(html, "tips", "tips")]
    order = ["relief", "prevention"] if scenario.just_now else ["prevention", "relief"]
    assert kinds == sorted(kinds, key=order.index)
    assert not scenario.just_now or kinds[0] == "relief"
    seen = (len(visible(html, "causes", "causes")), kinds.count("relief"), len(kinds))
    assert (seen[0], seen[1], seen[2] - seen[1]) == VISIBLE[scenario.name]
    links = re.findall(r'href="/knowledge/tips/([a-z0-9-]+)/"', section(html, "tips"))
    assert len(links) == len(set(links)) == len(tips)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.name)
def test_the_matcher_gives_each_scenario_what_its_page_shows(scenario, knowledge):
    # The admin's effect table evaluates the scenarios without a diary; this keeps it honest.
    rules, targets = advice.read_rules()
    tips, _pages = advice.read_tips()
    world = scenarios.World(rules, {key: target.title for key, target in targets.items()}, tips)

    seen = scenarios.outcome(scenario, world, vocabulary.night())

    causes = [item.key for item in seen.causes]
    assert scenario.causes <= set(causes[:3]), causes
    assert {item.key for item in seen.red_flags} == scenario.red_flags
    assert not (set(causes) & SPECIFIC) - scenario.causes, causes
    kinds = [Tip.objects.get(slug=item.key).kind for item in seen.tips]
    shown_causes = min(len(causes), matching.CAUSES_SHOWN)
    assert (shown_causes, kinds.count("relief"), kinds.count("prevention")) == VISIBLE[
        scenario.name
    ]


def test_the_eighth_cramp_in_a_week_raises_the_frequent_cramps_warning(
    knowledge, owner, owner_client
):
    now = timezone.now()
    for day in range(1, 8):
        EpisodeFactory(user=owner, started_at=now - timedelta(hours=20 * day), activity="")
    eighth = EpisodeFactory(user=owner, started_at=now - timedelta(minutes=30), activity="")

    _causes, red_flags, _tips, html = shown(owner_client, eighth)

    assert "frequent-unexplained" in red_flags
    assert "see a health professional" in section(html, "red-flags")
    assert html.index('id="red-flags"') < html.index('id="causes"')


def test_a_cramp_with_nothing_telling_says_so_and_suggests_what_to_log(
    knowledge, owner, owner_client
):
    episode = EpisodeFactory(user=owner, activity="", fluid_ml=None, intensity=3)

    causes, red_flags, _tips, html = shown(owner_client, episode)

    assert causes == [] and red_flags == []
    assert "would rather not guess" in section(html, "causes")
    assert 'id="red-flags"' not in html


def test_each_cause_shows_the_logged_facts_behind_it(knowledge, owner, owner_client):
    episode = EpisodeFactory(
        user=owner, activity="running", fluid_ml=500, triggers=["heavy_sweating"]
    )

    _causes, _flags, _tips, html = shown(owner_client, episode)

    assert "500 ml" in section(html, "causes")


def test_relief_tips_come_first_just_after_a_cramp_and_prevention_tips_later(
    knowledge, owner, owner_client
):
    fresh = EpisodeFactory(
        user=owner, started_at=timezone.now() - timedelta(minutes=10), triggers=["cold"]
    )
    # The same time of day: an hour apart, one can be a night cramp and the other not.
    old = EpisodeFactory(
        user=owner, started_at=fresh.started_at - timedelta(days=3), triggers=["cold"]
    )
    kinds = dict(Tip.objects.values_list("slug", "kind"))

    fresh_tips = shown(owner_client, fresh)[2]
    old_tips = shown(owner_client, old)[2]

    assert kinds[fresh_tips[0]] == "relief"
    assert kinds[old_tips[0]] == "prevention"
    assert sorted(fresh_tips) == sorted(old_tips)
    assert len(fresh_tips) == len(set(fresh_tips))


def test_every_page_with_causes_says_it_is_not_a_diagnosis(knowledge, owner, owner_client):
    episode = EpisodeFactory(user=owner, triggers=["cold"])

    for url in [f"/diary/{episode.pk}/", "/diary/", "/"]:
        assert "not a diagnosis" in owner_client.get(url).content.decode(), url


def test_an_editors_change_of_weight_changes_the_ranking_on_the_next_view(
    knowledge, owner, owner_client
):
    episode = EpisodeFactory(user=owner, triggers=["high_heels"], symptoms=["weakness"])
    first = shown(owner_client, episode)[0][0]
    other = "muscle-imbalance" if first == "poor-footwear" else "poor-footwear"
    MatchRule.objects.filter(cause__slug=other).update(weight=100)

    assert shown(owner_client, episode)[0][0] == other


def test_an_unpublished_cause_or_red_flag_disappears_from_the_episode_page(
    knowledge, owner, owner_client
):
    episode = EpisodeFactory(user=owner, triggers=["cold"], duration_seconds=3600)
    assert "cold-exposure" in shown(owner_client, episode)[0]
    Cause.objects.filter(slug="cold-exposure").update(published=False)
    RedFlag.objects.filter(slug="long-cramp").update(published=False)

    causes, red_flags, _tips, _html = shown(owner_client, episode)

    assert "cold-exposure" not in causes
    assert "long-cramp" not in red_flags


def test_the_rules_are_read_once_and_again_only_after_an_editor_changes_them(
    knowledge, owner, owner_client
):
    episode = EpisodeFactory(user=owner, triggers=["cold"])

    def rule_reads():
        with CaptureQueriesContext(connection) as queries:
            owner_client.get(f"/diary/{episode.pk}/")
        return sum('"reason"' in query["sql"] for query in queries.captured_queries)

    assert rule_reads() == 1
    assert rule_reads() == 0
    rule = MatchRule.objects.filter(cause__slug="cold-exposure").first()
    rule.reason = "Edited in the admin."
    rule.save()
    assert rule_reads() == 1
    assert rule_reads() == 0
    assert "Edited in the admin." in shown(owner_client, episode)[3]


def test_every_change_to_the_advice_moves_the_content_version_on(knowledge):
    start = ContentVersion.current()
    rule = MatchRule.objects.first()
    rule.weight = 31
    rule.save()
    MatchRule.objects.filter(pk=rule.pk).update(weight=32)
    cause = Cause.objects.first()
    cause.summary = "Edited."
    cause.save()
    Tip.objects.first().delete()
    RedFlag.objects.filter(slug="long-cramp").delete()

    assert ContentVersion.current() == start + 5


def test_migrate_moves_the_content_version_on_for_changes_made_by_data_migrations(knowledge):
    start = ContentVersion.current()

    call_command("migrate", verbosity=0)

    assert ContentVersion.current() == start + 1


def test_a_rule_changed_behind_the_models_back_shows_once_the_version_moves(
    knowledge, owner, owner_client
):
    episode = EpisodeFactory(user=owner, triggers=["cold"])
    assert "cold-exposure" in shown(owner_client, episode)[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE knowledge_matchrule SET published = %s", [False])
    assert "cold-exposure" in shown(owner_client, episode)[0]

    ContentVersion.bump()

    assert shown(owner_client, episode)[0] == []


def test_a_deleted_rule_stops_matching_on_the_next_view(knowledge, owner, owner_client):
    episode = EpisodeFactory(user=owner, triggers=["cold"])
    assert "cold-exposure" in shown(owner_client, episode)[0]

    MatchRule.objects.filter(cause__slug="cold-exposure").delete()

    assert "cold-exposure" not in shown(owner_client, episode)[0]


def test_a_renamed_cause_shows_its_new_title_on_the_next_view(knowledge, owner, owner_client):
    episode = EpisodeFactory(user=owner, triggers=["cold"])
    shown(owner_client, episode)
    cause = Cause.objects.get(slug="cold-exposure")
    cause.title = "Cold feet"
    cause.save()

    assert ">Cold feet</a>" in owner_client.get("/diary/").content.decode()


def test_every_cause_and_red_flag_is_reachable_by_a_shipped_rule(knowledge):
    ruled_causes = set(MatchRule.objects.published().values_list("cause__slug", flat=True))
    ruled_flags = set(MatchRule.objects.published().values_list("red_flag__slug", flat=True))

    assert set(Cause.objects.values_list("slug", flat=True)) <= ruled_causes
    assert set(RedFlag.objects.values_list("slug", flat=True)) <= ruled_flags


def test_the_episode_page_costs_the_same_queries_however_many_rules_causes_and_tips(
    knowledge, owner, owner_client, django_assert_num_queries
):
    episode = EpisodeFactory(user=owner, triggers=["cold", "tight_footwear"], symptoms=["weakness"])
    owner_client.get(f"/diary/{episode.pk}/")
    cache.clear()  # both counted views are first views, as after a change
    with CaptureQueriesContext(connection) as before:
        owner_client.get(f"/diary/{episode.pk}/")
    # Counted now: the connection keeps only the last 9,000 queries, which the loop can pass.
    queries_before = len(before)
    for n in range(20):
        cause = Cause.objects.create(
            slug=f"extra-{n}", title=f"Extra {n}", summary="s", body="b", category="nerves"
        )
        tip = Tip.objects.create(slug=f"extra-tip-{n}", title=f"Tip {n}", kind="prevention")
        tip.causes.add(cause)
        MatchRule.objects.create(
            cause=cause, fact="trigger_any", value="cold", weight=30, reason="r"
        )
    owner_client.get(f"/diary/{episode.pk}/")  # reads the changed rules once
    cache.clear()

    with django_assert_num_queries(queries_before):
        response = owner_client.get(f"/diary/{episode.pk}/")
    assert len(slugs(response.content.decode(), "causes", "causes")) == 5


def test_the_diary_list_costs_the_same_queries_for_one_and_for_a_full_page_of_episodes(
    knowledge, owner, owner_client
):
    EpisodeFactory(user=owner, triggers=["cold"])
    owner_client.get("/diary/")  # reads the rules once
    cache.clear()  # so that both views are first views, as after a change
    with CaptureQueriesContext(connection) as one:
        owner_client.get("/diary/")
    EpisodeFactory.create_batch(30, user=owner, triggers=["cold"])
    with CaptureQueriesContext(connection) as many:
        response = owner_client.get("/diary/")

    assert len(many) == len(one)
    assert response.content.decode().count("/knowledge/causes/cold-exposure/") == 25


def test_home_shows_the_few_likely_causes_of_the_last_30_days_in_one_short_card(
    knowledge, owner, owner_client
):
    # In the afternoon, so that no night-time cause outranks the cold whenever the test runs.
    afternoon = (timezone.now().astimezone(BERLIN) - timedelta(days=1)).replace(hour=15)
    EpisodeFactory.create_batch(3, user=owner, triggers=["cold"], started_at=afternoon)
    EpisodeFactory(
        user=owner,
        triggers=["tight_footwear"],
        fluid_ml=500,
        activity="running",
        started_at=afternoon,
    )
    EpisodeFactory(
        user=owner, started_at=timezone.now() - timedelta(days=60), activity="stretching"
    )

    html = owner_client.get("/").content.decode()

    causes = slugs(html, "causes", "causes")
    assert causes[0] == "cold-exposure"
    assert 2 <= len(causes) <= matching.CAUSES_SHOWN
    assert "stretching-cramp" not in causes
    assert "/knowledge/tips/" not in section(html, "causes")
    assert html.index('id="recent-heading"') < html.index('id="causes"')


def test_a_cramp_happening_now_that_no_cause_explains_gets_the_general_relief_steps(
    knowledge, owner, owner_client
):
    fresh = EpisodeFactory(
        user=owner, started_at=timezone.now() - timedelta(minutes=5), activity="", fluid_ml=None
    )
    general = set(Tip.objects.filter(general=True).values_list("slug", flat=True))

    causes, _flags, tips, html = shown(owner_client, fresh)

    assert causes == []
    assert general == {"stretch-opposite", "massage", "heat", "walk-on-it"}
    assert set(tips) == general
    assert len(visible(html, "tips", "tips")) == matching.TIPS_SHOWN
    assert "Relief now" in section(html, "tips")


def test_a_cramp_with_five_causes_shows_three_with_their_reasons_and_the_rest_behind_one_disclosure(
    knowledge, owner, owner_client
):
    episode = EpisodeFactory(
        user=owner,
        activity="running",
        fluid_ml=700,
        triggers=["heavy_sweating", "intense_exercise", "cold"],
        symptoms=["numbness_tingling"],
    )

    causes, _flags, _tips, html = shown(owner_client, episode)

    assert len(causes) == matching.MAX_CAUSES == 5
    assert visible(html, "causes", "causes") == causes[:3]
    assert section(html, "causes").count("Why we think so") == 3
    assert section(html, "causes").count("<details") == 1
    assert "More possible causes (2)" in section(html, "causes")


def test_a_habit_tip_shows_only_when_the_habit_was_logged(knowledge, owner, owner_client):
    at_night = EpisodeFactory(user=owner, started_at=night(3), activity="sleeping")
    after_smoking = EpisodeFactory(user=owner, started_at=night(4), triggers=["smoking"])
    in_tight_shoes = EpisodeFactory(user=owner, started_at=night(5), triggers=["tight_footwear"])

    assert "poor-circulation" in shown(owner_client, at_night)[0]
    assert "limit-alcohol-smoking" not in shown(owner_client, at_night)[2]
    assert "supportive-footwear" not in shown(owner_client, at_night)[2]
    assert "limit-alcohol-smoking" in visible(shown(owner_client, after_smoking)[3], "tips", "tips")
    assert "supportive-footwear" in visible(shown(owner_client, in_tight_shoes)[3], "tips", "tips")


def test_red_flags_say_each_reason_once_in_plain_words_with_what_to_do(
    knowledge, owner, owner_client
):
    now = timezone.now()
    for day in range(1, 13):
        EpisodeFactory(user=owner, started_at=now - timedelta(days=2 * day), activity="")
    episode = EpisodeFactory(
        user=owner, started_at=night(3), duration_seconds=40 * 60, activity="", intensity=9
    )

    _causes, red_flags, _tips, html = shown(owner_client, episode)
    box = section(html, "red-flags")

    assert set(red_flags) == {"long-cramp", "frequent-unexplained", "persistent-night-cramps"}
    assert box.count("cramps in the 30 days before this one") == 1
    assert box.count("Your cramp lasted 40 min") == 1
    assert "Please see a health professional" in box
    assert "emergency number" in box


@pytest.mark.parametrize("page", ["episode", "home", "month"])
def test_the_not_a_diagnosis_notice_is_given_once_and_the_footer_keeps_a_short_line(
    knowledge, owner, owner_client, page
):
    episode = EpisodeFactory(user=owner, triggers=["cold"], duration_seconds=3600)
    url = {
        "episode": episode.get_absolute_url(),
        "home": "/",
        "month": f"/diary/{episode.local_date:%Y/%m}/",
    }[page]

    html = owner_client.get(url).content.decode()
    main, footer = html.split("<footer", 1)

    assert main.count("not a diagnosis") == 1
    assert footer.count("not a diagnosis") == 1


def test_a_stranger_cannot_see_anothers_episode_advice(knowledge, owner, stranger_client):
    episode = EpisodeFactory(user=owner, triggers=["cold"])

    assert stranger_client.get(f"/diary/{episode.pk}/").status_code == 404


def test_times_are_matched_in_the_persons_time_zone(knowledge, owner, owner_client):
    owner.profile.time_zone = "Asia/Tokyo"
    owner.profile.save()
    at_3_in_tokyo = datetime(2026, 3, 10, 3, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    episode = EpisodeFactory(user=owner, started_at=at_3_in_tokyo, activity="sleeping")

    causes = shown(owner_client, episode)[0]

    assert "poor-circulation" in causes
