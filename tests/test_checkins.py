"""The morning check-in: one per person and night, saved in one tap, refused with reasons."""

import csv
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from diary.models import CheckIn
from diary.vocabulary import Factor, Trigger

from .conftest import BACKEND
from .factories import EpisodeFactory, UserFactory
from .htmlpage import Page
from .test_home import HOME_REPEAT_QUERIES

BERLIN = ZoneInfo("Europe/Berlin")
D = date(2026, 3, 10)
CHECKIN_QUERIES = 5


@pytest.fixture
def morning(monkeypatch):
    """08:00 on 11 March 2026 in Berlin: last night, the night of 10 March, is ending."""
    now = datetime(2026, 3, 11, 8, 0, tzinfo=BERLIN)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def at(day, hour, minute=0):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)


def test_the_check_in_shares_the_episodes_words_for_the_triggers_it_names():
    shared = {"alcohol", "intense_exercise", "long_standing", "long_sitting"}
    shared |= {"tight_footwear", "high_heels", "cold", "heavy_sweating"}

    assert shared <= set(Factor.values) & set(Trigger.values)
    assert {"stretched", "supplement", "low_fluids"} <= set(Factor.values)
    assert Factor("cold").label == Trigger("cold").label


def test_before_noon_the_check_in_opens_for_last_night(owner_client, morning):
    response = owner_client.get("/diary/checkin/")

    assert response.status_code == 200
    assert response.context["night"] == D
    assert 'action="/diary/checkin/2026-03-10/"' in response.content.decode()


def test_after_noon_the_check_in_opens_for_the_night_under_way(owner_client, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(D, 15))

    assert owner_client.get("/diary/checkin/").context["night"] == D


def test_one_tap_saves_a_night_without_cramps_and_the_home_page_thanks_you(
    owner_client, owner, morning
):
    home = Page(owner_client.get("/"))
    button = [
        e for e in home.all_with("form") if e["attrs"].get("action") == f"/diary/checkin/{D}/"
    ]
    assert len(button) == 1 and button[0]["attrs"]["method"] == "post"

    response = owner_client.post(f"/diary/checkin/{D}/", {"unlogged_cramps": "0"}, follow=True)

    checkin = CheckIn.objects.get(user=owner)
    assert (checkin.night, checkin.unlogged_cramps, checkin.factors) == (D, 0, [])
    assert checkin.sleep_disturbance is None and checkin.fluid_ml is None
    html = response.content.decode()
    assert response.redirect_chain == [("/", 302)]
    assert "Check-in saved for the night of Tuesday 10 March." in html
    assert "Checked in for the night of Tuesday 10 March" in html
    assert "1 night checked in a row" in html


def test_the_home_page_asks_for_last_night_until_it_is_done_and_shows_the_streak(
    owner_client, owner, morning
):
    for back in (2, 3, 4):
        CheckIn.objects.create(user=owner, night=D - timedelta(days=back + 1))
    CheckIn.objects.create(user=owner, night=D - timedelta(days=1))
    EpisodeFactory(user=owner, started_at=at(D + timedelta(days=1), 3))

    html = owner_client.get("/").content.decode()

    assert "Last night, Tue 10 Mar: 1 cramp logged" in html
    assert "Nothing else to add" in html
    assert "1 night checked in a row" in html


def test_a_full_check_in_is_saved_in_the_persons_unit_and_saving_again_updates_it(
    owner_client, owner, morning
):
    owner.profile.fluid_unit = "glass"
    owner.profile.save()
    data = {
        "unlogged_cramps": "2",
        "sleep_disturbance": "6",
        "factors": ["alcohol", "stretched"],
        "fluids": "6",
        "notes": "Wedding.",
    }

    owner_client.post(f"/diary/checkin/{D}/", data)
    owner_client.post(f"/diary/checkin/{D}/", {**data, "unlogged_cramps": "1", "factors": []})

    checkin = CheckIn.objects.get(user=owner)
    assert (checkin.unlogged_cramps, checkin.sleep_disturbance, checkin.factors) == (1, 6, [])
    assert (checkin.fluid_ml, checkin.notes) == (1500, "Wedding.")
    form = owner_client.get(f"/diary/checkin/{D}/").context["form"]
    assert form.initial["fluids"] == 6


def test_each_person_sees_a_blank_check_in_in_their_own_unit(
    owner_client, owner, stranger, morning
):
    """A blank form is rendered once per process for each look it can have."""
    stranger.profile.fluid_unit = "floz"
    stranger.profile.save()
    other = Client()
    other.force_login(stranger, backend=BACKEND)

    def help_for_fluids(client):
        return Page(client.get(f"/diary/checkin/{D}/")).text_of("id_fluids_helptext")

    assert help_for_fluids(owner_client).startswith("In ml,")
    assert help_for_fluids(other).startswith("In fl oz,")
    owner.profile.fluid_unit = "glass"
    owner.profile.save()
    assert help_for_fluids(owner_client).startswith("In glasses of 250 ml,")
    assert help_for_fluids(other).startswith("In fl oz,")


