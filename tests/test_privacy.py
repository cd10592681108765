import json
from datetime import time, timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from diary.models import CheckIn, Episode, Profile
from diary.vocabulary import night_of

from .factories import PASSWORD, EpisodeFactory, UserFactory
from .urlwalk import (
    OWNER_NOTE,
    PERSONAL_ROUTES,
    body,
    fill,
    get_answer,
    names_an_object,
    owners_experiment,
    post_data,
    query_for,
    snapshot,
)


@pytest.fixture
def owners_episode(owner):
    """The owner's cramp, and their check-in for its night, both with a secret note."""
    episode = EpisodeFactory(user=owner, notes=OWNER_NOTE)
    night = night_of(episode.local_date, episode.local_hour)
    CheckIn.objects.create(user=owner, night=night, factors=["cold"], notes=OWNER_NOTE)
    owners_experiment(episode)
    return episode


def test_the_walk_covers_the_diary_report_export_and_profile_urls():
    routes = {route for route, _ in PERSONAL_ROUTES}

    assert {
        "diary/",
        "diary/new/",
        "diary/<episode:pk>/",
        "diary/<episode:pk>/edit/",
        "diary/<episode:pk>/delete/",
        "accounts/profile/",
        "accounts/export/",
        "accounts/delete/",
        "diary/shares/",
        "diary/shares/<share:pk>/revoke/",
        "diary/checkin/",
        "diary/checkin/<night:night>/",
        "diary/insights/",
        "diary/insights.csv",
        "diary/checkins.csv",
    } <= routes
    assert len(routes) == len(PERSONAL_ROUTES) >= 15
    assert set(STRANGER_POSTS) == {
        route for route, converters in PERSONAL_ROUTES if not names_an_object(converters)
    }


# What a signed-in stranger's POST answers at each personal URL that names no object: they
# act on their own diary and account, and pages that only show something refuse it (405).
# A new personal URL needs its answer here.
STRANGER_POSTS = {
    "accounts/profile/": 302,
    "accounts/export/": 405,
    "accounts/delete/": 302,  # with their own password: their account is gone
    "accounts/password_change/": 302,
    "accounts/password_change/done/": 405,
    "diary/": 405,
    "diary/new/": 302,
    "diary/quick/": 302,
    "diary/export.csv": 405,
    "diary/import/": 200,
    "diary/report/": 405,
    "diary/shares/": 302,
    "diary/<yyyy:year>/": 405,
    "diary/<yyyy:year>/<mm:month>/": 405,
    "diary/checkin/": 302,  # their own check-in for the night under way, saved
    "diary/checkin/<night:night>/": 302,  # their own check-in for that night, saved
    "diary/checkins.csv": 405,
    "diary/insights/": 405,
    "diary/insights.csv": 405,
    "diary/experiments/": 405,
    "diary/experiments/new/": 200,  # the form says what is missing: nothing is started
    "accounts/security/": 405,
    "accounts/security/confirm/": 302,  # with their own password
    "accounts/security/passkeys/options/": 400,  # passkeys need localhost, not testserver
    "accounts/security/passkeys/add/": 302,  # signed in a while ago: confirm first
    "accounts/security/app/": 302,
    "accounts/security/app/remove/": 404,  # they have no app
    "accounts/security/two-step/on/": 302,
    "accounts/security/two-step/off/": 200,  # it is off already
    "accounts/security/recovery-codes/": 302,
    "reminders/push/": 400,  # a form's fields, not a push subscription
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("route", "converters"), PERSONAL_ROUTES, ids=[r for r, _ in PERSONAL_ROUTES]
)
def test_a_stranger_never_reaches_or_changes_the_owners_data(
    stranger_client, owner, owners_episode, route, converters, method
):
    url = fill(route, converters, owners_episode)
    before = snapshot(owner)

    if method == "get":
        response = stranger_client.get(url + query_for(owners_episode))
    else:
        response = stranger_client.post(url, post_data(owners_episode))

    if names_an_object(converters):
        assert response.status_code == 404
        assert snapshot(owner) == before
    else:
        # The stranger's own page, form or action, with nothing of the owner's in it.
        if method == "post":
            assert response.status_code == STRANGER_POSTS[route]
        else:
            assert response.status_code == get_answer(route)
        content = body(response)
        assert OWNER_NOTE not in content
        assert f"/diary/{owners_episode.pk}/" not in content
        after = snapshot(owner)
        assert (after["owner"], after["profile"], after["episodes"], after["checkins"]) == (
            before["owner"],
            before["profile"],
            before["episodes"],
            before["checkins"],
        )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    ("route", "converters"), PERSONAL_ROUTES, ids=[r for r, _ in PERSONAL_ROUTES]
)
def test_an_anonymous_visitor_is_sent_to_log_in_and_changes_nothing(
    client, owner, owners_episode, route, converters, method
):
    url = fill(route, converters, owners_episode)
    before = snapshot(owner)

    response = client.get(url) if method == "get" else client.post(url, post_data(owners_episode))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert snapshot(owner) == before


