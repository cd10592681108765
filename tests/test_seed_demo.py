from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from diary.management.commands.seed_demo import PASSWORD
from diary.models import Episode, Experiment

from .conftest import BACKEND
from .factories import EpisodeFactory


def seed(**options):
    out = StringIO()
    call_command("seed_demo", month_people=3, stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo people of one run with the default seed, and its output, for this module.

    Seeding takes about a second, so the tests that only read the demo diaries share one run:
    each test's own transaction nests inside this one, which is rolled back after the module.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


def history(username):
    return list(
        Episode.objects.filter(user__username=username)
        .order_by("started_at")
        .values_list("started_at", "duration_seconds", "foot", "locations", "intensity")
    )


@pytest.mark.django_db
def test_seed_demo_creates_a_ten_year_a_one_year_and_month_long_histories(demo):
    decade = Episode.objects.filter(user__username="demo-decade")
    year = Episode.objects.filter(user__username="demo-year")
    month = Episode.objects.filter(user__username="demo-month-000001")
    assert 3300 <= decade.count() <= 4000
    assert 300 <= year.count() <= 420
    assert 15 <= month.count() <= 50
    today = timezone.localdate()
    assert decade.earliest("local_date").local_date <= today - timedelta(days=3640)
    assert year.earliest("local_date").local_date >= today - timedelta(days=366)
    assert month.earliest("local_date").local_date >= today - timedelta(days=31)
    assert get_user_model().objects.filter(username__startswith="demo-").count() == 5
    assert "Created 5 demo people" in demo
    assert f"{Episode.objects.count():,} episodes" in demo


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_diaries_and_another_seed_does_not(demo):
    first = history("demo-year")
    seed(seed=1)
    again = history("demo-year")
    seed(seed=2)
    other = history("demo-year")

    assert first == again
    assert first != other


@pytest.mark.django_db
def test_running_it_again_replaces_the_demo_people_and_leaves_real_people_alone(demo, owner):
    EpisodeFactory(user=owner)
    episodes = Episode.objects.count()

    output = seed()

    assert Episode.objects.count() == episodes
    assert get_user_model().objects.filter(username__startswith="demo-").count() == 5
    assert Episode.objects.filter(user=owner).count() == 1
    assert "Removed 5 earlier demo people" in output


@pytest.mark.django_db
def test_bulk_created_episodes_have_their_local_date_and_hour_in_the_persons_zone(demo):
    for episode in Episode.objects.select_related("user__profile")[:500]:
        local = episode.started_at.astimezone(episode.user.profile.zone)
        assert episode.time_zone == episode.user.profile.time_zone
        assert (episode.local_date, episode.local_hour) == (local.date(), local.hour)


@pytest.mark.django_db
def test_histories_look_like_real_cramps(demo):
    episodes = Episode.objects.filter(user__username="demo-decade")

    night = episodes.filter(local_hour__in=[22, 23, 0, 1, 2, 3, 4, 5]).count()
    places = Counter(place for row in episodes.values_list("locations") for place in row[0])
    durations = sorted(episodes.values_list("duration_seconds", flat=True))
    assert night > episodes.count() / 2
    assert sum(places[p] for p in ("arch", "toes", "calf")) > 0.8 * sum(places.values())
    assert 20 <= durations[len(durations) // 2] <= 180
    assert durations[-1] >= 300
    assert episodes.filter(fluid_ml__isnull=False).exists()
    assert episodes.exclude(triggers=[]).exists()
    assert episodes.filter(activity="sleeping").exists()
    assert not episodes.filter(started_at__gt=timezone.now()).exists()


@pytest.mark.django_db
def test_a_demo_person_can_sign_in_with_the_documented_password(demo, client):
    response = client.post(reverse("login"), {"username": "demo-year", "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(reverse("episode_list")).status_code == 200


@pytest.mark.django_db
def test_the_benchmark_baseline_pages_are_not_served_outside_the_benchmark(owner_client):
    for path in ("/bench/plaintext/", "/bench/fortunes/", "/bench/rows/"):
        assert owner_client.get(path).status_code == 404


@pytest.mark.django_db
def test_the_one_year_person_has_a_finished_experiment_that_finds_its_planted_effect(demo, client):
    experiment = Experiment.objects.get(user__username="demo-year")
    client.force_login(experiment.user, backend=BACKEND)

    response = client.get(f"/diary/experiments/{experiment.pk}/")

    assert not experiment.running(timezone.localdate())
    assert 'data-verdict="fewer"' in response.content.decode()
    result = response.context["summary"]["result"]
    assert result.with_change.nights >= 20 and result.without_change.nights >= 20