def test_a_checked_in_night_shows_what_was_last_saved_and_the_night_before_stays_blank(
    owner_client, owner, morning
):
    owner_client.get(f"/diary/checkin/{D}/")
    owner_client.post(
        f"/diary/checkin/{D}/",
        {"unlogged_cramps": "2", "factors": ["alcohol"], "fluids": "1200", "notes": "Party."},
    )

    saved = Page(owner_client.get(f"/diary/checkin/{D}/"))
    blank = Page(owner_client.get(f"/diary/checkin/{D - timedelta(days=1)}/"))

    assert saved.by_id("id_unlogged_cramps")["attrs"]["value"] == "2"
    assert "checked" in saved.all_with("input", name="factors", value="alcohol")[0]["attrs"]
    assert saved.by_id("id_fluids")["attrs"]["value"] == "1200"
    assert saved.text_of("id_notes") == "Party."
    assert "checked" not in blank.all_with("input", name="factors", value="alcohol")[0]["attrs"]
    assert "value" not in blank.by_id("id_fluids")["attrs"]
    assert blank.text_of("id_notes") == ""
    owner_client.post(f"/diary/checkin/{D}/", {"unlogged_cramps": "3", "factors": ["cold"]})
    saved_again = Page(owner_client.get(f"/diary/checkin/{D}/"))
    assert saved_again.by_id("id_unlogged_cramps")["attrs"]["value"] == "3"
    assert "checked" in saved_again.all_with("input", name="factors", value="cold")[0]["attrs"]
    assert (
        "checked" not in saved_again.all_with("input", name="factors", value="alcohol")[0]["attrs"]
    )


def test_the_page_lists_the_cramps_logged_in_the_night_window_with_links(
    owner_client, owner, morning
):
    inside = [
        EpisodeFactory(user=owner, started_at=at(D, 12)),
        EpisodeFactory(user=owner, started_at=at(D + timedelta(days=1), 7, 30)),
    ]
    outside = [
        EpisodeFactory(user=owner, started_at=at(D, 11, 59)),
        EpisodeFactory(user=owner, started_at=at(D - timedelta(days=1), 23)),
    ]
    EpisodeFactory(user=UserFactory(), started_at=at(D, 23))

    response = owner_client.get(f"/diary/checkin/{D}/")

    html = response.content.decode()
    assert list(response.context["logged"]) == inside
    for episode in inside:
        assert f'href="/diary/{episode.pk}/"' in html
    for episode in outside:
        assert f'href="/diary/{episode.pk}/"' not in html
    assert 'href="/diary/new/"' in html
    assert "No other cramps, nothing special" in html


def test_a_tapped_cramp_in_the_night_says_its_pain_was_not_given(owner_client, owner, morning):
    EpisodeFactory(user=owner, started_at=at(D, 23), intensity=None, duration_seconds=None)
    EpisodeFactory(user=owner, started_at=at(D, 23, 30), intensity=7)

    html = owner_client.get(f"/diary/checkin/{D}/").content.decode()

    assert "pain not given" in html
    assert "pain 7/10" in html
    assert "None" not in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("unlogged_cramps", "51", "At most 50"),
        ("unlogged_cramps", "-1", "greater than or equal to 0"),
        ("factors", "dancing", "dancing is not one of the available choices"),
        ("sleep_disturbance", "11", "11 is not one of the available choices"),
        ("fluids", "100000", "more than anyone drinks in a day"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    owner_client, owner, morning, field, value, message
):
    response = owner_client.post(f"/diary/checkin/{D}/", {"unlogged_cramps": "0", field: value})

    assert response.status_code == 200
    assert message in Page(response).field_error(field)
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/diary/checkin/2026-03-12/", "That night has not begun yet"),
        ("/diary/checkin/2026-03-11/", "That night has not begun yet"),
        ("/diary/checkin/1899-12-31/", "Enter a night from 1900 on."),
        ("/diary/checkin/?night=2099-01-01", "That night has not begun yet"),
        ("/diary/checkin/?night=1850-06-01", "Enter a night from 1900 on."),
        ("/diary/checkin/?night=yesterday", "Enter a valid date."),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_night_in_the_future_or_before_1900_is_refused_next_to_the_field(
    owner_client, morning, url, message, method
):
    if method == "post":
        response = owner_client.post(url, {"unlogged_cramps": "0"})
    else:
        response = owner_client.get(url)

    assert response.status_code == 400
    assert message in Page(response).field_error("night")
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("url", ["/diary/checkin/2026-02-30/", "/diary/checkin/0000-01-01/"])
def test_a_date_that_does_not_exist_is_not_found(owner_client, url):
    assert owner_client.get(url).status_code == 404


def test_choosing_another_night_opens_its_address(owner_client, morning):
    response = owner_client.get("/diary/checkin/", {"night": "2026-03-01"})

    assert response.status_code == 302
    assert response["Location"] == "/diary/checkin/2026-03-01/"


