"""A person's month, year and insights pages, the diary list, each cramp's page, the home
page's latest cramps and the tests of their own factors are kept and shown again while nothing
on them has changed (diary.views.kept): the same page from fewer queries, never a stale or
another person's one."""

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from diary import csvio, patterns, stats
from diary.models import CheckIn, Episode, Profile
from diary.vocabulary import Factor, history_ends, in_history, last_night
from knowledge.models import Cause

from .conftest import BACKEND
from .factories import EpisodeFactory, UserFactory
from .test_csv import confirm, csv_file, upload

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Mid-month, mid-morning in Berlin: the hour and the day can turn in a test without the
# month doing so.
NOW = datetime(2026, 3, 16, 10, 20, tzinfo=BERLIN)
MONTH = "/diary/2026/03/"
YEAR = "/diary/2026/"
INSIGHTS = "/diary/insights/"
LIST = "/diary/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def clock():
    cache.clear()
    # A stopped clock: kept pages must not depend on the time each change was made.
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def berliner(owner):
    Profile.objects.filter(user=owner).update(time_zone="Europe/Berlin")
    owner.refresh_from_db()
    return owner


def queries(client, url):
    """The response, and how many queries it took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(captured)


def view(client, url=MONTH):
    """The page without its CSRF token, and how many queries it took."""
    response, count = queries(client, url)
    return CSRF.sub("", response.content.decode()), count


def latest(client):
    """The home page's kept part, and how many queries the page took."""
    html, count = view(client, "/")
    return html[html.index('id="recent-heading"') : html.index("</main>")], count


def diary_list(client):
    return view(client, LIST)


def first_cramps_page(client):
    return view(client, Episode.objects.order_by("started_at").first().get_absolute_url())


def cramp(user, day, hour=3, **fields):
    return EpisodeFactory(
        user=user, started_at=datetime(2026, 3, day, hour, tzinfo=BERLIN), **fields
    )


@pytest.mark.parametrize("url", [MONTH, YEAR, INSIGHTS, LIST])
def test_a_repeat_view_is_the_same_page_from_fewer_queries(berliner, owner_client, url):
    cramp(berliner, 10)
    first, first_queries = view(owner_client, url)

    again, again_queries = view(owner_client, url)

    assert again == first
    assert again_queries < first_queries


@pytest.mark.parametrize("url", [MONTH, YEAR, INSIGHTS, LIST])
def test_a_repeat_view_costs_the_same_queries_for_any_length_of_history(
    berliner, owner_client, url
):
    cramp(berliner, 10)
    view(owner_client, url)
    short = view(owner_client, url)[1]
    for day in range(1, 15):
        cramp(berliner, day)
    view(owner_client, url)

    assert view(owner_client, url)[1] == short


def test_a_cramp_logged_edited_or_deleted_since_shows_on_the_next_view(berliner, owner_client):
    cramp(berliner, 10, intensity=4)
    assert 'Cramps</th><td class="text-end">1<' in view(owner_client)[0]

    logged = cramp(berliner, 11, intensity=4)
    assert 'Cramps</th><td class="text-end">2<' in view(owner_client)[0]

    logged.intensity = 9
    logged.save()
    assert "worst pain 9/10" in view(owner_client)[0]

    logged.delete()
    page = view(owner_client)[0]
    assert 'Cramps</th><td class="text-end">1<' in page
    assert "worst pain 9/10" not in page


def test_a_tap_from_the_home_page_shows_on_the_month_and_year_pages(berliner, owner_client):
    month_before, year_before = view(owner_client)[0], view(owner_client, YEAR)[0]

    response = owner_client.post("/diary/quick/", {"foot": "left", "locations": "calf"})

    assert response.status_code == 302
    assert view(owner_client)[0] != month_before
    assert "1 cramp logged in 2026" in view(owner_client, YEAR)[0]
    assert "1 cramp logged" not in year_before


def test_a_bulk_change_to_the_rows_shows_on_the_next_view(berliner, owner_client):
    cramp(berliner, 10, intensity=4)
    view(owner_client)

    Episode.objects.filter(user=berliner).update(intensity=8)

    assert "worst pain 8/10" in view(owner_client)[0]


