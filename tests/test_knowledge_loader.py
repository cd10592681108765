"""manage.py load_knowledge: the shipped content, loaded once, never over an editor's work."""

import io
import textwrap
import tomllib
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from knowledge.models import Article, Cause, Citation, MatchRule, RedFlag, Revision, Tip

from .factories import UserFactory

CONTENT = Path(__file__).resolve().parent.parent / "knowledge" / "content"

CATALOGUE = """
[[articles]]
slug = "cramps-explained"
title = "Cramps explained"
source_file = "000_example.txt"
editor_note = "**Erratum:** a figure was wrong."

[[causes]]
slug = "dehydration"
title = "Dehydration"
category = "nutrition-fluids"
summary = "Too little to drink."
body = "Drink more."

[[causes.citations]]
article = "cramps-explained"
quote = "Too little fluid can cause cramps."

[[tips]]
slug = "hydrate"
title = "Drink enough"
kind = "prevention"
causes = ["dehydration"]
summary = "Drink through the day."
body = "Keep a bottle nearby."

[[tips.citations]]
article = "cramps-explained"
quote = "Drinking water through the day helps."

[[red_flags]]
slug = "long-cramp"
title = "A cramp that lasts long"
summary = "Longer than fifteen minutes."
body = "See a health professional."

[[red_flags.citations]]
article = "cramps-explained"
quote = "A cramp lasting longer than fifteen minutes needs a doctor."
"""

RULES = """
[[rules]]
cause = "dehydration"
fact = "fluids_below"
value = "1500"
weight = 40
reason = "You drank {fluids} in the 24 hours before."

[[rules]]
red_flag = "long-cramp"
fact = "duration_over"
value = "900"
weight = 100
reason = "It lasted {duration}."
"""

ARTICLE = (
    "Too little fluid can cause cramps.\n\n## What helps\n\n"
    "Drinking water through the day helps.\n\n"
    "A cramp lasting longer than fifteen minutes needs a doctor.\n"
)

REQUIRED_CAUSES = [
    "dehydration",
    "electrolyte-imbalance",
    "muscle-fatigue",
    "strenuous-exercise",
    "sedentary-lifestyle",
    "prolonged-position",
    "poor-footwear",
    "poor-circulation",
    "cold-exposure",
    "medications",
    "pregnancy",
    "nerve-compression",
    "peripheral-neuropathy",
    "peripheral-artery-disease",
    "neurological-conditions",
    "chronic-conditions",
    "aging",
    "muscle-imbalance",
    "stretching-cramp",
    "muscle-strain-injury",
]
REQUIRED_RELIEF = [
    "stretch-opposite",
    "massage",
    "heat",
    "cold-pack-after",
    "walk-on-it",
    "flex-and-spread-toes",
    "stop-the-stretch",
]
REQUIRED_PREVENTION = [
    "hydrate",
    "stretch-routine",
    "supportive-footwear",
    "warm-up-cool-down",
    "strengthening",
    "balanced-minerals",
    "supplements-with-professional",
    "rest-after-strain",
    "stay-active",
    "keep-feet-warm",
    "change-position",
    "review-medications",
    "limit-alcohol-smoking",
]
REQUIRED_RED_FLAGS = [
    "long-cramp",
    "numbness-tingling",
    "claudication",
    "frequent-unexplained",
    "persistent-night-cramps",
]


@pytest.fixture
def content(tmp_path, empty_knowledge):
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "cramps-explained.md").write_text(ARTICLE)
    (tmp_path / "catalogue.toml").write_text(CATALOGUE)
    (tmp_path / "rules.toml").write_text(RULES)
    return tmp_path


def load(content_dir, *args):
    out = io.StringIO()
    call_command("load_knowledge", "--content-dir", str(content_dir), *args, stdout=out)
    return out.getvalue()


def snapshot():
    """Every knowledge row with its fields and history count, to compare before and after."""
    rows = {}
    for model in (Article, Cause, Tip, RedFlag, Citation, MatchRule):
        rows[model.__name__] = list(model.objects.order_by("pk").values())
        rows[model.__name__ + " history"] = model.history.count()
    rows["tip causes"] = sorted(Tip.causes.through.objects.values_list("tip_id", "cause_id"))
    return rows


