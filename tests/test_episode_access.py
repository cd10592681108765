"""Who may open each episode page: the owner only. Strangers get 404, visitors the login page."""

from urllib.parse import quote

import pytest
from django.forms.models import model_to_dict

from diary.models import Episode

from .factories import EpisodeFactory

EPISODE_PAGES = ["/diary/{pk}/", "/diary/{pk}/edit/", "/diary/{pk}/delete/"]
EDIT = {
    "started_at": "2026-03-01T10:00",
    "duration": "5 min",
    "foot": "both",
    "locations": ["calf"],
    "intensity": "1",
    "notes": "changed by someone else",
}


@pytest.fixture
def episode(owner):
    return EpisodeFactory(user=owner, notes="owner's private note")


def stored(episode):
    return model_to_dict(Episode.objects.get(pk=episode.pk))


@pytest.mark.parametrize("page", EPISODE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_stranger_gets_404_for_someone_elses_episode_and_nothing_changes(
    stranger_client, episode, page, method
):
    before = stored(episode)

    data = EDIT if method == "post" else None
    response = getattr(stranger_client, method)(page.format(pk=episode.pk), data)

    assert response.status_code == 404
    assert "owner's private note" not in response.content.decode()
    assert stored(episode) == before


@pytest.mark.parametrize("page", EPISODE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_visitor_is_sent_to_log_in_and_nothing_changes(client, episode, page, method):
    path = page.format(pk=episode.pk)
    before = stored(episode)

    response = getattr(client, method)(path, EDIT if method == "post" else None)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(path)}"
    assert stored(episode) == before


@pytest.mark.parametrize("page", EPISODE_PAGES)
def test_the_owner_can_open_every_page_of_their_episode(owner_client, episode, page):
    response = owner_client.get(page.format(pk=episode.pk))

    assert response.status_code == 200


def test_the_owner_can_post_the_edit_page(owner_client, episode):
    response = owner_client.post(f"/diary/{episode.pk}/edit/", EDIT)

    episode.refresh_from_db()
    assert response.status_code == 302
    assert episode.notes == "changed by someone else"


def test_the_owner_can_post_the_delete_page(owner_client, episode):
    response = owner_client.post(f"/diary/{episode.pk}/delete/")

    assert response.status_code == 302
    assert not Episode.objects.filter(pk=episode.pk).exists()


def test_posting_to_the_detail_page_changes_nothing(owner_client, episode):
    before = stored(episode)

    response = owner_client.post(f"/diary/{episode.pk}/", EDIT)

    assert response.status_code == 405
    assert stored(episode) == before


@pytest.mark.parametrize("page", EPISODE_PAGES)
def test_an_episode_that_does_not_exist_is_404_for_everyone_signed_in(owner_client, episode, page):
    missing = Episode.objects.order_by("-pk").first().pk + 1

    assert owner_client.get(page.format(pk=missing)).status_code == 404


def test_a_stranger_never_sees_someone_elses_episodes_in_their_own_lists(stranger_client, episode):
    listing = stranger_client.get("/diary/").content.decode()
    home = stranger_client.get("/").content.decode()

    assert f"/diary/{episode.pk}/" not in listing
    assert f"/diary/{episode.pk}/" not in home
    assert "Your diary is empty." in listing


@pytest.mark.parametrize(
    "path", ["/diary/", "/diary/new/", "/accounts/profile/", "/diary/?month=2026-01"]
)
def test_a_visitor_is_sent_to_log_in_from_the_diary_pages(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(path, safe='/')}"


def test_a_visitor_cannot_quick_log(client, db):
    response = client.post("/diary/quick/", {"foot": "left", "locations": "heel"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not Episode.objects.exists()


def test_a_visitor_cannot_post_a_new_episode(client, db):
    response = client.post("/diary/new/", EDIT)

    assert response.status_code == 302
    assert not Episode.objects.exists()


def test_a_visitor_sees_the_public_home_page_with_sign_up(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert 'href="/accounts/signup/"' in response.content.decode()
    assert "Log a cramp now" not in response.content.decode()
