"""The public knowledge pages, search, drafts, and editing advice in the admin."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import Cause, Citation, MatchRule, Revision, Tip

from .conftest import BACKEND
from .editing import form_data
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
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_knowledge")]


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


def test_the_content_editors_group_may_edit_knowledge_and_nothing_else():
    group = Group.objects.get(name="Content editors")
    permissions = set(group.permissions.values_list("content_type__app_label", "codename"))

    assert {label for label, _ in permissions} == {"knowledge"}
    for model in ("article", "cause", "tip", "redflag", "citation", "matchrule"):
        for action in ("add", "change", "delete", "view"):
            assert ("knowledge", f"{action}_{model}") in permissions


def test_staff_without_the_editors_group_cannot_edit_knowledge(client, catalogue):
    staff = UserFactory(username="staff", is_staff=True)
    client.force_login(staff, backend=BACKEND)
    tip = catalogue["tip"]
    url = f"/admin/knowledge/tip/{tip.pk}/change/"

    assert client.get(url).status_code == 403
    assert client.post(url, form_data(tip, body="Vandalised.")).status_code == 403
    tip.refresh_from_db()
    assert tip.body == "Sip water."
    assert not Revision.objects.exists()


def test_an_editor_cannot_see_people_or_their_diaries(editor_client):
    assert editor_client.get("/admin/auth/user/").status_code == 403
    assert editor_client.get("/admin/diary/episode/").status_code == 404


def test_the_admin_has_view_on_site_links_for_entries(editor_client, catalogue):
    cause = catalogue["cause"]

    html = editor_client.get(f"/admin/knowledge/cause/{cause.pk}/change/").content.decode()

    assert "View on site" in html


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
    assert not Revision.objects.exists()

    data["reason"] = "You drank {fluids} before."
    assert editor_client.post("/admin/knowledge/matchrule/add/", data).status_code == 302
    assert Revision.objects.get().data["weight"] == 40
    assert not MatchRule.objects.exists(), "a new rule is a draft until a reviewer approves it"


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
    assert not Revision.objects.exists()


def test_a_citation_can_only_back_one_entry(catalogue):
    citation = Citation(
        article=catalogue["article"],
        quote="Cramps are sudden.",
        cause=catalogue["cause"],
        tip=catalogue["tip"],
    )

    with pytest.raises(Exception, match="exactly one"):
        citation.full_clean()


@pytest.mark.parametrize("model", ["article", "cause", "tip", "redflag", "matchrule"])
def test_every_knowledge_admin_page_opens_for_an_editor(editor_client, catalogue, model):
    MatchRule.objects.create(
        cause=catalogue["cause"], fact="night", weight=30, reason="It was at night."
    )
    changelist = editor_client.get(f"/admin/knowledge/{model}/", {"q": "a"})
    add = editor_client.get(f"/admin/knowledge/{model}/add/")

    assert changelist.status_code == 200
    assert add.status_code == 200


def test_citations_are_read_in_their_own_list_and_edited_only_with_their_entry(
    editor_client, catalogue
):
    citation = catalogue["tip"].citations.get()

    assert editor_client.get("/admin/knowledge/citation/", {"q": "a"}).status_code == 200
    assert editor_client.get(f"/admin/knowledge/citation/{citation.pk}/change/").status_code == 200
    assert editor_client.get("/admin/knowledge/citation/add/").status_code == 403
    response = editor_client.post(
        f"/admin/knowledge/citation/{citation.pk}/change/",
        {"article": citation.article_id, "quote": "Cramps are sudden.", "tip": citation.tip_id},
    )
    assert response.status_code == 403
    citation.refresh_from_db()
    assert citation.quote == "Stretching the calf often eases a cramp quickly."


def test_an_article_and_each_citation_say_what_the_source_is_and_what_is_not_known(
    client, catalogue
):
    article_page = client.get("/knowledge/articles/cramps-explained/").content.decode()
    cause_page = client.get("/knowledge/causes/dehydration/").content.decode()

    known = "a general-audience web article; author and date not known"
    assert known in article_page
    assert f"From “Cramps explained”, {known}." in cause_page
    catalogue["article"].author, catalogue["article"].source_date = "A. Writer", "2023"
    catalogue["article"].save()
    assert "a general-audience web article, by A. Writer, dated 2023." in (
        client.get("/knowledge/tips/hydrate/").content.decode()
    )