@pytest.mark.django_db
def test_loading_creates_every_shipped_entry_with_its_citations_and_rules(content):
    output = load(content)

    assert "created 1 articles, 1 causes, 1 tips, 1 red flags, 3 citations, 2 rules" in output
    article = Article.objects.get(slug="cramps-explained")
    assert article.body == ARTICLE
    assert article.editor_note == "**Erratum:** a figure was wrong."
    tip = Tip.objects.get(slug="hydrate")
    assert list(tip.causes.values_list("slug", flat=True)) == ["dehydration"]
    assert tip.citations.get().quote == "Drinking water through the day helps."
    assert RedFlag.objects.get().citations.count() == 1
    assert MatchRule.objects.get(red_flag__slug="long-cramp").weight == 100
    assert Citation.objects.count() == 3


@pytest.mark.django_db
def test_loading_twice_creates_nothing_and_changes_nothing(content):
    load(content)
    before = snapshot()

    output = load(content)

    assert output.strip() == "Knowledge base up to date: nothing created or changed."
    assert snapshot() == before


@pytest.mark.django_db
def test_loading_again_keeps_what_an_editor_changed_and_restores_what_was_deleted(content):
    load(content)
    Cause.objects.filter(slug="dehydration").update(body="Edited by an editor.", published=False)
    MatchRule.objects.filter(cause__slug="dehydration").update(weight=5)
    Tip.objects.get(slug="hydrate").causes.clear()
    RedFlag.objects.filter(slug="long-cramp").delete()

    output = load(content)

    cause = Cause.objects.get(slug="dehydration")
    assert cause.body == "Edited by an editor."
    assert not cause.published
    assert MatchRule.objects.get(cause=cause).weight == 5
    assert not Tip.objects.get(slug="hydrate").causes.exists()
    red_flag = RedFlag.objects.get(slug="long-cramp")
    assert red_flag.citations.count() == 1
    assert MatchRule.objects.filter(red_flag=red_flag).count() == 1
    assert "created 1 red flags, 1 citations, 1 rules; restored nothing" in output


@pytest.mark.django_db
def test_a_renamed_cause_and_a_retuned_rule_stay_the_shipped_ones_when_loading_again(content):
    load(content)
    Cause.objects.filter(slug="dehydration").update(slug="too-little-to-drink")
    RedFlag.objects.filter(slug="long-cramp").update(slug="a-long-cramp")
    MatchRule.objects.filter(fact="fluids_below").update(value="1200")
    before = snapshot()

    output = load(content)

    assert output.strip() == "Knowledge base up to date: nothing created or changed."
    assert snapshot() == before
    assert list(Cause.objects.values_list("slug", flat=True)) == ["too-little-to-drink"]
    assert MatchRule.objects.get(fact="fluids_below").value == "1200"


@pytest.mark.django_db
def test_reset_puts_back_a_renamed_slug_and_a_retuned_value_without_adding_rows(content):
    load(content)
    Cause.objects.filter(slug="dehydration").update(slug="too-little-to-drink")
    MatchRule.objects.filter(fact="fluids_below").update(value="1200")

    load(content, "--reset")

    assert list(Cause.objects.values_list("slug", flat=True)) == ["dehydration"]
    assert list(MatchRule.objects.values_list("value", flat=True).order_by("pk")) == [
        "1500",
        "900",
    ]


@pytest.mark.django_db
def test_an_editors_entry_under_a_shipped_slug_becomes_the_shipped_one_as_they_left_it(content):
    own = Cause.objects.create(
        title="Mine", slug="dehydration", summary="s", body="b", category="nerves"
    )

    load(content)

    own.refresh_from_db()
    assert (own.title, own.shipped_key) == ("Mine", "dehydration")
    assert Cause.objects.count() == 1
    assert MatchRule.objects.get(fact="fluids_below").cause == own


