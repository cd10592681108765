"""Share links: a report for whoever holds the link, until it expires or is revoked."""

import hashlib
import json
import re
from base64 import urlsafe_b64decode
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from diary.models import Profile, ShareLink

from .conftest import BACKEND
from .factories import EpisodeFactory, UserFactory

SECRET_NOTE = "note-outside-the-period-5c1e"
SHARED_NOTE = "note-inside-the-period-9a2b"
LINK = re.compile(r"http://testserver/share/([A-Za-z0-9_-]+)/")


@pytest.fixture
def diary(owner):
    today = timezone.localdate()
    EpisodeFactory(user=owner, started_at=timezone.now() - timedelta(days=3), notes=SHARED_NOTE)
    EpisodeFactory(user=owner, started_at=timezone.now() - timedelta(days=60), notes=SECRET_NOTE)
    return {"start": today - timedelta(days=30), "end": today}


def create(client, diary, days="7", **extra):
    """Make a link with the form, and follow to the page that shows it."""
    return client.post(
        "/diary/shares/",
        {"start": diary["start"], "end": diary["end"], "expires_in_days": days, **extra},
        follow=True,
    )


@pytest.fixture
def token(owner_client, diary):
    response = create(owner_client, diary, name="Ana")
    assert response.redirect_chain == [("/diary/shares/", 302)]
    assert response.status_code == 200
    (token,) = LINK.findall(response.content.decode())
    return token


def opened(token):
    """The link opened by someone who is not signed in."""
    return Client().get(f"/share/{token}/")


def test_a_new_link_is_shown_once_and_only_its_hash_is_kept(owner_client, diary, token):
    link = ShareLink.objects.get()
    # Shown on the page the form leads to, and never again, not even on a reload.
    assert token not in owner_client.get("/diary/shares/").content.decode()

    assert len(urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(ShareLink.objects.values()), default=str)
    assert (link.start, link.end, link.name) == (diary["start"], diary["end"], "Ana")
    assert link.expires_at - link.created_at == timedelta(days=7)


def test_each_link_has_its_own_token(owner_client, diary, token):
    second = LINK.findall(create(owner_client, diary).content.decode())

    assert second and second[0] != token
    assert ShareLink.objects.count() == 2


def test_the_link_shows_the_report_to_someone_signed_out(diary, token):
    response = opened(token)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Shared by <strong>Ana</strong>" in html
    assert "Foot cramp diary of Ana" in html
    assert f"{diary['start']:%-d %B %Y} to {diary['end']:%-d %B %Y}" in html
    assert "This link works until" in html
    assert SHARED_NOTE in html
    link = ShareLink.objects.get()
    assert link.open_count == 1
    assert link.last_opened_at is not None


def test_without_a_name_the_link_says_a_cramplog_user(owner_client, diary):
    (token,) = LINK.findall(create(owner_client, diary).content.decode())

    assert "Shared by <strong>a cramplog user</strong>" in opened(token).content.decode()


def test_the_link_shows_nothing_else_of_the_account(owner, diary, token):
    # Names that occur nowhere else in a page, so their absence means something.
    owner.username = "ana-private-3e7d"
    owner.email = "ana.private@example.com"
    owner.save()
    response = opened(token)

    html = response.content.decode()
    assert SECRET_NOTE not in html
    assert "ana.private@example.com" not in html
    assert owner.username not in html
    assert "<form" not in html
    # Nothing to follow: no links at all, not even to the site's own pages.
    assert "<a " not in html.replace('<a class="visually-hidden-focusable skip-link"', "")
    assert not response.cookies


def test_the_link_opens_no_way_into_the_diary(diary, token):
    visitor = Client()
    assert visitor.get(f"/share/{token}/").status_code == 200

    for url in ("/diary/", "/diary/shares/", "/accounts/export/", "/accounts/profile/"):
        response = visitor.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("status", [200, 404, 429])
def test_the_links_answers_are_not_cached_indexed_or_referred(settings, diary, token, status):
    if status == 429:
        settings.CRAMPLOG_SHARE_VIEWS_PER_HOUR = 1
        opened(token)
    response = opened(token if status != 404 else "not-a-token")

    assert response.status_code == status
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"


def test_requests_for_links_are_limited_per_address(settings, diary, token):
    settings.CRAMPLOG_SHARE_VIEWS_PER_HOUR = 3

    statuses = [opened(token).status_code for _ in range(3)]
    statuses += [opened("not-a-token").status_code, opened(token).status_code]

    assert statuses == [200, 200, 200, 429, 429]
    assert ShareLink.objects.get().open_count == 3


def test_a_revoked_link_answers_404_like_an_unknown_one(owner_client, diary, token):
    link = ShareLink.objects.get()

    response = owner_client.post(f"/diary/shares/{link.pk}/revoke/")

    assert response.status_code == 302
    assert response["Location"] == "/diary/shares/"
    revoked, unknown = opened(token), opened("A" * len(token))
    assert (revoked.status_code, unknown.status_code) == (404, 404)
    assert revoked.content == unknown.content
    assert "This link does not work" in revoked.content.decode()
    page = owner_client.get("/diary/shares/").content.decode()
    assert "Revoked" in page
    assert f"/diary/shares/{link.pk}/revoke/" not in page