def test_two_saves_at_once_make_one_check_in(owner_client, owner, morning):
    for _ in range(2):
        owner_client.post(f"/diary/checkin/{D}/", {"unlogged_cramps": "0"})

    assert CheckIn.objects.filter(user=owner).count() == 1


def test_a_stranger_at_the_same_address_sees_and_saves_only_their_own_night(
    client, owner, stranger, morning
):
    CheckIn.objects.create(user=owner, night=D, notes="owner-secret-night", factors=["alcohol"])
    EpisodeFactory(user=owner, started_at=at(D, 23), notes="owner-secret-cramp")
    client.force_login(stranger, backend="diary.backends.ProfileModelBackend")

    page = client.get(f"/diary/checkin/{D}/")
    client.post(f"/diary/checkin/{D}/", {"unlogged_cramps": "3"})

    assert page.status_code == 200
    assert b"owner-secret" not in page.content and not page.context["saved"]
    assert list(page.context["logged"]) == []
    owners = CheckIn.objects.get(user=owner)
    assert (owners.unlogged_cramps, owners.notes) == (0, "owner-secret-night")
    assert CheckIn.objects.get(user=stranger).unlogged_cramps == 3


@pytest.mark.parametrize(
    "url", ["/diary/checkin/", f"/diary/checkin/{D}/", "/diary/insights/", "/diary/checkins.csv"]
)
def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_is_saved(client, owner, url):
    response = client.post(url, {"unlogged_cramps": "0"})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not CheckIn.objects.exists()


def history(owner, nights_back, last=D):
    """A check-in and a cramp on each of the nights before `last`."""
    CheckIn.objects.bulk_create(
        [
            CheckIn(user=owner, night=last - timedelta(days=n), factors=["alcohol"] * (n % 2))
            for n in range(nights_back)
        ]
    )
    for n in range(nights_back):
        EpisodeFactory(user=owner, started_at=at(last - timedelta(days=n), 23))


@pytest.mark.parametrize("nights_back", [2, 400])
def test_the_check_in_page_costs_the_same_queries_for_a_short_or_long_history(
    owner_client, owner, morning, django_assert_num_queries, nights_back
):
    history(owner, nights_back)

    owner_client.get(f"/diary/checkin/{D}/")
    # The session and the person with their profile, the night's check-in, the experiment
    # that may cover it, and the cramps logged in it.
    with django_assert_num_queries(CHECKIN_QUERIES):
        response = owner_client.get(f"/diary/checkin/{D}/")

    assert response.status_code == 200


@pytest.mark.parametrize("nights_back", [2, 400])
def test_the_home_page_costs_the_same_queries_however_long_the_streak(
    owner_client, owner, morning, django_assert_num_queries, nights_back
):
    history(owner, nights_back, last=D - timedelta(days=1))

    owner_client.get("/")
    with django_assert_num_queries(HOME_REPEAT_QUERIES):
        response = owner_client.get("/")

    assert response.context["checkin_prompt"]["streak"].nights == nights_back


def test_the_json_export_holds_every_check_in(owner_client, owner):
    CheckIn.objects.create(user=owner, night=D, unlogged_cramps=2, factors=["cold"], notes="x")
    CheckIn.objects.create(user=UserFactory(), night=D, notes="someone else")

    data = json.loads(owner_client.get("/accounts/export/").content)

    assert len(data["checkins"]) == 1
    exported = data["checkins"][0]
    assert exported["night"] == "2026-03-10"
    assert (exported["unlogged_cramps"], exported["factors"], exported["notes"]) == (
        2,
        ["cold"],
        "x",
    )
    assert "user" not in exported


def test_deleting_the_account_deletes_its_check_ins(owner_client, owner):
    CheckIn.objects.create(user=owner, night=D)
    other = CheckIn.objects.create(user=UserFactory(), night=D)

    page = owner_client.get("/accounts/delete/").content.decode()
    owner_client.post("/accounts/delete/", {"password": "correct horse battery staple"})

    assert "every morning check-in (1 in all)" in page
    assert list(CheckIn.objects.all()) == [other]


def test_the_check_ins_csv_has_one_row_per_night_and_defuses_formulas(owner_client, owner):
    CheckIn.objects.create(
        user=owner, night=D, unlogged_cramps=1, sleep_disturbance=4, factors=["cold", "alcohol"]
    )
    CheckIn.objects.create(user=owner, night=D - timedelta(days=1), notes="=HYPERLINK(1)")
    CheckIn.objects.create(user=UserFactory(), night=D)

    response = owner_client.get("/diary/checkins.csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows == [
        ["night", "unlogged_cramps", "sleep_disturbance", "factors", "fluid_ml", "notes"],
        ["2026-03-09", "0", "", "", "", "'=HYPERLINK(1)"],
        ["2026-03-10", "1", "4", "alcohol;cold", "", ""],
    ]