def test_a_profile_saved_from_a_copy_read_before_a_change_does_not_hide_it(berliner, owner_client):
    cramp(berliner, 10)
    view(owner_client)
    copy = Profile.objects.get(user=berliner)

    cramp(berliner, 11)
    copy.birth_year = 1960
    copy.save()
    copy.birth_year = None
    copy.save()

    assert 'Cramps</th><td class="text-end">2<' in view(owner_client)[0]


def test_a_bulk_delete_shows_on_the_next_view(berliner, owner_client):
    cramp(berliner, 10)
    cramp(berliner, 11)
    view(owner_client)

    Episode.objects.filter(user=berliner, local_date=date(2026, 3, 11)).delete()

    assert 'Cramps</th><td class="text-end">1<' in view(owner_client)[0]


def test_a_morning_check_in_since_shows_on_the_next_view(berliner, owner_client):
    assert "0 of them cramp-free" not in view(owner_client)[0]

    CheckIn.objects.create(user=berliner, night=date(2026, 3, 14))

    assert "checked in on 1 of 15 nights, 1 of them cramp-free" in view(owner_client)[0]


def test_an_import_since_shows_on_the_next_view(berliner, owner_client):
    assert "No cramps logged in March 2026" in view(owner_client)[0]

    preview = upload(
        owner_client,
        csv_file(
            "2026-03-05T22:10:00+01:00,90,left,arch,5,1200,sleeping,cold,woke_me,stretch,yes,"
        ),
    )
    confirm(owner_client, preview)

    assert 'Cramps</th><td class="text-end">1<' in view(owner_client)[0]


def test_a_change_to_the_profile_shows_on_the_next_view(berliner, owner_client):
    cramp(berliner, 10)
    _page, hit = view(owner_client)
    _page, hit = view(owner_client)

    Profile.objects.filter(user=berliner).update(birth_year=1950)

    assert view(owner_client)[1] > hit


@pytest.mark.parametrize(
    "read", [view, latest, diary_list, first_cramps_page], ids=["month", "home", "list", "cramp"]
)
def test_an_editors_change_to_the_advice_shows_on_the_next_view(
    knowledge, berliner, owner_client, read
):
    for day in (2, 5, 9):
        cramp(berliner, day, triggers=["cold"])
    assert "/knowledge/causes/cold-exposure/" in read(owner_client)[0]

    cause = Cause.objects.get(slug="cold-exposure")
    cause.published = False
    cause.save()

    assert "/knowledge/causes/cold-exposure/" not in read(owner_client)[0]


def test_the_hour_turning_builds_the_page_again(berliner, owner_client, clock):
    cramp(berliner, 10)
    view(owner_client)
    _page, hit = view(owner_client)

    # Into the next hour, well before a kept page would expire anyway.
    clock.shift(timedelta(minutes=50))

    assert view(owner_client)[1] > hit


def test_a_new_day_counts_the_night_that_ended_on_the_next_view(berliner, owner_client, clock):
    clock.move_to(NOW.replace(hour=23, minute=50))
    assert "of 15 nights" in view(owner_client)[0]

    clock.shift(timedelta(minutes=20))

    assert "of 16 nights" in view(owner_client)[0]


def test_a_stranger_never_sees_the_owners_kept_page(berliner, owner_client, stranger, client):
    cramp(berliner, 10, notes="private")
    owners, _queries = view(owner_client)
    owner_client.logout()

    client.force_login(stranger)
    strangers, _queries = view(client)

    assert 'Cramps</th><td class="text-end">1<' in owners
    assert "No cramps logged in March 2026" in strangers


def test_a_new_account_that_gets_a_deleted_accounts_id_starts_empty(db, client):
    gone = UserFactory(username="gone")
    cramp(gone, 10)
    client.force_login(gone)
    assert 'Cramps</th><td class="text-end">1<' in view(client)[0]
    gone_id = gone.pk
    response = client.post("/accounts/delete/", {"password": "correct horse battery staple"})
    assert response.status_code == 302

    # SQLite hands out the highest id plus one, so a deleted last account's id comes back.
    newcomer = UserFactory(pk=gone_id, username="newcomer")
    client.force_login(newcomer)

    assert "No cramps logged in March 2026" in view(client)[0]