def test_an_expired_link_answers_404_like_an_unknown_one(diary, token):
    link = ShareLink.objects.get()
    assert opened(token).status_code == 200

    with time_machine.travel(link.expires_at + timedelta(seconds=1)):
        expired, unknown = opened(token), opened("A" * len(token))

    assert (expired.status_code, unknown.status_code) == (404, 404)
    assert expired.content == unknown.content
    assert ShareLink.objects.get().open_count == 1


def test_a_link_works_until_just_before_it_expires(diary, token):
    link = ShareLink.objects.get()

    with time_machine.travel(link.expires_at - timedelta(seconds=1)):
        assert opened(token).status_code == 200


def test_the_list_shows_each_links_period_expiry_and_openings(owner_client, diary, token):
    opened(token)
    opened(token)

    html = owner_client.get("/diary/shares/").content.decode()

    link = ShareLink.objects.get()
    assert f"{diary['start']:%-d %b %Y} to {diary['end']:%-d %b %Y}" in html
    assert "2 times, last" in html
    assert f'action="/diary/shares/{link.pk}/revoke/"' in html
    assert 'method="post"' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("expires_in_days", "3", "Select a valid choice."),
        ("end", "1999-01-01", "The end date must be on or after the start date."),
        ("start", "", "This field is required."),
    ],
)
def test_a_bad_link_form_says_why_next_to_the_field_and_saves_nothing(
    owner_client, diary, field, value, message
):
    data = {"start": diary["start"], "end": diary["end"], "expires_in_days": "7", field: value}

    response = owner_client.post("/diary/shares/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].errors[field]
    assert not ShareLink.objects.exists()


@pytest.mark.parametrize("days", ["1", "7", "30"])
def test_every_offered_expiry_is_accepted(owner_client, diary, days):
    response = create(owner_client, diary, days=days)

    assert response.status_code == 200
    link = ShareLink.objects.get()
    assert link.expires_at - link.created_at == timedelta(days=int(days))


def test_the_form_starts_from_the_reports_dates(owner_client):
    html = owner_client.get("/diary/shares/?start=2026-03-01&end=2026-03-31").content.decode()

    assert 'name="start" value="2026-03-01"' in html
    assert 'name="end" value="2026-03-31"' in html


def test_someone_elses_link_cannot_be_revoked_and_answers_404(owner, diary, token):
    link = ShareLink.objects.get()
    stranger = Client()
    stranger.force_login(UserFactory(username="stranger"), backend=BACKEND)

    assert stranger.post(f"/diary/shares/{link.pk}/revoke/").status_code == 404
    assert stranger.post("/diary/shares/99999999/revoke/").status_code == 404
    assert opened(token).status_code == 200
    assert f"/diary/shares/{link.pk}/revoke/" not in stranger.get("/diary/shares/").content.decode()


def test_revoking_takes_a_post(owner_client, diary, token):
    link = ShareLink.objects.get()

    assert owner_client.get(f"/diary/shares/{link.pk}/revoke/").status_code == 405
    assert opened(token).status_code == 200


def test_deleting_the_account_deletes_its_links(owner, owner_client, diary, token):
    Profile.objects.for_user(owner).delete_account()

    assert not ShareLink.objects.exists()
    assert opened(token).status_code == 404


def test_the_export_lists_the_links_without_tokens(owner_client, diary, token):
    opened(token)

    exported = owner_client.get("/accounts/export/").json()

    (link,) = exported["share_links"]
    assert link["open_count"] == 1
    assert link["start"] == diary["start"].isoformat()
    assert not {"token", "token_hash"} & set(link)
    assert token not in json.dumps(exported)


def test_the_new_link_is_shown_only_to_the_person_who_made_it(owner_client, diary):
    made = owner_client.post(
        "/diary/shares/", {"start": diary["start"], "end": diary["end"], "expires_in_days": "1"}
    )
    stranger = Client()
    stranger.force_login(UserFactory(username="stranger"), backend=BACKEND)
    stranger.cookies["new_share"] = made.cookies["new_share"].value

    page = stranger.get("/diary/shares/").content.decode()

    assert made.status_code == 302
    assert "/share/" not in page
    assert "Your new link" not in page


def test_the_link_takes_as_many_queries_for_forty_cramps_as_for_two(owner, diary, token):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert opened(token).status_code == 200
        return len(captured)

    queries()  # the first reads the matching rules, which the process then keeps
    few = queries()
    for days in range(1, 29):
        EpisodeFactory(user=owner, started_at=timezone.now() - timedelta(days=days, hours=1))

    assert queries() == few


def test_a_share_id_too_large_for_the_database_is_a_plain_404(owner_client):
    assert owner_client.post(f"/diary/shares/{'9' * 30}/revoke/").status_code == 404
