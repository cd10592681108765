"""The public knowledge pages, search, drafts, and editing advice in the admin."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import Cause, Citation, MatchRule, Tip

from .factories import (
    ArticleFactory,
    CauseFactory,
    CitationFactory,
    RedFlagFactory,
    TipFactory,
    UserFactory,
)
from .htmlpage import Page

DISCLAIMER = "general information, not a diagnosis"
BACKEND = "diary.backends.ProfileModelBackend"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_knowledge")]


@pytest.fixture
def catalogue():
    article = ArticleFactory(
        title="Cramps explained",
        slug="cramps-explained",
        editor_note="**Erratum:** the figure means magnesium.",
    )
    cause = CauseFactory(
        title="Dehydration",
        slug="dehydration",
        summary="Too little to drink.",
        category="nutrition-fluids",
    )
    tip = TipFactory(
        title="Drink enough", slug="hydrate", kind="prevention", causes=[cause], body="Sip water."
    )
    red_flag = RedFlagFactory(title="A long cramp", slug="long-cramp")
    for entry in ("cause", "tip", "red_flag"):
        CitationFactory(article=article, **{entry: locals()[entry]})
    return {"article": article, "cause": cause, "tip": tip, "red_flag": red_flag}


@pytest.fixture
def editor(db):
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name="Content editors"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor, backend=BACKEND)
    return client


# Public pages -------------------------------------------------------------------------------


def test_an_anonymous_visitor_sees_the_index_grouped_with_a_search_box(client, catalogue):
    CauseFactory(title="Cold feet", category="circulation")
    TipFactory(title="Stretch it out", kind="relief")

    response = client.get("/knowledge/")

    assert response.status_code == 200
    html = response.content.decode()
    assert DISCLAIMER in html
    page = Page(response)
    assert "Activity and lifestyle" not in html, "empty categories are left out"
    assert html.index("Nutrition and fluids") < html.index("Dehydration")
    assert html.index("Dehydration") < html.index("Circulation") < html.index("Cold feet")
    assert html.index("Relief now") < html.index("Stretch it out") < html.index("Prevention")
    assert 'href="/knowledge/tips/hydrate/"' in html
    assert 'href="/knowledge/red-flags/long-cramp/"' in html
    assert 'href="/knowledge/articles/cramps-explained/"' in html
    assert page.by_id("knowledge-q")["attrs"]["name"] == "q"


@pytest.mark.parametrize(
    ("url", "texts"),
    [
        ("/knowledge/causes/dehydration/", ["Dehydration", "/knowledge/tips/hydrate/", "Sources"]),
        ("/knowledge/tips/hydrate/", ["Drink enough", "/knowledge/causes/dehydration/", "Sources"]),
        ("/knowledge/red-flags/long-cramp/", ["A long cramp", "See a health professional"]),
        ("/knowledge/articles/cramps-explained/", ["Cramps explained", "Editor’s note"]),
    ],
)
def test_every_detail_page_is_public_and_says_it_is_not_a_diagnosis(client, catalogue, url, texts):
    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert DISCLAIMER in html
    for text in texts:
        assert text in html


def test_sources_link_to_the_highlighted_passage_in_the_article(client, catalogue):
    citation = catalogue["cause"].citations.get()

    cause_page = client.get("/knowledge/causes/dehydration/").content.decode()
    article_page = Page(client.get("/knowledge/articles/cramps-explained/"))

    assert f'href="/knowledge/articles/cramps-explained/#{citation.anchor}"' in cause_page
    mark = article_page.by_id(citation.anchor)
    assert mark["tag"] == "mark"
    assert "cited" in mark["attrs"]["class"]
    assert article_page.text_of(citation.anchor) == citation.quote


def test_an_article_lists_the_entries_that_cite_it_and_shows_the_editors_note(client, catalogue):
    response = client.get("/knowledge/articles/cramps-explained/")

    page = Page(response)
    citing = page.text_of("citing-heading")
    assert citing == "Entries that cite this article"
    html = response.content.decode()
    for url in ("/knowledge/causes/dehydration/", "/knowledge/tips/hydrate/"):
        assert f'href="{url}"' in html
    assert "<strong>Erratum:</strong> the figure means magnesium." in html


def test_an_unknown_slug_answers_404(client, catalogue):
    for url in ("causes", "tips", "red-flags", "articles"):
        assert client.get(f"/knowledge/{url}/no-such-thing/").status_code == 404


# Drafts -------------------------------------------------------------------------------------


def test_a_draft_cause_answers_404_and_disappears_from_every_list(client, catalogue):
    Cause.objects.filter(slug="dehydration").update(published=False)

    assert client.get("/knowledge/causes/dehydration/").status_code == 404
    for url in (
        "/knowledge/",
        "/knowledge/tips/hydrate/",
        "/knowledge/articles/cramps-explained/",
        "/knowledge/search/?q=dehydration",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert "/knowledge/causes/dehydration/" not in response.content.decode(), url


def test_a_draft_tip_and_red_flag_answer_404_and_are_not_linked(client, catalogue):
    Tip.objects.filter(slug="hydrate").update(published=False)
    catalogue["red_flag"].published = False
    catalogue["red_flag"].save()

    assert client.get("/knowledge/tips/hydrate/").status_code == 404
    assert client.get("/knowledge/red-flags/long-cramp/").status_code == 404
    for url in ("/knowledge/", "/knowledge/causes/dehydration/", "/knowledge/search/?q=a"):
        html = client.get(url).content.decode()
        assert "/knowledge/tips/hydrate/" not in html, url
        assert "/knowledge/red-flags/long-cramp/" not in html, url


def test_a_draft_article_answers_404_and_its_sources_links_disappear(client, catalogue):
    catalogue["article"].published = False
    catalogue["article"].save()

    assert client.get("/knowledge/articles/cramps-explained/").status_code == 404
    for url in ("/knowledge/", "/knowledge/causes/dehydration/"):
        assert "/knowledge/articles/cramps-explained/" not in client.get(url).content.decode()


# Search -------------------------------------------------------------------------------------


def test_search_finds_published_entries_and_articles_by_title_summary_and_body(client, catalogue):
    CauseFactory(title="Secret draft", body="water everywhere", published=False)

    response = client.get("/knowledge/search/", {"q": "  WATER "})

    html = response.content.decode()
    assert response.status_code == 200
    assert DISCLAIMER in html
    assert 'href="/knowledge/tips/hydrate/"' in html  # "Sip water." in the body
    assert "Secret draft" not in html
    assert "1 result for “WATER”" in html

    by_summary = client.get("/knowledge/search/", {"q": "too little"}).content.decode()
    assert 'href="/knowledge/causes/dehydration/"' in by_summary
    by_article = client.get("/knowledge/search/", {"q": "calf"}).content.decode()
    assert 'href="/knowledge/articles/cramps-explained/"' in by_article


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a word such as"),
        ("   ", "Type a word such as"),
        ("x" * 101, "at most 100 characters"),
        ("zebra crossing", "Nothing matches “zebra crossing”"),
        ("<script>alert(1)</script>", "Nothing matches “&lt;script&gt;alert(1)&lt;/script&gt;”"),
    ],
)
def test_search_answers_empty_long_and_unmatched_queries_kindly(client, catalogue, query, message):
    response = client.get("/knowledge/search/", {"q": query})

    assert response.status_code == 200
    assert message in response.content.decode()


# Sanitising ---------------------------------------------------------------------------------

PAYLOAD = (
    "Fine text.\n\n<script>alert('body')</script>\n\n"
    '<img src="x" onerror="alert(2)"> <b onmouseover="alert(3)">bold</b>\n\n'
    "[js](javascript:alert(4)) [data](data:text/html;base64,PHNjcmlwdD4=) "
    '<a href="JaVaScRiPt:alert(5)">raw</a>'
)


def assert_clean(html):
    lowered = html.lower()
    for forbidden in ("alert(", "onerror", "onmouseover", "javascript:", 'href="data:', "<img"):
        assert forbidden not in lowered
    assert "Fine text." in html


def test_scripts_event_handlers_and_dangerous_links_never_reach_a_page(client, catalogue):
    Cause.objects.filter(slug="dehydration").update(body=PAYLOAD)
    Tip.objects.filter(slug="hydrate").update(body=PAYLOAD)
    catalogue["red_flag"].body = PAYLOAD
    catalogue["red_flag"].save()
    article = catalogue["article"]
    article.body = PAYLOAD + "\n\n" + article.body
    article.editor_note = PAYLOAD
    article.save()

    for url in (
        "/knowledge/causes/dehydration/",
        "/knowledge/tips/hydrate/",
        "/knowledge/red-flags/long-cramp/",
        "/knowledge/articles/cramps-explained/",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert_clean(response.content.decode())


def test_titles_and_summaries_are_escaped(client):
    CauseFactory(slug="escaped", title="<script>alert(1)</script>", summary='<b onclick="x">s</b>')

    html = client.get("/knowledge/causes/escaped/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<b onclick="x">' not in html


# Query counts -------------------------------------------------------------------------------


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def grow(catalogue, times):
    article = catalogue["article"]
    for _ in range(times):
        cause = CauseFactory()
        tip = TipFactory(causes=[catalogue["cause"], cause])
        red_flag = RedFlagFactory()
        catalogue["tip"].causes.add(cause)
        CitationFactory(article=article, cause=cause)
        CitationFactory(article=article, tip=tip)
        CitationFactory(article=article, red_flag=red_flag)
        CitationFactory(article=ArticleFactory(), cause=catalogue["cause"])
        CitationFactory(article=ArticleFactory(), tip=catalogue["tip"])
        CitationFactory(article=ArticleFactory(), red_flag=catalogue["red_flag"])


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        ("/knowledge/", 4),
        ("/knowledge/causes/dehydration/", 3),
        ("/knowledge/tips/hydrate/", 3),
        ("/knowledge/red-flags/long-cramp/", 2),
        ("/knowledge/articles/cramps-explained/", 2),
        ("/knowledge/search/?q=a", 4),
    ],
)
def test_each_page_takes_the_same_number_of_queries_however_much_content_there_is(
    client, catalogue, django_assert_num_queries, url, queries
):
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    grow(catalogue, 4)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


# Admin: editors, permissions, history ------------------------------------------------------


def tip_form_data(tip, **changes):
    data = {
        "title": tip.title,
        "slug": tip.slug,
        "kind": tip.kind,
        "summary": tip.summary,
        "body": tip.body,
        "causes": [cause.pk for cause in tip.causes.all()],
        "published": "on" if tip.published else "",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
    }
    citations = list(tip.citations.all())
    for index, citation in enumerate(citations):
        data[f"citations-{index}-id"] = citation.pk
        data[f"citations-{index}-tip"] = tip.pk
        data[f"citations-{index}-article"] = citation.article_id
        data[f"citations-{index}-quote"] = citation.quote
    data["citations-TOTAL_FORMS"] = data["citations-INITIAL_FORMS"] = str(len(citations))
    data.update(changes)
    return data


def test_the_content_editors_group_may_edit_knowledge_and_nothing_else():
    group = Group.objects.get(name="Content editors")
    permissions = set(group.permissions.values_list("content_type__app_label", "codename"))

    assert {label for label, _ in permissions} == {"knowledge"}
    for model in ("article", "cause", "tip", "redflag", "citation", "matchrule"):
        for action in ("add", "change", "delete", "view"):
            assert ("knowledge", f"{action}_{model}") in permissions


def test_an_editor_changes_a_tip_and_sees_it_on_the_site_and_in_the_history(editor_client, editor):
    tip = TipFactory(title="Drink enough", slug="drink", body="Sip water.")
    url = f"/admin/knowledge/tip/{tip.pk}/change/"
    assert editor_client.get(url).status_code == 200

    response = editor_client.post(url, tip_form_data(tip, body="Drink a glass every hour."))

    assert response.status_code == 302
    page = editor_client.get("/knowledge/tips/drink/").content.decode()
    assert "Drink a glass every hour." in page
    history = list(tip.history.order_by("history_date"))
    assert len(history) == 2
    assert history[-1].history_user == editor
    assert history[-1].body == "Drink a glass every hour."
    history_page = editor_client.get(f"/admin/knowledge/tip/{tip.pk}/history/")
    assert history_page.status_code == 200
    assert "Drink enough" in history_page.content.decode()


def test_an_editor_restores_an_earlier_version_from_the_history(editor_client, catalogue):
    tip = catalogue["tip"]
    url = f"/admin/knowledge/tip/{tip.pk}/change/"
    editor_client.post(url, tip_form_data(tip, body="A mistaken edit."))
    versions = tip.history.count()
    original = tip.history.earliest("history_date")

    revert_url = f"/admin/knowledge/tip/{tip.pk}/history/{original.history_id}/"
    form = editor_client.get(revert_url)
    assert form.status_code == 200
    assert "Sip water." in form.content.decode()
    tip.refresh_from_db()
    response = editor_client.post(revert_url, tip_form_data(tip, body=original.body))

    assert response.status_code == 302
    tip.refresh_from_db()
    assert tip.body == "Sip water."
    assert tip.history.count() == versions + 1
    assert "Sip water." in editor_client.get("/knowledge/tips/hydrate/").content.decode()


def test_staff_without_the_editors_group_cannot_edit_knowledge(client, catalogue):
    staff = UserFactory(username="staff", is_staff=True)
    client.force_login(staff, backend=BACKEND)
    tip = catalogue["tip"]
    url = f"/admin/knowledge/tip/{tip.pk}/change/"

    assert client.get(url).status_code == 403
    assert client.post(url, tip_form_data(tip, body="Vandalised.")).status_code == 403
    tip.refresh_from_db()
    assert tip.body == "Sip water."


def test_an_editor_cannot_see_people_or_their_diaries(editor_client):
    assert editor_client.get("/admin/auth/user/").status_code == 403
    assert editor_client.get("/admin/diary/episode/").status_code == 403


def test_the_admin_has_view_on_site_links_for_entries(editor_client, catalogue):
    cause = catalogue["cause"]

    html = editor_client.get(f"/admin/knowledge/cause/{cause.pk}/change/").content.decode()

    assert "View on site" in html


def test_an_editor_adds_a_cause_with_a_citation_in_one_form(editor_client, catalogue):
    article = catalogue["article"]
    data = {
        "title": "Cold feet",
        "slug": "cold-feet",
        "category": "circulation",
        "summary": "Cold makes muscles tighten.",
        "body": "Keep warm.",
        "published": "on",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "citations-0-article": article.pk,
        "citations-0-quote": "Stretching the calf often eases a cramp quickly.",
    }

    response = editor_client.post("/admin/knowledge/cause/add/", data)

    assert response.status_code == 302, response.context["errors"]
    cause = Cause.objects.get(slug="cold-feet")
    assert cause.citations.get().article == article


def test_a_citation_whose_quote_is_not_in_the_article_is_refused(editor_client, catalogue):
    cause = catalogue["cause"]
    data = {
        "title": cause.title,
        "slug": cause.slug,
        "category": cause.category,
        "summary": cause.summary,
        "body": cause.body,
        "published": "on",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "0",
        "citations-MAX_NUM_FORMS": "1000",
        "citations-0-article": catalogue["article"].pk,
        "citations-0-quote": "Words the article never says.",
    }

    response = editor_client.post(f"/admin/knowledge/cause/{cause.pk}/change/", data)

    assert response.status_code == 200
    assert "does not appear word for word in the article" in response.content.decode()
    assert cause.citations.count() == 1


def test_a_rule_with_a_broken_placeholder_is_refused_with_a_message(editor_client, catalogue):
    data = {
        "cause": catalogue["cause"].pk,
        "fact": "fluids_below",
        "value": "1500",
        "weight": "40",
        "reason": "You drank {fluid} before.",
        "published": "on",
    }

    response = editor_client.post("/admin/knowledge/matchrule/add/", data)

    assert response.status_code == 200
    assert "Unknown placeholder" in response.content.decode()
    assert not MatchRule.objects.exists()

    data["reason"] = "You drank {fluids} before."
    assert editor_client.post("/admin/knowledge/matchrule/add/", data).status_code == 302
    assert MatchRule.objects.get().weight == 40


def test_a_rule_must_point_at_exactly_one_cause_or_red_flag(editor_client, catalogue):
    data = {
        "cause": catalogue["cause"].pk,
        "red_flag": catalogue["red_flag"].pk,
        "fact": "night",
        "value": "",
        "weight": "30",
        "reason": "It happened at night.",
        "published": "on",
    }

    response = editor_client.post("/admin/knowledge/matchrule/add/", data)

    assert response.status_code == 200
    assert "Pick either a cause or a red flag" in response.content.decode()
    assert not MatchRule.objects.exists()


def test_a_citation_can_only_back_one_entry(catalogue):
    citation = Citation(
        article=catalogue["article"],
        quote="Cramps are sudden.",
        cause=catalogue["cause"],
        tip=catalogue["tip"],
    )

    with pytest.raises(Exception, match="exactly one"):
        citation.full_clean()


@pytest.mark.parametrize("model", ["article", "cause", "tip", "redflag", "citation", "matchrule"])
def test_every_knowledge_admin_page_opens_for_an_editor(editor_client, catalogue, model):
    MatchRule.objects.create(
        cause=catalogue["cause"], fact="night", weight=30, reason="It was at night."
    )
    changelist = editor_client.get(f"/admin/knowledge/{model}/", {"q": "a"})
    add = editor_client.get(f"/admin/knowledge/{model}/add/")

    assert changelist.status_code == 200
    assert add.status_code == 200