@pytest.mark.parametrize(
    "when, url, expected",
    [
        (datetime(2026, 3, 1, 9, tzinfo=BERLIN), MONTH, "No cramps logged in March 2026: no night"),
        (datetime(2026, 1, 1, 9, tzinfo=BERLIN), YEAR, "Nights: no night has ended yet;"),
        (NOW, MONTH, "No cramps logged in March 2026: you checked in on 0 of 15 nights."),
    ],
)
def test_before_any_night_has_ended_the_page_says_so_in_a_sentence(
    berliner, owner_client, clock, when, url, expected
):
    clock.move_to(when)

    assert expected in view(owner_client, url)[0]


# The home page keeps its latest cramps, this month's count and causes; the quick log form
# and the check-in prompt, which carry CSRF tokens, are rendered each time.


def test_the_home_pages_latest_cramps_come_from_fewer_queries_until_a_tap(berliner, owner_client):
    cramp(berliner, 10)
    first, first_queries = latest(owner_client)
    again, again_queries = latest(owner_client)

    response = owner_client.post("/diary/quick/", {"foot": "left", "locations": "calf"})
    after, _queries = latest(owner_client)

    assert response.status_code == 302
    assert again == first
    assert again_queries < first_queries
    assert (first.count("<li>"), after.count("<li>")) == (1, 2)
    assert "1</strong> cramp in March" in first
    assert "2</strong> cramps in March" in after


def test_a_stranger_never_sees_the_owners_kept_latest_cramps(
    berliner, owner_client, stranger, client
):
    cramp(berliner, 10, foot="right")
    owners, _queries = latest(owner_client)

    client.force_login(stranger)
    strangers, _queries = latest(client)

    assert "Right foot" in owners
    assert "Right foot" not in strangers
    assert "No cramps logged yet" in strangers


# What the person's own check-ins link to cramps: the whole history's tests are kept too.


def test_the_insights_page_is_built_again_only_after_a_change(berliner, owner_client):
    CheckIn.objects.create(user=berliner, night=date(2026, 3, 10), factors=["alcohol"])
    first, first_queries = queries(owner_client, INSIGHTS)
    again, again_queries = queries(owner_client, INSIGHTS)

    CheckIn.objects.create(user=berliner, night=date(2026, 3, 11), factors=["alcohol"])
    after, _queries = queries(owner_client, INSIGHTS)

    assert again_queries < first_queries
    assert CSRF.sub("", again.content.decode()) == CSRF.sub("", first.content.decode())
    assert (first.context["checked"], after.context["checked"]) == (1, 2)


def test_a_cramps_page_is_kept_until_the_diary_changes(berliner, owner_client):
    episode = cramp(berliner, 10, intensity=4)
    url = episode.get_absolute_url()
    first, first_queries = view(owner_client, url)
    again, again_queries = view(owner_client, url)

    episode.intensity = 9
    episode.save()
    edited, _queries = view(owner_client, url)

    assert again == first
    assert again_queries < first_queries
    assert ("4 out of 10" in first, "9 out of 10" in edited) == (True, True)


def test_a_tap_or_a_filter_shows_on_the_diary_list(berliner, owner_client):
    cramp(berliner, 10, foot="right")
    assert "1 cramp, newest first" in diary_list(owner_client)[0]

    response = owner_client.post("/diary/quick/", {"foot": "left", "locations": "calf"})
    after, _queries = diary_list(owner_client)
    filtered, _queries = view(owner_client, f"{LIST}?foot=left")

    assert response.status_code == 302
    assert "2 cramps, newest first" in after
    assert "1 cramp matches these filters" in filtered
    assert "Right:" not in filtered


def test_a_stranger_gets_a_404_for_a_kept_cramps_page(berliner, owner_client, stranger, client):
    episode = cramp(berliner, 10, notes="Only the owner reads this")
    assert "Only the owner reads this" in view(owner_client, episode.get_absolute_url())[0]

    client.force_login(stranger)
    response = client.get(episode.get_absolute_url())

    assert response.status_code == 404
    assert "the owner reads" not in response.content.decode()