def test_staff_pages_send_people_who_are_not_staff_to_the_admin_login(
    stranger_client, owners_episode
):
    response = stranger_client.get(f"/admin/diary/episode/{owners_episode.pk}/change/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# Download all my data


def test_the_export_is_a_json_file_with_the_profile_and_every_episode(owner_client, owner):
    profile = owner.profile
    profile.birth_year = 1960
    profile.conditions = ["diabetes"]
    profile.checkin_reminder_at = time(7, 30)
    profile.reminder_email = "owner@mail.example"
    profile.save()
    first = EpisodeFactory(user=owner, notes="first", triggers=["cold"], relief=["stretch"])
    second = EpisodeFactory(
        user=owner, notes="second", started_at=timezone.now() - timedelta(days=40)
    )
    EpisodeFactory(notes="someone else's")

    response = owner_client.get("/accounts/export/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="cramplog-owner-{today}.json"'
    )
    data = json.loads(response.content)
    assert data["account"]["username"] == "owner"
    assert data["profile"] == {
        "time_zone": "Europe/Berlin",
        "fluid_unit": "ml",
        "birth_year": 1960,
        "conditions": ["diabetes"],
        "medications": [],
        "pregnant": False,
        "theme": "auto",
        "two_step": False,
        "checkin_reminder_at": "07:30:00",
        "stretch_reminder_at": None,
        "reminder_email": "owner@mail.example",
        "reminder_email_confirmed": False,
        "quiet_days": [],
        "reminders_paused_until": None,
    }
    assert [e["id"] for e in data["episodes"]] == [second.pk, first.pk]
    exported = data["episodes"][1]
    assert exported["notes"] == "first"
    assert exported["triggers"] == ["cold"]
    assert exported["relief"] == ["stretch"]
    assert exported["duration_seconds"] == 90
    assert exported["locations"] == ["arch"]
    assert set(exported) == {f.name for f in Episode._meta.concrete_fields if f.name != "user"}
    assert "someone else's" not in response.content.decode()


def test_the_export_is_linked_from_the_profile_page(owner_client):
    content = owner_client.get("/accounts/profile/").content.decode()

    assert 'href="/accounts/export/"' in content
    assert 'href="/accounts/delete/"' in content


# Delete my account


def test_the_delete_page_explains_what_goes(owner_client, owner):
    EpisodeFactory.create_batch(3, user=owner)

    response = owner_client.get("/accounts/delete/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "every cramp in your diary (3 in all)" in content
    assert 'name="password"' in content
    assert "each backup is deleted after 30 days" in content


def test_deleting_the_account_removes_the_person_and_everything_theirs(client, owner, stranger):
    EpisodeFactory.create_batch(3, user=owner)
    EpisodeFactory(user=stranger)
    other_device = Client()
    other_device.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    AccessAttempt.objects.create(username="owner", ip_address="10.0.0.1", failures_since_start=2)
    assert AccessLog.objects.filter(username="owner").exists()
    stranger_device = Client()
    stranger_device.force_login(stranger)

    response = client.post("/accounts/delete/", {"password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert "Your account and your whole diary are deleted." in response.content.decode()
    assert not get_user_model().objects.filter(username="owner").exists()
    assert not Profile.objects.filter(user_id=owner.pk).exists()
    assert not Episode.objects.filter(user_id=owner.pk).exists()
    assert Episode.objects.filter(user=stranger).count() == 1
    assert not AccessAttempt.objects.filter(username="owner").exists()
    assert not AccessLog.objects.filter(username="owner").exists()
    assert all(s.get_decoded().get("_auth_user_id") != str(owner.pk) for s in Session.objects.all())
    assert other_device.get("/diary/").status_code == 302
    assert "_auth_user_id" not in client.session
    assert stranger_device.get("/diary/").status_code == 200


def test_a_wrong_password_deletes_nothing_and_says_so_next_to_the_field(owner_client, owner):
    EpisodeFactory(user=owner)

    response = owner_client.post("/accounts/delete/", {"password": "guess"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"password": ["That is not your password."]}
    assert get_user_model().objects.filter(pk=owner.pk).exists()
    assert Episode.objects.filter(user=owner).count() == 1
    assert owner_client.get("/diary/").status_code == 200


def test_a_new_account_never_inherits_a_deleted_persons_session(client, db):
    doomed = UserFactory(username="doomed")
    client.force_login(doomed)
    session_key = client.session.session_key
    client.post("/accounts/delete/", {"password": PASSWORD})

    assert not Session.objects.filter(session_key=session_key).exists()