@pytest.mark.django_db
def test_reset_restores_the_shipped_text_and_links_on_purpose(content):
    load(content)
    Cause.objects.filter(slug="dehydration").update(body="Edited.", published=False)
    Article.objects.filter(slug="cramps-explained").update(editor_note="")
    tip = Tip.objects.get(slug="hydrate")
    tip.causes.clear()
    tip.citations.all().delete()
    MatchRule.objects.filter(cause__slug="dehydration").update(weight=5, reason="Edited.")
    extra = Cause.objects.create(
        title="An editor's own cause", slug="editors-own", summary="s", body="b", category="nerves"
    )

    output = load(content, "--reset")

    cause = Cause.objects.get(slug="dehydration")
    assert cause.body == "Drink more."
    assert cause.published
    assert Article.objects.get().editor_note == "**Erratum:** a figure was wrong."
    assert list(tip.causes.all()) == [cause]
    assert tip.citations.count() == 1
    rule = MatchRule.objects.get(cause=cause)
    assert (rule.weight, rule.reason) == (40, "You drank {fluids} in the 24 hours before.")
    assert Cause.objects.filter(pk=extra.pk).exists(), "reset leaves editors' own entries alone"
    assert "restored 1 articles, 1 causes, 1 rules" in output
    assert Citation.objects.count() == 3


@pytest.mark.django_db
def test_loading_again_leaves_drafts_alone(content):
    load(content)
    RedFlag.objects.get().delete()
    draft = Revision.objects.save_draft(
        Tip, Tip.objects.get().pk, UserFactory(), {"body": "A draft body."}
    )

    output = load(content)

    assert "created 1 red flags" in output
    draft.refresh_from_db()
    assert (draft.status, draft.data) == ("draft", {"body": "A draft body."})
    assert Tip.objects.get().body == "Keep a bottle nearby."


@pytest.mark.django_db
def test_reset_keeps_open_drafts_and_their_reviewer_sees_the_published_text_changed(content):
    load(content)
    cause = Cause.objects.get(slug="dehydration")
    Cause.objects.filter(pk=cause.pk).update(body="Edited and approved.")
    draft = Revision.objects.save_draft(Cause, cause.pk, UserFactory(), {"body": "A draft."})

    output = load(content, "--reset")

    draft.refresh_from_db()
    cause.refresh_from_db()
    assert cause.body == "Drink more."
    assert cause.history.latest("history_date").history_change_reason == (
        "Shipped text restored (load_knowledge --reset)"
    )
    assert (draft.status, draft.data) == ("draft", {"body": "A draft."})
    assert draft.conflicts(cause.revised_values()) == ["body"]
    assert "1 open drafts of restored entries are kept" in output


@pytest.mark.django_db
def test_a_quote_missing_from_its_article_stops_the_load_and_saves_nothing(content):
    catalogue = content / "catalogue.toml"
    catalogue.write_text(CATALOGUE.replace("needs a doctor.", "needs a nurse."))

    with pytest.raises(CommandError, match="not found in article cramps-explained") as error:
        load(content)

    assert (
        "The closest passage is: “A cramp lasting longer than fifteen minutes needs a doctor.”"
        in (str(error.value))
    )
    assert not Article.objects.exists()


@pytest.mark.django_db
def test_an_invalid_rule_stops_the_load_and_rolls_everything_back(content):
    (content / "rules.toml").write_text(RULES.replace("{duration}", "{nonsense}"))

    with pytest.raises(CommandError, match="Rule 2 is not valid"):
        load(content)

    assert not Article.objects.exists()
    assert not Cause.objects.exists()
    assert not MatchRule.objects.exists()


@pytest.mark.django_db
def test_a_missing_content_folder_gives_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        load(tmp_path / "nowhere")


# The shipped content ---------------------------------------------------------------------


def shipped():
    with (CONTENT / "catalogue.toml").open("rb") as file:
        return tomllib.load(file)


def test_every_shipped_quote_is_word_for_word_in_its_article():
    catalogue = shipped()
    bodies = {
        item["slug"]: (CONTENT / "articles" / f"{item['slug']}.md").read_text()
        for item in catalogue["articles"]
    }
    quotes = [
        (entry["slug"], citation)
        for section in ("causes", "tips", "red_flags")
        for entry in catalogue[section]
        for citation in entry["citations"]
    ]

    assert len(bodies) == 5
    assert quotes
    for slug, citation in quotes:
        assert citation["quote"] in bodies[citation["article"]], (slug, citation["quote"])


def test_the_shipped_articles_are_cleaned_of_web_page_leftovers():
    for path in (CONTENT / "articles").glob("*.md"):
        text = path.read_text()
        assert "Go up" not in text, path.name
        assert "Photo" not in text, path.name