def test_a_cramps_page_reuses_the_factor_tests_another_cramps_page_kept(berliner, owner_client):
    plain = cramp(berliner, 9)
    earlier = cramp(berliner, 10, triggers=["alcohol"])
    later = cramp(berliner, 12, triggers=["alcohol"])
    for episode in (earlier, later):
        CheckIn.objects.create(user=berliner, night=episode.night, factors=["alcohol"])
    # A cramp with no factor to look up, so that the session and the rules are read already.
    queries(owner_client, plain.get_absolute_url())
    _response, first_queries = queries(owner_client, earlier.get_absolute_url())

    response, again_queries = queries(owner_client, later.get_absolute_url())

    assert response.status_code == 200
    # Neither the history's count nor the last weeks' is read again.
    assert again_queries == first_queries - 2


def patterns_link(client, url="/knowledge/"):
    html = client.get(url).content.decode()
    return re.search(r'<a class="nav-link" href="([^"]+)">Patterns</a>', html)


def test_the_menu_is_kept_per_month_in_each_persons_time_zone_and_signed_in_or_not(
    clock, owner_client, stranger
):
    """The menu's links are kept per process: its Patterns link must still follow the month
    in the person's time zone, and a visitor signed out must not get the diary's links."""
    Profile.objects.filter(user=stranger).update(time_zone="America/New_York")
    new_yorker = Client()
    new_yorker.force_login(stranger, backend=BACKEND)
    # 00:30 on 1 April in Berlin is still 31 March in New York.
    clock.move_to(datetime(2026, 3, 31, 22, 30, tzinfo=zoneinfo.ZoneInfo("UTC")))

    assert patterns_link(owner_client)[1] == "/diary/2026/04/"
    assert patterns_link(new_yorker)[1] == "/diary/2026/03/"
    clock.move_to(datetime(2026, 5, 2, 12, tzinfo=BERLIN))
    assert patterns_link(owner_client)[1] == "/diary/2026/05/"
    assert patterns_link(new_yorker)[1] == "/diary/2026/05/"
    owner_client.logout()
    assert patterns_link(owner_client) is None
    assert 'href="/accounts/login/">Log in</a>' in owner_client.get("/knowledge/").content.decode()


# The factor tests' counts of a person's history are kept apart (diary.views.kept_history),
# under a version that only a change to a night of their history moves.
HISTORY_NIGHT = date(2026, 2, 10)
RECENT_NIGHT = date(2026, 3, 14)


def insights_csv(client):
    response = client.get("/diary/insights.csv")
    assert response.status_code == 200
    return response.content.decode()


def counted_afresh(client):
    cache.clear()
    return insights_csv(client)


