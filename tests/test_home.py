from datetime import datetime, time, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from diary.models import Profile

from .factories import EpisodeFactory, UserFactory
from .htmlpage import Page

# Measured: a signed-in page costs the session and the user with its profile (2 queries),
# then the page's own reads, with the check-in streak and last night's cramps; the shipped
# rules and tips are read once per content version; the advice's version is read once more
# for the key of the kept latest cramps (on the list: of the kept page). A repeat view reads
# that key and, on home, the check-in prompt, on the list the count that settles the page
# number. Neither number may grow with the size of the diary.
HOME_QUERIES = 10
HOME_REPEAT_QUERIES = 5
LIST_QUERIES = 7
LIST_REPEAT_QUERIES = 4


def test_home_offers_a_quick_log_with_each_foot_and_each_place(owner_client):
    page = Page(owner_client.get("/"))

    assert {e["attrs"]["value"] for e in page.all_with("input", name="foot")} == {
        "left",
        "right",
        "both",
    }
    places = [e["attrs"]["value"] for e in page.all_with("button", name="locations")]
    assert places == ["toes", "ball", "arch", "heel", "top", "ankle", "calf"]
    forms = [e for e in page.all_with("form") if e["attrs"].get("action") == "/diary/quick/"]
    assert len(forms) == 1
    assert forms[0]["attrs"]["method"] == "post"


def test_home_lists_the_last_five_cramps_newest_first(owner_client, owner):
    now = timezone.now()
    episodes = [EpisodeFactory(user=owner, started_at=now - timedelta(hours=h)) for h in range(7)]
    EpisodeFactory(user=UserFactory())

    response = owner_client.get("/")

    assert list(response.context["recent"]) == episodes[:5]
    assert f"/diary/{episodes[4].pk}/" in response.content.decode()
    assert f"/diary/{episodes[5].pk}/" not in response.content.decode()


def test_home_counts_this_months_cramps_against_last_months(owner_client, owner):
    zone = Profile.objects.get(user=owner).zone
    first = timezone.localdate(timezone=zone).replace(day=1)
    first_noon = datetime.combine(first, time(12), tzinfo=zone)
    in_this_month = [first_noon, first_noon + timedelta(minutes=1)]
    in_last_month = [first_noon - timedelta(days=1)]
    two_months_ago = [first_noon - timedelta(days=40)]
    for started_at in in_this_month + in_last_month + two_months_ago:
        EpisodeFactory(user=owner, started_at=started_at)
    EpisodeFactory(user=UserFactory(), started_at=first_noon)

    response = owner_client.get("/")

    assert response.context["counts"] == {"this_month": 2, "last_month": 1}
    text = response.content.decode()
    assert f"cramps in {first:%B}" in text
    assert "more so far this month" in text


def test_an_empty_diary_on_home_says_how_to_start(owner_client):
    response = owner_client.get("/")

    assert "No cramps logged yet." in response.content.decode()
    assert response.context["counts"] == {"this_month": 0, "last_month": 0}


@pytest.mark.parametrize("episodes", [1, 100])
def test_home_runs_the_same_number_of_queries_for_a_short_or_long_diary(
    owner_client, owner, django_assert_num_queries, episodes
):
    now = timezone.now()
    for hours in range(episodes):
        EpisodeFactory(user=owner, started_at=now - timedelta(hours=hours * 5))

    owner_client.get("/")  # a process's first page also reads the matching rules
    with django_assert_num_queries(HOME_REPEAT_QUERIES):
        again = owner_client.get("/")
    cache.clear()  # a first view after a change
    with django_assert_num_queries(HOME_QUERIES):
        response = owner_client.get("/")

    assert again.status_code == response.status_code == 200


@pytest.mark.parametrize("episodes", [1, 100])
def test_the_diary_list_runs_the_same_number_of_queries_for_a_short_or_long_diary(
    owner_client, owner, django_assert_num_queries, episodes
):
    now = timezone.now()
    for hours in range(episodes):
        EpisodeFactory(user=owner, started_at=now - timedelta(hours=hours * 5))

    owner_client.get("/diary/")  # a process's first page also reads the matching rules
    with django_assert_num_queries(LIST_REPEAT_QUERIES):
        again = owner_client.get("/diary/")
    cache.clear()  # a first view after a change
    with django_assert_num_queries(LIST_QUERIES):
        response = owner_client.get("/diary/")

    assert again.status_code == response.status_code == 200
    assert len(response.context["page"].object_list) == min(episodes, 25)


# /healthz, for load balancers


def test_the_health_check_answers_ok_with_a_tiny_body_without_the_database(client):
    # No db fixture: any query would fail this test.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert len(response.content) <= 16
    assert response["Content-Type"].startswith("text/plain")


def test_the_health_check_never_touches_the_session(owner_client):
    response = owner_client.get("/healthz")

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert not response.cookies
    assert "cookie" not in response.headers.get("Vary", "").lower()


def test_the_health_check_works_with_any_host_name(client):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")

    assert response.status_code == 200


def test_other_pages_still_refuse_unknown_host_names(client, db):
    response = client.get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
