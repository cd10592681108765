"""No staff role, superuser included, reads a diary in the admin: people are listed with how
many cramps they logged, and nothing tells staff which cramps exist."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType

from diary.models import Episode, Profile
from knowledge.models import Tip

from .factories import EpisodeFactory, TipFactory, UserFactory
from .sitepages import make_editor

NOTE = "private-note-about-my-pregnancy-3b9d"


@pytest.fixture
def diary(db):
    person = UserFactory(username="patient")
    Profile.objects.filter(user=person).update(pregnant=True, medications=["statin"])
    return [EpisodeFactory(user=person, notes=NOTE) for _ in range(3)]


@pytest.fixture
def superuser(client, db):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return admin


@pytest.fixture
def editor(client, db):
    editor = make_editor()
    client.force_login(editor)
    return editor


STAFF = ["superuser", "editor"]


def without_tokens(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.parametrize("staff", STAFF)
def test_the_admin_index_offers_no_cramps_or_profiles(client, diary, staff, request):
    request.getfixturevalue(staff)

    content = client.get("/admin/").content.decode()

    assert "/admin/diary/" not in content
    assert "Episodes" not in content
    assert "Profiles" not in content


@pytest.mark.parametrize("staff", STAFF)
@pytest.mark.parametrize(
    "path",
    [
        "/admin/diary/",
        "/admin/diary/episode/",
        "/admin/diary/episode/{pk}/change/",
        "/admin/diary/episode/{pk}/history/",
        "/admin/diary/profile/",
        "/admin/diary/profile/{profile}/change/",
    ],
)
def test_no_diary_page_of_the_admin_exists(client, diary, staff, path, request):
    request.getfixturevalue(staff)
    episode = diary[0]

    response = client.get(path.format(pk=episode.pk, profile=episode.user.profile.pk))

    assert response.status_code == 404
    assert NOTE not in response.content.decode()


def test_the_superuser_sees_each_person_with_the_number_of_cramps_only(client, diary, superuser):
    response = client.get("/admin/auth/user/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "Cramps logged" in content
    assert '<td class="field-episode_count">3</td>' in content
    assert NOTE not in content


def test_a_persons_admin_page_holds_no_diary_or_health_details(client, diary, superuser):
    person = diary[0].user

    content = client.get(f"/admin/auth/user/{person.pk}/change/").content.decode()

    assert "patient" in content
    for detail in [NOTE, "statin", "pregnan", "Europe/Berlin"]:
        assert detail not in content


def test_deleting_a_person_in_the_admin_lists_counts_not_cramps(client, diary, superuser):
    person = diary[0].user

    content = client.get(f"/admin/auth/user/{person.pk}/delete/").content.decode()

    assert "Episodes: 3" in content
    assert "foot cramp on" not in content
    assert NOTE not in content
    assert "Profile of" not in content


@pytest.mark.parametrize("staff", STAFF)
def test_view_on_site_answers_the_same_for_a_cramp_that_exists_and_one_that_does_not(
    client, diary, staff, request
):
    request.getfixturevalue(staff)
    episodes = ContentType.objects.get_for_model(Episode).pk

    existing = client.get(f"/admin/r/{episodes}/{diary[0].pk}/")
    missing = client.get(f"/admin/r/{episodes}/99999999/")

    assert (existing.status_code, missing.status_code) == (404, 404)
    assert without_tokens(existing) == without_tokens(missing)


@pytest.mark.parametrize("staff", STAFF)
def test_view_on_site_still_works_for_the_knowledge_base(client, db, staff, request):
    request.getfixturevalue(staff)
    tip = TipFactory(published=True)

    response = client.get(f"/admin/r/{ContentType.objects.get_for_model(Tip).pk}/{tip.pk}/")

    assert response.status_code == 302
    assert response["Location"].endswith(tip.get_absolute_url())


def test_view_on_site_is_for_staff_only(client, diary):
    episodes = ContentType.objects.get_for_model(Episode).pk
    client.force_login(diary[0].user)

    response = client.get(f"/admin/r/{episodes}/{diary[0].pk}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_footer_says_exactly_who_sees_what(client, db):
    content = client.get("/").content.decode()

    assert "Your diary is private: only you can see it." not in content
    assert (
        "in cramplog only you can see it. The site’s admins see your username, email address "
        "and how many cramps you have logged, never the cramps or your health details."
    ) in content