def tallies_read(client, url=INSIGHTS):
    """How many of the page's queries count nights for the factor tests."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return sum("COUNT(" in query["sql"] and "EXISTS" in query["sql"] for query in captured)


@pytest.fixture
def long_diary(berliner):
    """Nightly check-ins since January, cold on every other night, and a cramp on every
    third night, each eased by stretching: 10 February and 12 March are two of them,
    9 February, 13 and 14 March are not."""
    first, last = date(2026, 1, 1), date(2026, 3, 15)
    nights = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    CheckIn.objects.bulk_create(
        CheckIn(user=berliner, night=night, factors=["cold"] * (night.day % 2)) for night in nights
    )
    for night in nights[::-3]:
        EpisodeFactory(
            user=berliner,
            started_at=datetime.combine(night, time(23), BERLIN),
            relief=["stretch"],
            relief_helped="yes",
        )
    return berliner


def test_a_cramp_or_check_in_of_the_last_week_counts_only_the_last_weeks_again(
    long_diary, owner_client
):
    assert tallies_read(owner_client) == 2
    version = Profile.objects.get(user=long_diary).history_version
    before = insights_csv(owner_client)

    owner_client.post("/diary/quick/", {"foot": "left", "locations": "calf"})
    owner_client.post(f"/diary/checkin/{RECENT_NIGHT}/", {"unlogged_cramps": "2"})

    assert Profile.objects.get(user=long_diary).history_version == version
    assert tallies_read(owner_client) == 1
    after = insights_csv(owner_client)
    assert after != before
    assert after == counted_afresh(owner_client)


def test_the_history_and_the_last_weeks_counted_apart_give_the_tests_of_every_night(
    long_diary, owner_client
):
    every_night = CheckIn.objects.owned_by(long_diary).between(None, last_night(NOW.date()))

    expected = csvio.links_csv(stats.links(every_night.tallies(), Factor.choices))

    assert insights_csv(owner_client) == expected
    assert insights_csv(owner_client) == expected


def relief(client):
    return client.get(INSIGHTS).context["relief"]


def test_what_helped_counts_the_history_and_the_last_weeks_as_one_count_would(
    long_diary, owner_client
):
    expected = patterns.ranked_relief(
        patterns.relief_tally(Episode.objects.owned_by(long_diary).relief_rows())
    )

    assert relief(owner_client) == expected
    assert expected[0]["tried"] == Episode.objects.filter(user=long_diary).count()


def test_what_helped_follows_an_edit_to_a_cramp_of_the_history_on_the_next_view(
    long_diary, owner_client
):
    before = relief(owner_client)
    episode = Episode.objects.get(user=long_diary, night=date(2026, 2, 10))
    episode.relief_helped = "no"
    episode.save()

    after = relief(owner_client)

    assert after != before
    cache.clear()
    assert after == relief(owner_client)


def edit_a_check_in(user, client):
    client.post(f"/diary/checkin/{HISTORY_NIGHT}/", {"unlogged_cramps": "4", "factors": ["cold"]})


def move_a_cramp_out(user, client):
    episode = Episode.objects.get(user=user, night=date(2026, 2, 10))
    episode.started_at = datetime.combine(date(2026, 3, 13), time(23), BERLIN)
    episode.save()


def move_a_cramp_in(user, client):
    episode = Episode.objects.get(user=user, night=date(2026, 3, 12))
    episode.started_at = datetime.combine(date(2026, 2, 9), time(23), BERLIN)
    episode.save()


def delete_a_cramp(user, client):
    Episode.objects.get(user=user, night=date(2026, 2, 10)).delete()


def update_check_ins(user, client):
    CheckIn.objects.filter(user=user, night__lt=date(2026, 2, 1)).update(unlogged_cramps=1)


def move_a_check_in_in(user, client):
    CheckIn.objects.filter(user=user, night=date(2026, 3, 12)).update(night=date(2025, 12, 31))


def delete_cramps(user, client):
    Episode.objects.filter(user=user, night__lt=date(2026, 2, 1)).delete()


def add_check_ins(user, client):
    CheckIn.objects.bulk_create(
        CheckIn(user=user, night=date(2025, 12, day), factors=["cold"]) for day in range(1, 20)
    )


def import_cramps(user, client):
    preview = upload(
        client, csv_file("2026-02-03T22:10:00+01:00,90,left,arch,5,1200,sleeping,,,stretch,yes,")
    )
    confirm(client, preview)


@pytest.mark.parametrize(
    "change",
    [
        edit_a_check_in,
        move_a_cramp_out,
        move_a_cramp_in,
        delete_a_cramp,
        update_check_ins,
        move_a_check_in_in,
        delete_cramps,
        add_check_ins,
        import_cramps,
    ],
)
def test_a_change_to_the_history_is_counted_on_the_next_view(long_diary, owner_client, change):
    before = insights_csv(owner_client)

    change(long_diary, owner_client)

    after = insights_csv(owner_client)
    assert after != before
    assert after == counted_afresh(owner_client)


def test_the_kept_history_is_counted_again_as_its_end_moves_on(long_diary, owner_client, clock):
    insights_csv(owner_client)
    CheckIn.objects.filter(user=long_diary, night=date(2026, 3, 12)).update(unlogged_cramps=5)

    for _week in range(3):
        clock.shift(timedelta(days=7))
        assert insights_csv(owner_client) == counted_afresh(owner_client)


def test_the_kept_history_ends_before_every_night_whose_change_leaves_it():
    """Whatever the day, in any time zone, the history whose counts are kept ends before the
    nights that a change does not count as history's, and the nights counted again on a first
    view are at most three weeks."""
    utc_day = date(2026, 1, 1)
    ends_before = None
    for _day in range(800):
        for local_day in (utc_day - timedelta(days=1), utc_day, utc_day + timedelta(days=1)):
            ends = history_ends(local_day)
            assert ends.weekday() == 0
            assert in_history(ends - timedelta(days=1), utc_day)
            assert (last_night(local_day) - ends).days < 21
        assert ends_before is None or history_ends(utc_day) >= ends_before
        ends_before = history_ends(utc_day)
        utc_day += timedelta(days=1)
