"""Two tabs (or a phone and a laptop) editing the same cramp: the later save shows the person
what the earlier one saved and saves nothing until they choose."""

import re
from datetime import timedelta

from django.utils import timezone

from diary.models import Episode

from .factories import EpisodeFactory
from .htmlpage import Page

VERSION = re.compile(r'name="version" value="([^"]+)"')


def form_data(episode, version, **changes):
    data = {
        "version": version,
        "started_at": f"{timezone.localtime(episode.started_at):%Y-%m-%dT%H:%M}",
        "duration": "90",
        "foot": "left",
        "locations": ["arch"],
        "intensity": "6",
        "fluids": "1500",
        "activity": "sleeping",
        "notes": "",
    }
    return {**data, **changes}


def open_tab(client, episode):
    response = client.get(f"/diary/{episode.pk}/edit/")
    assert response.status_code == 200
    return VERSION.search(response.content.decode()).group(1)


def test_the_edit_form_carries_the_saved_version(owner_client, owner):
    episode = EpisodeFactory(user=owner)

    assert open_tab(owner_client, episode) == episode.updated_at.isoformat()


def test_a_save_from_a_stale_tab_saves_nothing_and_shows_both_values(owner_client, owner):
    episode = EpisodeFactory(user=owner, notes="")
    first_tab = open_tab(owner_client, episode)
    second_tab = open_tab(owner_client, episode)
    saved = owner_client.post(
        f"/diary/{episode.pk}/edit/", form_data(episode, first_tab, notes="from the phone")
    )
    assert saved.status_code == 302

    response = owner_client.post(
        f"/diary/{episode.pk}/edit/",
        form_data(episode, second_tab, notes="from the laptop", intensity="9"),
    )

    assert response.status_code == 200
    episode.refresh_from_db()
    assert (episode.notes, episode.intensity) == ("from the phone", 6)
    page = Page(response)
    content = response.content.decode()
    assert "changed in another tab or on another device" in content
    assert "nothing has been saved yet" in content
    # Theirs stays in the field; the saved value is written next to it.
    assert page.text_of("id_notes") == "from the laptop"
    assert "Saved meanwhile as: “from the phone”." in page.field_error("notes")
    # Only the fields that differ from what is saved are marked.
    assert "Saved meanwhile as: 6 out of 10." in page.field_error("intensity")
    assert not [e for e in page.elements if e["attrs"].get("id") == "id_duration_error"]
    assert f'href="/diary/{episode.pk}/edit/"' in content


def test_saving_again_after_seeing_both_keeps_the_persons_choice(owner_client, owner):
    episode = EpisodeFactory(user=owner)
    first_tab = open_tab(owner_client, episode)
    second_tab = open_tab(owner_client, episode)
    owner_client.post(f"/diary/{episode.pk}/edit/", form_data(episode, first_tab, notes="A"))
    conflict = owner_client.post(
        f"/diary/{episode.pk}/edit/", form_data(episode, second_tab, notes="B")
    )
    refreshed = VERSION.search(conflict.content.decode()).group(1)

    response = owner_client.post(
        f"/diary/{episode.pk}/edit/", form_data(episode, refreshed, notes="B")
    )

    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.notes == "B"


def test_a_stale_tab_that_sends_what_is_already_saved_just_saves(owner_client, owner):
    episode = EpisodeFactory(user=owner)
    first_tab = open_tab(owner_client, episode)
    second_tab = open_tab(owner_client, episode)
    owner_client.post(f"/diary/{episode.pk}/edit/", form_data(episode, first_tab, notes="same"))

    response = owner_client.post(
        f"/diary/{episode.pk}/edit/", form_data(episode, second_tab, notes="same")
    )

    assert response.status_code == 302


def test_a_stale_tab_lists_every_kind_of_field_in_words(owner_client, owner):
    episode = EpisodeFactory(user=owner)
    stale = open_tab(owner_client, episode)
    Episode.objects.filter(pk=episode.pk).update(
        started_at=episode.started_at - timedelta(hours=3),
        duration_seconds=300,
        fluid_ml=None,
        locations="toes,heel",
        activity="",
        updated_at=timezone.now(),
    )

    response = owner_client.post(f"/diary/{episode.pk}/edit/", form_data(episode, stale))

    page = Page(response)
    assert "Saved meanwhile as: 5 min." in page.field_error("duration")
    assert "Saved meanwhile as: not logged." in page.field_error("fluids")
    assert "Saved meanwhile as: Toes, Heel." in page.field_error("locations")
    assert "Saved meanwhile as: not logged." in page.field_error("activity")
    assert "Saved meanwhile as:" in page.field_error("started_at")
    assert Episode.objects.get(pk=episode.pk).duration_seconds == 300


def test_a_post_without_a_version_saves_as_before(owner_client, owner):
    episode = EpisodeFactory(user=owner)
    data = form_data(episode, "", notes="no version")
    del data["version"]

    response = owner_client.post(f"/diary/{episode.pk}/edit/", data)

    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.notes == "no version"


def test_a_stranger_with_a_version_still_gets_404(stranger_client, owner):
    episode = EpisodeFactory(user=owner, notes="mine")

    response = stranger_client.post(
        f"/diary/{episode.pk}/edit/",
        form_data(episode, episode.updated_at.isoformat(), notes="theirs"),
    )

    assert response.status_code == 404
    episode.refresh_from_db()
    assert episode.notes == "mine"