def test_the_mineral_erratum_is_recorded_and_the_tip_gives_the_magnesium_figure():
    catalogue = shipped()
    notes = {item["slug"]: item["editor_note"] for item in catalogue["articles"]}
    tips = {item["slug"]: item for item in catalogue["tips"]}

    assert "310 to 420 mg of magnesium" in notes["nighttime-foot-cramps-while-stretching"]
    assert "310 to 420 mg of magnesium" in (
        CONTENT / "articles" / "nighttime-foot-cramps-while-stretching.md"
    ).read_text().replace("310 to 420 mg of potassium", "310 to 420 mg of magnesium")
    assert "magnesium: 310 to 420 mg" in tips["balanced-minerals"]["body"]


def test_the_full_catalogue_loads_with_every_required_entry_published_and_cited(knowledge):
    for model, slugs in (
        (Cause, REQUIRED_CAUSES),
        (Tip, REQUIRED_RELIEF + REQUIRED_PREVENTION),
        (RedFlag, REQUIRED_RED_FLAGS),
    ):
        entries = model.objects.published().filter(slug__in=slugs)
        assert sorted(entries.values_list("slug", flat=True)) == sorted(slugs)
        uncited = entries.filter(citations__isnull=True)
        assert not uncited.exists(), list(uncited)
    assert set(Tip.objects.filter(slug__in=REQUIRED_RELIEF).values_list("kind", flat=True)) == {
        "relief"
    }
    assert set(Tip.objects.filter(slug__in=REQUIRED_PREVENTION).values_list("kind", flat=True)) == {
        "prevention"
    }
    assert not Tip.objects.filter(causes__isnull=True).exists(), "every tip addresses a cause"
    assert Article.objects.published().count() == 5
    for citation in Citation.objects.select_related("article"):
        assert citation.quote in citation.article.body


def test_every_cause_and_red_flag_in_the_catalogue_is_reachable_by_a_shipped_rule(knowledge):
    assert not Cause.objects.filter(rules__isnull=True).exists()
    assert not RedFlag.objects.filter(rules__isnull=True).exists()


def test_loading_the_shipped_content_twice_changes_nothing(knowledge):
    before = snapshot()

    output = load(CONTENT)

    assert "nothing created or changed" in output
    assert snapshot() == before


def test_every_shipped_citation_is_marked_on_its_article_page(knowledge, client):
    pages = {}
    for citation in Citation.objects.select_related("article"):
        url = citation.article.get_absolute_url()
        if url not in pages:
            pages[url] = client.get(url).content.decode()
        assert f'id="{citation.anchor}"' in pages[url], citation.quote


def test_the_fixture_catalogue_matches_the_shipped_format():
    fixture = tomllib.loads(textwrap.dedent(CATALOGUE))
    real = shipped()

    for section in ("articles", "causes", "tips", "red_flags"):
        assert set(fixture[section][0]) <= set(real[section][0])


def test_the_shipped_catalogue_marks_the_general_relief_steps_habit_tips_and_source_kinds(
    knowledge,
):
    general = set(Tip.objects.filter(general=True).values_list("slug", flat=True))

    assert general == {"stretch-opposite", "massage", "heat", "walk-on-it"}
    assert set(Tip.objects.filter(general=True).values_list("kind", flat=True)) == {"relief"}
    habits = {tip.slug: tip.habits for tip in Tip.objects.exclude(habits=[])}
    assert habits == {
        "limit-alcohol-smoking": ["alcohol", "smoking"],
        "supportive-footwear": ["tight_footwear", "high_heels"],
    }
    for article in Article.objects.all():
        assert article.provenance == "a general-audience web article; author and date not known"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("general = true", "Only a relief tip can be a general relief step"),
        ('habits = ["cigars"]', "cigars is not one of the available choices"),
    ],
)
def test_a_tip_flag_that_cannot_hold_stops_the_load(content, extra, message):
    (content / "catalogue.toml").write_text(
        CATALOGUE.replace('kind = "prevention"', f'kind = "prevention"\n{extra}')
    )

    with pytest.raises(CommandError, match=message):
        load(content)

    assert not Tip.objects.exists()
