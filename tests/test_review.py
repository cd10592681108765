"""Editing advice safely: drafts, a reviewer's approval, the diff, the preview and the effect."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge import diff, markup
from knowledge.models import Article, Cause, MatchRule, RedFlag, Revision, Tip

from .conftest import BACKEND
from .editing import form_data, make_staff, management
from .factories import CauseFactory, EpisodeFactory, TipFactory, UserFactory

pytestmark = pytest.mark.django_db


def log_in(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def change_url(item):
    return f"/admin/knowledge/{item._meta.model_name}/{item.pk}/change/"


def review_url(revision):
    return f"/admin/knowledge/revision/{revision.pk}/change/"


def draft_change(client, item, submit=True, **changes):
    """Post the item's change form as an editor; returns the open draft."""
    data = form_data(item, **changes)
    if submit:
        data["_submit"] = "Save and submit for review"
    response = client.post(change_url(item), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    return Revision.objects.open().of(type(item), item.pk).get()


def decide(client, revision, action, comment=""):
    revision.refresh_from_db()
    return client.post(
        review_url(revision),
        {action: "yes", "comment": comment, "seen": revision.updated_at.isoformat()},
    )


@pytest.fixture
def reviewer_client(client, reviewer):
    return log_in(client, reviewer)


# Drafts and approval ------------------------------------------------------------------------


def test_an_editors_change_is_a_draft_the_site_shows_only_once_a_reviewer_approves_it(
    client, catalogue, editor, reviewer
):
    tip = catalogue["tip"]
    versions = tip.history.count()
    log_in(client, editor)

    revision = draft_change(client, tip, body="Drink a glass every hour.", note="Clearer advice.")

    assert revision.status == "in_review"
    assert list(revision.authors.all()) == [editor]
    client.logout()
    assert "Sip water." in client.get("/knowledge/tips/hydrate/").content.decode()
    assert (
        "Drink a glass every hour." not in client.get("/knowledge/tips/hydrate/").content.decode()
    )
    assert tip.history.count() == versions

    log_in(client, reviewer)
    response = decide(client, revision, "approve", "Fine.")

    assert response.status_code == 302
    client.logout()
    assert "Drink a glass every hour." in client.get("/knowledge/tips/hydrate/").content.decode()
    revision.refresh_from_db()
    assert (revision.status, revision.reviewer, revision.comment) == ("approved", reviewer, "Fine.")
    review = log_in(client, reviewer).get(review_url(revision)).content.decode()
    assert "<del>Sip water.</del><ins>Drink a glass every hour.</ins>" in review
    latest = tip.history.latest("history_date")
    assert tip.history.count() == versions + 1
    assert latest.history_user == reviewer
    assert latest.history_change_reason == f"Draft {revision.pk} by editor"
    assert latest.diff_against(latest.prev_record).changed_fields == ["body"]


def test_the_form_shows_the_open_draft_and_saving_again_updates_that_draft(
    editor_client, catalogue
):
    tip = catalogue["tip"]
    first = draft_change(editor_client, tip, submit=False, body="First go.")

    html = editor_client.get(change_url(tip)).content.decode()
    second = draft_change(editor_client, tip, submit=False, body="Second go.", summary="New.")

    assert "First go." in html
    assert "This form shows a draft by editor (draft)" in html
    assert second.pk == first.pk
    assert second.data == {"body": "Second go.", "summary": "New."}
    assert second.base == {"body": "Sip water.", "summary": "A one-line summary."}
    assert Revision.objects.count() == 1


def test_an_author_cannot_approve_their_own_draft_even_as_a_reviewer(client, catalogue):
    both = make_staff("both", "Content editors", "Reviewers")
    log_in(client, both)
    revision = draft_change(client, catalogue["tip"], body="Self-approved text.")

    review = client.get(review_url(revision)).content.decode()
    response = decide(client, revision, "approve")

    assert "another reviewer must approve it" in review
    assert 'name="approve"' not in review
    assert response.status_code == 403
    revision.refresh_from_db()
    assert revision.status == "in_review"
    assert "Self-approved" not in Tip.objects.get(slug="hydrate").body
    with pytest.raises(PermissionDenied):
        revision.approve(both)


def test_everyone_who_wrote_part_of_a_draft_is_kept_from_approving_it(client, catalogue):
    first = make_staff("first", "Content editors", "Reviewers")
    second = make_staff("second", "Content editors", "Reviewers")
    third = make_staff("third", "Reviewers")
    tip = catalogue["tip"]
    draft_change(log_in(client, first), tip, body="First part.")
    revision = draft_change(log_in(client, second), tip, body="First part.", summary="Second.")

    assert set(revision.authors.all()) == {first, second}
    for author in (first, second):
        assert decide(log_in(client, author), revision, "approve").status_code == 403
    assert decide(log_in(client, third), revision, "approve").status_code == 302
    assert Tip.objects.get(pk=tip.pk).summary == "Second."


def test_a_content_editor_without_the_reviewers_role_cannot_approve(client, catalogue, editor):
    revision = draft_change(log_in(client, editor), catalogue["tip"], body="Changed.")
    other_editor = make_staff("other", "Content editors")

    review = log_in(client, other_editor).get(review_url(revision)).content.decode()
    response = decide(client, revision, "approve")

    assert 'name="approve"' not in review
    assert response.status_code == 403
    assert Tip.objects.get(slug="hydrate").body == "Sip water."


def test_a_reviewer_sends_a_draft_back_with_a_comment_the_editor_then_sees(
    client, catalogue, editor, reviewer
):
    tip = catalogue["tip"]
    revision = draft_change(log_in(client, editor), tip, body="Drink litres and litres.")
    log_in(client, reviewer)

    without = decide(client, revision, "send_back")
    with_comment = decide(client, revision, "send_back", "Say how much, and cite it.")

    assert without.status_code == 200
    assert "Tell the author what to change." in without.content.decode()
    assert with_comment.status_code == 302
    revision.refresh_from_db()
    assert revision.status == "sent_back"
    form = log_in(client, editor).get(change_url(tip)).content.decode()
    assert "Say how much, and cite it." in form
    assert "Drink litres and litres." in form
    assert Tip.objects.get(pk=tip.pk).body == "Sip water."
    assert decide(client, revision, "submit").status_code == 302
    revision.refresh_from_db()
    assert revision.status == "in_review"


def test_a_small_fix_is_marked_but_still_needs_a_reviewer(editor_client, catalogue):
    tip = catalogue["tip"]

    revision = draft_change(editor_client, tip, summary="A one-line summmary.", typo="on")

    assert revision.typo
    assert Tip.objects.get(pk=tip.pk).summary == "A one-line summary."
    html = editor_client.get("/admin/knowledge/revision/").content.decode()
    assert "Drafts waiting for review" in html
    assert 'alt="True"' in html


def test_an_editor_withdraws_a_draft(editor_client, catalogue):
    revision = draft_change(editor_client, catalogue["tip"], body="Not now.")

    assert decide(editor_client, revision, "withdraw").status_code == 302

    revision.refresh_from_db()
    assert revision.status == "withdrawn"
    assert not Revision.objects.open().exists()


def test_saving_the_form_without_a_change_keeps_no_draft_and_no_history(editor_client, catalogue):
    tip = catalogue["tip"]
    versions = tip.history.count()

    response = editor_client.post(change_url(tip), form_data(tip, crlf=True))

    assert response.status_code == 302
    assert not Revision.objects.exists()
    assert tip.history.count() == versions


def test_a_new_cause_with_a_citation_is_a_draft_until_approved(client, catalogue, editor, reviewer):
    article = catalogue["article"]
    data = {
        "title": "Cold feet",
        "slug": "cold-feet",
        "category": "circulation",
        "summary": "Cold makes muscles tighten.",
        "body": "Keep warm.",
        "published": "on",
        "note": "",
        "_submit": "Save and submit for review",
        **management("citations", 1),
        "citations-0-article": article.pk,
        "citations-0-quote": "Stretching the calf often eases a cramp quickly.",
    }

    response = log_in(client, editor).post("/admin/knowledge/cause/add/", data)

    assert response.status_code == 302
    revision = Revision.objects.get()
    assert response["Location"] == review_url(revision)
    assert revision.object_id is None
    assert not Cause.objects.filter(slug="cold-feet").exists()
    assert client.get(f"/admin/knowledge/cause/add/?revision={revision.pk}").status_code == 200

    assert decide(log_in(client, reviewer), revision, "approve").status_code == 302

    cause = Cause.objects.get(slug="cold-feet")
    assert cause.citations.get().article == article
    revision.refresh_from_db()
    assert revision.object_id == cause.pk
    assert client.get("/knowledge/causes/cold-feet/").status_code == 200
    assert cause.history.get().history_user == reviewer


def test_a_new_rule_becomes_a_rule_when_approved(client, catalogue, editor, reviewer):
    data = {
        "cause": catalogue["cause"].pk,
        "fact": "fluids_below",
        "value": "1500",
        "weight": "40",
        "reason": "You drank {fluids} before.",
        "published": "on",
        "_submit": "Save and submit for review",
    }
    log_in(client, editor).post("/admin/knowledge/matchrule/add/", data)
    revision = Revision.objects.get()

    decide(log_in(client, reviewer), revision, "approve")

    rule = MatchRule.objects.get()
    assert (rule.cause, rule.weight, rule.reason) == (
        catalogue["cause"],
        40,
        "You drank {fluids} before.",
    )


def test_restoring_an_old_version_makes_a_draft_not_a_silent_publish(
    client, catalogue, editor, reviewer
):
    tip = catalogue["tip"]
    original = tip.history.earliest("history_date")
    revision = draft_change(log_in(client, editor), tip, body="A mistaken edit.")
    decide(log_in(client, reviewer), revision, "approve")
    versions = tip.history.count()
    restore_url = f"/admin/knowledge/tip/{tip.pk}/history/{original.history_id}/"
    log_in(client, editor)

    form = client.get(restore_url)
    tip.refresh_from_db()
    response = client.post(restore_url, form_data(tip, body=original.body))

    assert form.status_code == 200
    assert "Restore as a draft" in form.content.decode()
    assert response.status_code == 302
    restore = Revision.objects.open().get()
    assert response["Location"] == review_url(restore)
    assert restore.data == {"body": "Sip water."}
    assert restore.note.startswith("Restores the version of ")
    tip.refresh_from_db()
    assert tip.body == "A mistaken edit."
    assert tip.history.count() == versions
    assert "A mistaken edit." in client.get("/knowledge/tips/hydrate/").content.decode()


def test_approval_is_refused_when_the_published_field_changed_since_the_draft(
    client, catalogue, editor, reviewer
):
    tip = catalogue["tip"]
    revision = draft_change(log_in(client, editor), tip, body="The editor's text.")
    Tip.objects.filter(pk=tip.pk).update(body="Changed by load_knowledge --reset.")

    review = log_in(client, reviewer).get(review_url(revision)).content.decode()
    response = decide(client, revision, "approve")

    assert "the published version changed too: body" in review
    assert response.status_code == 200
    assert "Since this draft was saved, the published item changed too: body" in (
        response.content.decode()
    )
    assert Tip.objects.get(pk=tip.pk).body == "Changed by load_knowledge --reset."
    revision.refresh_from_db()
    assert revision.status == "in_review"


def test_a_draft_changed_while_the_reviewer_read_it_is_not_approved(
    client, catalogue, editor, reviewer
):
    tip = catalogue["tip"]
    revision = draft_change(log_in(client, editor), tip, body="Version one.")
    seen = revision.updated_at.isoformat()
    draft_change(client, tip, body="Version two.")

    response = log_in(client, reviewer).post(
        review_url(revision), {"approve": "yes", "comment": "", "seen": seen}
    )

    assert response.status_code == 200
    assert "This draft changed while you were reading it" in response.content.decode()
    assert Tip.objects.get(pk=tip.pk).body == "Sip water."


def test_an_approved_draft_that_is_no_longer_valid_is_refused(client, catalogue, editor, reviewer):
    CauseFactory(slug="taken")
    data = {
        "title": "Cold feet",
        "slug": "cold-feet",
        "category": "circulation",
        "summary": "s",
        "body": "b",
        "published": "on",
        **management("citations", 0),
        "_submit": "yes",
    }
    log_in(client, editor).post("/admin/knowledge/cause/add/", data)
    revision = Revision.objects.get()
    revision.data["slug"] = "taken"
    revision.save()

    response = decide(log_in(client, reviewer), revision, "approve")

    assert response.status_code == 200
    assert "The draft is no longer valid" in response.content.decode()
    assert not Cause.objects.filter(title="Cold feet").exists()


def test_only_what_people_cannot_see_can_be_deleted(editor_client, catalogue):
    tip = catalogue["tip"]
    hidden = TipFactory(published=False)

    assert editor_client.get(f"/admin/knowledge/tip/{tip.pk}/delete/").status_code == 403
    assert (
        editor_client.post(f"/admin/knowledge/tip/{tip.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (
        editor_client.post(f"/admin/knowledge/tip/{hidden.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert Tip.objects.filter(pk=tip.pk).exists()
    assert not Tip.objects.filter(pk=hidden.pk).exists()
    changelist = editor_client.get("/admin/knowledge/tip/").content.decode()
    assert "delete_selected" not in changelist


def test_an_article_draft_that_drops_a_cited_passage_is_refused(editor_client, catalogue):
    article = catalogue["article"]

    response = editor_client.post(
        change_url(article), form_data(article, body="Cramps are sudden.")
    )

    assert response.status_code == 200
    assert "which this text no longer has" in response.content.decode()
    assert not Revision.objects.exists()


# What anyone else sees -----------------------------------------------------------------------


def test_a_malformed_draft_address_answers_404(editor_client, catalogue):
    assert editor_client.get("/admin/knowledge/tip/add/?revision=abc").status_code == 404
    assert editor_client.get("/admin/knowledge/tip/add/?revision=999").status_code == 404
    malformed = editor_client.get("/admin/knowledge/revision/abc/preview/", follow=True)
    assert malformed.status_code == 404
    assert editor_client.get("/admin/knowledge/revision/999/preview/").status_code == 404
    assert editor_client.get("/admin/knowledge/revision/999/change/").status_code == 404


def test_people_and_visitors_cannot_reach_drafts_or_previews(client, catalogue, editor):
    revision = draft_change(log_in(client, editor), catalogue["tip"], body="Secret.")
    urls = [review_url(revision), f"/admin/knowledge/revision/{revision.pk}/preview/"]
    client.logout()

    for url in urls:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/admin/")
    log_in(client, UserFactory(username="person"))
    for url in urls:
        assert client.get(url).status_code == 302
    log_in(client, UserFactory(username="staffer", is_staff=True))
    # Staff without the groups: the admin's change page refuses (403), the preview 404s.
    assert [client.get(url).status_code for url in urls] == [403, 404]


# The reviewer's diff ---------------------------------------------------------------------------


def test_the_reviewer_sees_a_word_level_diff_of_each_changed_field(
    client, catalogue, editor, reviewer
):
    tip = catalogue["tip"]
    other = CauseFactory(title="Cold feet")
    revision = draft_change(
        log_in(client, editor),
        tip,
        body="Sip <b>cool</b> water.",
        causes=[catalogue["cause"].pk, other.pk],
    )

    html = log_in(client, reviewer).get(review_url(revision)).content.decode()

    changes = re.search(r'<table class="review-changes".*?</table>', html, re.S).group(0)
    assert "<ins>&lt;b&gt;cool&lt;/b&gt; </ins>" in changes
    assert "<b>cool</b>" not in changes
    assert "<ins>Cold feet\n</ins>Dehydration" in changes
    assert "Title" not in changes, "fields the draft leaves alone are not listed"


def test_the_word_diff_marks_removed_and_added_words_and_escapes_them():
    assert diff.word_diff("Sip water often", "Sip <cold> water") == (
        "Sip <ins>&lt;cold&gt; </ins>water<del> often</del>"
    )
    assert diff.word_diff("", "New text") == "<ins>New text</ins>"
    assert diff.word_diff("Sip a little water.", "Drink a glass.") == (
        "<del>Sip a little water.</del><ins>Drink a glass.</ins>"
    )
    assert diff.word_diff("a\nb", "a\n\nb") == "a<del>\n</del><ins>\n\n</ins>b"


# Preview ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["tip", "cause", "red_flag", "article"])
def test_the_preview_shows_the_public_page_with_the_draft_under_the_sites_policy(
    editor_client, catalogue, kind
):
    item = catalogue[kind]
    revision = draft_change(editor_client, item, title="A title in review")

    response = editor_client.get(f"/admin/knowledge/revision/{revision.pk}/preview/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="h3">A title in review</h1>' in html
    assert "people do not see this version" in html
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in html and " style=" not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    editor_client.logout()
    assert "A title in review" not in editor_client.get(item.get_absolute_url()).content.decode()


def test_the_preview_of_a_tip_shows_its_draft_causes_and_citations(editor_client, catalogue):
    tip = catalogue["tip"]
    other = CauseFactory(title="Cold feet", slug="cold-feet")
    data = form_data(tip, causes=[other.pk])
    data["citations-0-quote"] = "Cramps are sudden."
    data["_submit"] = "yes"
    editor_client.post(change_url(tip), data)
    revision = Revision.objects.get()

    html = editor_client.get(f"/admin/knowledge/revision/{revision.pk}/preview/").content.decode()

    assert "/knowledge/causes/cold-feet/" in html
    assert "/knowledge/causes/dehydration/" not in html
    assert "“Cramps are sudden.”" in html
    assert "Stretching the calf" not in html


def test_the_preview_of_a_new_tip_renders_without_saving_it(editor_client, catalogue):
    data = {
        "title": "Wiggle your toes",
        "slug": "wiggle",
        "kind": "relief",
        "summary": "Move them.",
        "body": "Wiggle them for a minute.",
        "causes": [catalogue["cause"].pk],
        "published": "on",
        **management("citations", 0),
    }
    editor_client.post("/admin/knowledge/tip/add/", data)
    revision = Revision.objects.get()

    response = editor_client.get(f"/admin/knowledge/revision/{revision.pk}/preview/")

    assert response.status_code == 200
    assert "Wiggle them for a minute." in response.content.decode()
    assert "/knowledge/causes/dehydration/" in response.content.decode()
    assert not Tip.objects.filter(slug="wiggle").exists()


# Citations and line endings ------------------------------------------------------------------


def test_a_citation_not_word_for_word_in_its_article_is_refused_with_the_closest_passage(
    editor_client, catalogue
):
    tip = catalogue["tip"]
    data = form_data(tip)
    data["citations-0-quote"] = "Stretching the calf usually eases a cramp quickly."

    response = editor_client.post(change_url(tip), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "does not appear word for word in the article" in html
    assert "The closest passage is: “Stretching the calf often eases a cramp quickly.”" in html
    assert not Revision.objects.exists()


def test_the_closest_passage_is_copied_word_for_word_from_the_article():
    body = "Cramps are sudden.\n\nStretching the calf often eases a cramp. Drink\nwater."

    assert markup.closest_passage("Stretching calves often eases cramps.", body) == (
        "Stretching the calf often eases a cramp."
    )
    assert markup.closest_passage("eases a cramp. Drink water!", body) == (
        "Stretching the calf often eases a cramp. Drink\nwater."
    )
    assert markup.closest_passage("Nothing like it at all, really.", body) is None


def test_browser_line_endings_change_nothing_but_the_field_the_editor_edited(
    client, catalogue, editor, reviewer
):
    tip = catalogue["tip"]
    tip.body = "First line.\n\nSecond line.\n"
    tip.save()
    versions = tip.history.count()
    data = form_data(tip, crlf=True, summary="A better summary.")
    data["_submit"] = "yes"

    log_in(client, editor).post(change_url(tip), data)
    revision = Revision.objects.get()
    decide(log_in(client, reviewer), revision, "approve")

    assert revision.data == {"summary": "A better summary."}
    tip.refresh_from_db()
    assert tip.body == "First line.\n\nSecond line.\n"
    assert tip.history.count() == versions + 1
    latest = tip.history.latest("history_date")
    assert latest.diff_against(latest.prev_record).changed_fields == ["summary"]


def test_a_typed_change_with_windows_line_endings_is_stored_with_unix_ones(
    editor_client, catalogue
):
    tip = catalogue["tip"]

    revision = draft_change(editor_client, tip, body="One.\r\n\r\nTwo.\r\n")

    assert revision.data == {"body": "One.\n\nTwo.\n"}
    cause = Cause(title="t", slug="t", category="nerves", summary="s", body="a\r\nb\rc")
    cause.full_clean()
    assert cause.body == "a\nb\nc"


# The drafts list ------------------------------------------------------------------------------


def test_the_drafts_list_shows_those_waiting_for_review_and_costs_the_same_for_many(
    client, catalogue, editor, reviewer
):
    log_in(client, editor)
    draft_change(client, catalogue["tip"], body="Waiting.")
    draft_change(client, catalogue["cause"], submit=False, body="Still being written.")
    log_in(client, reviewer)

    with CaptureQueriesContext(connection) as few:
        html = client.get("/admin/knowledge/revision/").content.decode()
    log_in(client, editor)
    for _ in range(4):
        draft_change(client, TipFactory(), body="More.")
        draft_change(
            client, RedFlag.objects.create(slug=f"f{_}", title="F", summary="s", body="b"), body="x"
        )
    rule = MatchRule.objects.create(cause=catalogue["cause"], fact="night", weight=30, reason="r")
    draft_change(client, rule, weight="40")
    log_in(client, reviewer)
    with CaptureQueriesContext(connection) as many:
        more = client.get("/admin/knowledge/revision/").content.decode()
    everything = client.get("/admin/knowledge/revision/?status=all").content.decode()

    assert "Change to tip “Drink enough”" in html
    assert "Still being written" not in html and "Change to cause" not in html
    assert "Change to cause “Dehydration”" in everything
    assert more.count("Change to ") == 10
    assert len(many) == len(few)


def test_the_object_list_says_which_items_have_a_draft(editor_client, catalogue):
    draft_change(editor_client, catalogue["tip"], body="Waiting.")
    TipFactory(title="Untouched")

    html = editor_client.get("/admin/knowledge/tip/").content.decode()

    assert "Waiting for review" in html


# The effect of a change ---------------------------------------------------------------------


@pytest.fixture
def shipped(knowledge):
    """The shipped catalogue, loaded once per session (tests/conftest.py)."""


def effect_rows(client, revision):
    html = client.get(review_url(revision)).content.decode()
    table = re.search(r'<table class="effect-table".*?</table>', html, re.S)
    return html, table.group(0) if table else None


def cold_feet_rule():
    return MatchRule.objects.get(cause__slug="cold-exposure", fact="trigger_any", value="cold")


def test_lowering_a_rules_weight_enough_changes_the_effect_table(shipped, client, editor, reviewer):
    rule = cold_feet_rule()
    revision = draft_change(log_in(client, editor), rule, weight="10")

    html, table = effect_rows(log_in(client, reviewer), revision)

    assert table is not None
    changed = re.findall(r'<tr class="changed">\s*<th scope="row">([^<]*) <strong>', table)
    assert "With cold feet" in changed
    assert re.search(r'<del>Cold feet \(\d+\)</del> <span class="effect-state">\(gone\)', table)
    assert f"{len(changed)} of " in html


def test_a_small_change_of_weight_leaves_the_effect_table_unchanged(
    shipped, client, editor, reviewer
):
    rule = cold_feet_rule()
    revision = draft_change(log_in(client, editor), rule, weight=str(rule.weight + 2))

    html, table = effect_rows(log_in(client, reviewer), revision)

    assert table is not None
    assert 'class="changed"' not in table
    assert "None of the " in html


def test_unpublishing_a_red_flag_shows_where_it_disappears(shipped, client, editor, reviewer):
    red_flag = RedFlag.objects.get(slug="claudication")
    revision = draft_change(log_in(client, editor), red_flag, published="")

    _html, table = effect_rows(log_in(client, reviewer), revision)

    changed = re.findall(r'<tr class="changed">\s*<th scope="row">([^<]*) <strong>', table)
    assert changed == ["During a walk, easing with rest"]


def test_a_change_of_wording_only_has_no_effect_table(shipped, client, editor, reviewer):
    cause = Cause.objects.get(slug="cold-exposure")
    revision = draft_change(log_in(client, editor), cause, summary="Cold feet cramp more.")

    _html, table = effect_rows(log_in(client, reviewer), revision)

    assert table is None


def test_the_review_page_of_a_rule_costs_the_same_queries_however_many_rules(
    shipped, client, editor, reviewer
):
    rule = cold_feet_rule()
    revision = draft_change(log_in(client, editor), rule, weight="10")
    log_in(client, reviewer)
    client.get(review_url(revision))
    with CaptureQueriesContext(connection) as before:
        client.get(review_url(revision))
    for n in range(10):
        cause = Cause.objects.create(
            slug=f"x{n}", title="X", summary="s", body="b", category="nerves"
        )
        MatchRule.objects.create(cause=cause, fact="night", weight=30, reason="r")
        TipFactory(causes=[cause])

    with CaptureQueriesContext(connection) as after:
        client.get(review_url(revision))

    assert len(after) == len(before)


# Roles ----------------------------------------------------------------------------------------


def test_reviewers_may_read_and_approve_but_not_draft(client, catalogue, reviewer):

    permissions = set(
        Group.objects.get(name="Reviewers").permissions.values_list("codename", flat=True)
    )
    tip = catalogue["tip"]
    log_in(client, reviewer)

    assert "approve_revision" in permissions
    assert not {p for p in permissions if p.startswith(("add_", "change_", "delete_"))}
    assert client.get(change_url(tip)).status_code == 200
    assert client.post(change_url(tip), form_data(tip, body="Reviewer edit.")).status_code == 403
    assert not Revision.objects.exists()


def test_approving_through_the_model_checks_the_reviewers_role(catalogue, editor):
    revision = Revision.objects.save_draft(
        Tip, catalogue["tip"].pk, editor, {"body": "Via the ORM."}, submit=True
    )
    outsider = UserFactory(username="outsider", is_staff=True)

    with pytest.raises(PermissionDenied):
        revision.approve(outsider)
    with pytest.raises(ValidationError):
        revision.submit(editor)
    assert Tip.objects.get(slug="hydrate").body == "Sip water."
    assert Article.objects.count() == 1


def test_making_a_tip_a_habit_tip_is_reviewed_with_its_effect_and_then_changes_the_page(
    shipped, client, editor, reviewer, owner
):
    tip = Tip.objects.get(slug="change-position")
    revision = draft_change(log_in(client, editor), tip, habits=["long_sitting"])

    html, table = effect_rows(log_in(client, reviewer), revision)

    assert "Sitting for a long time" in html
    changed = re.findall(r'<tr class="changed">\s*<th scope="row">([^<]*) <strong>', table)
    assert "A cramp at 03:00 while sleeping" in changed
    assert "After sitting at a desk all day" not in changed
    assert decide(client, revision, "approve").status_code == 302
    tip.refresh_from_db()
    assert tip.habits == ["long_sitting"]
    episode = EpisodeFactory(user=owner, activity="sleeping")
    page = log_in(client, owner).get(episode.get_absolute_url()).content.decode()
    assert "/knowledge/causes/prolonged-position/" in page
    assert "/knowledge/tips/change-position/" not in page


def test_only_a_relief_tip_can_be_made_a_general_relief_step(client, catalogue, editor):
    response = log_in(client, editor).post(
        change_url(catalogue["tip"]), form_data(catalogue["tip"], general="on")
    )

    assert response.status_code == 200
    assert "Only a relief tip can be a general relief step." in response.content.decode()
    assert not Revision.objects.exists()
