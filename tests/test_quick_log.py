"""A tap is never lost and never counted twice: client_id, logged_at, signed-out taps, a token
that signing in again replaced, the screen after the tap and its undo."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from diary import taps
from diary.models import Episode
from diary.vocabulary import FUTURE_GRACE, MAX_TAP_AGE, UNDO_WINDOW

from .authenticator import Authenticator
from .conftest import BACKEND
from .factories import PASSWORD, EpisodeFactory, TipFactory
from .htmlpage import Page
from .test_passkeys import add_passkey, sign_in_with, sign_out
from .test_two_step_sign_in import next_code, set_up_app, turn_on

TAP_ID = "5f0c2a4e-8d51-4c1b-9e7a-2b1f3c4d5e6f"
JSON = {"HTTP_ACCEPT": "application/json"}
BERLIN = ZoneInfo("Europe/Berlin")


def tap(client, *, json=False, follow=False, **fields):
    """Post a quick log; json=True as the page's script sends it."""
    headers = JSON if json else {}
    data = {"foot": "left", "locations": "heel", **fields}
    return client.post("/diary/quick/", data, follow=follow, **headers)


def owner_field(user):
    return taps.owner_token(user)


# client_id: one cramp per tap, however often it arrives


def test_a_tap_keeps_its_client_id(owner_client, owner):
    tap(owner_client, client_id=TAP_ID)

    assert Episode.objects.get(user=owner).client_id == uuid.UUID(TAP_ID)


def test_a_second_post_of_a_tap_saves_nothing_and_answers_as_the_first(owner_client, owner):
    first = tap(owner_client, client_id=TAP_ID)
    second = tap(owner_client, client_id=TAP_ID, locations="toes")

    episode = Episode.objects.get(user=owner)
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"] == f"/diary/{episode.pk}/logged/"
    assert episode.locations == ["heel"]


def test_a_replay_from_the_phone_gets_the_same_json_answer(owner_client, owner):
    first = tap(owner_client, client_id=TAP_ID, json=True)
    second = tap(owner_client, client_id=TAP_ID, json=True)

    episode = Episode.objects.get(user=owner)
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json() == second.json() == {"episode": episode.pk, "url": episode_url(episode)}


def episode_url(episode):
    return f"/diary/{episode.pk}/logged/"


def test_taps_without_a_client_id_are_each_a_cramp(owner_client, owner):
    tap(owner_client)
    tap(owner_client)

    assert Episode.objects.filter(user=owner).count() == 2


def test_the_same_client_id_is_a_different_tap_for_another_person(owner_client, owner, stranger):
    EpisodeFactory(user=stranger, client_id=uuid.UUID(TAP_ID))

    response = tap(owner_client, client_id=TAP_ID)

    mine = Episode.objects.get(user=owner)
    assert response["Location"] == episode_url(mine)
    assert Episode.objects.filter(client_id=TAP_ID).count() == 2


def test_a_tap_that_arrives_while_its_twin_is_being_saved_finds_the_twin(owner_client, owner):
    # The twin was saved between this request's look-up and its own save: the unique
    # constraint refuses the second row and the first one is the answer.
    twin = EpisodeFactory(user=owner, client_id=uuid.UUID(TAP_ID))
    copy = Episode(
        user=owner,
        started_at=timezone.now(),
        time_zone="Europe/Berlin",
        foot="left",
        locations=["heel"],
        client_id=uuid.UUID(TAP_ID),
    )

    assert copy.save_once() == twin
    assert Episode.objects.filter(user=owner).count() == 1


@pytest.mark.parametrize("client_id", ["not-a-uuid", "1" * 5000, "5f0c2a4e"])
def test_a_malformed_client_id_saves_nothing_and_says_why(owner_client, client_id):
    response = tap(owner_client, client_id=client_id, json=True)

    assert response.status_code == 400
    assert not Episode.objects.exists()


def test_the_full_form_saves_one_cramp_when_sent_twice(owner_client, owner):
    data = {
        "client_id": TAP_ID,
        "started_at": "2026-03-01T23:30",
        "foot": "right",
        "locations": "toes",
    }
    first = owner_client.post("/diary/new/", data)
    second = owner_client.post("/diary/new/", {**data, "notes": "sent again"})

    episode = Episode.objects.get(user=owner)
    assert first["Location"] == second["Location"] == f"/diary/{episode.pk}/"
    assert episode.notes == ""


def test_the_full_form_carries_a_new_client_id_and_the_owner(owner_client, owner):
    page = Page(owner_client.get("/diary/new/"))
    again = Page(owner_client.get("/diary/new/"))

    client_id = page.all_with("input", name="client_id")[0]["attrs"]["value"]
    assert uuid.UUID(client_id)
    assert client_id != again.all_with("input", name="client_id")[0]["attrs"]["value"]
    assert page.all_with("input", name="owner")[0]["attrs"]["value"] == owner_field(owner)


def test_editing_a_cramp_never_changes_its_client_id(owner_client, owner):
    episode = EpisodeFactory(user=owner, client_id=uuid.UUID(TAP_ID))

    owner_client.post(
        f"/diary/{episode.pk}/edit/",
        {
            "client_id": str(uuid.uuid4()),
            "started_at": "2026-03-01T23:30",
            "foot": "left",
            "locations": "arch",
        },
    )

    episode.refresh_from_db()
    assert episode.client_id == uuid.UUID(TAP_ID)
    assert episode.foot == "left"


# logged_at: a tap kept offline is saved at the time it was made


def test_a_queued_tap_is_saved_at_the_time_it_was_made(owner_client, owner):
    made = (timezone.now() - timedelta(hours=30)).astimezone(BERLIN).replace(microsecond=0)

    tap(owner_client, logged_at=made.isoformat())

    episode = Episode.objects.get(user=owner)
    assert episode.started_at == made
    assert episode.time_zone == "Europe/Berlin"
    assert episode.local_date == made.date()


def test_a_tap_from_a_phone_set_to_another_offset_is_shown_in_the_profiles_zone(
    owner_client, owner
):
    # The phone said New York, five past nine in the evening; the profile says Berlin.
    made = (timezone.now() - timedelta(days=1)).astimezone(ZoneInfo("America/New_York"))
    made = made.replace(hour=21, minute=5, second=0, microsecond=0)

    tap(owner_client, logged_at=made.isoformat())

    episode = Episode.objects.get(user=owner)
    assert episode.started_at == made
    assert episode.time_zone == "Europe/Berlin"
    assert episode.local_started_at == made.astimezone(BERLIN).replace(tzinfo=None)


def test_a_new_account_in_los_angeles_sees_a_0508_tap_at_0508_and_counted_at_night(client, db):
    los_angeles = ZoneInfo("America/Los_Angeles")
    now = datetime.now(los_angeles)
    made = now.replace(hour=5, minute=8, second=0, microsecond=0)
    if made > now:
        made -= timedelta(days=1)
    client.post(
        "/accounts/signup/",
        {
            "username": "lena",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "time_zone": "America/Los_Angeles",
        },
    )

    signed_in = tap(client, logged_at=made.isoformat())
    confirmation = client.get(signed_in["Location"]).content.decode()
    month = client.get(f"/diary/{made:%Y}/{made:%m}/")

    assert "At <strong>05:08</strong>" in confirmation
    assert "America/Los Angeles time" in " ".join(confirmation.split())
    hours = month.context["figures"]["hours"]
    assert (hours["night"], hours["day"]) == (1, 0)


def test_a_tap_a_little_ahead_of_the_servers_clock_is_saved(owner_client, owner):
    made = timezone.now() + FUTURE_GRACE - timedelta(seconds=30)

    response = tap(owner_client, logged_at=made.isoformat(), json=True)

    assert response.status_code == 200
    assert Episode.objects.filter(user=owner).count() == 1


@pytest.mark.parametrize(
    ("logged_at", "message"),
    [
        (
            lambda now: now + FUTURE_GRACE + timedelta(minutes=1),
            "A cramp cannot start in the future. Check the date.",
        ),
        (
            lambda now: now - MAX_TAP_AGE - timedelta(minutes=1),
            "This tap was made more than 7 days ago, so it was not saved. If the cramp "
            "happened, log it with the full form and its date.",
        ),
    ],
    ids=["future", "older than a week"],
)
def test_a_tap_too_far_in_the_future_or_past_is_refused_with_a_clear_message(
    owner_client, logged_at, message
):
    when = logged_at(timezone.now()).isoformat()

    answer = tap(owner_client, logged_at=when, json=True)
    page = tap(owner_client, logged_at=when, follow=True)

    assert answer.status_code == 400
    assert answer.json() == {"error": message}
    assert message in page.content.decode()
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    "logged_at",
    ["yesterday", "2026-03-01T03:12:00", "2026-13-01T03:12:00+01:00", "0001-01-01T00:00+00:00"],
)
def test_a_tap_time_without_an_offset_or_not_a_time_is_refused(owner_client, logged_at):
    response = tap(owner_client, logged_at=logged_at, json=True)

    assert response.status_code == 400
    assert not Episode.objects.exists()


def test_a_queued_tap_saved_once_is_answered_as_before_even_after_a_week(owner_client, owner):
    # The phone never heard the answer and sends the tap again much later.
    made = timezone.now() - timedelta(days=2)
    tap(owner_client, client_id=TAP_ID, logged_at=made.isoformat())
    Episode.objects.update(started_at=timezone.now() - MAX_TAP_AGE - timedelta(days=1))

    response = tap(owner_client, client_id=TAP_ID, logged_at=made.isoformat(), json=True)

    assert response.status_code == 200
    assert Episode.objects.filter(user=owner).count() == 1


# Whose tap: a page made for one account never saves into another


def test_a_tap_from_a_page_of_another_account_is_kept_out_of_this_one(
    owner_client, owner, stranger
):
    response = tap(owner_client, owner=owner_field(stranger), json=True)

    assert response.status_code == 409
    assert "another account" in response.json()["error"]
    assert not Episode.objects.exists()


def test_a_forged_owner_is_refused(owner_client):
    response = tap(owner_client, owner="10:forged", json=True)

    assert response.status_code == 409
    assert not Episode.objects.exists()


def test_the_home_page_names_its_owner_for_the_queue(owner_client, owner):
    page = Page(owner_client.get("/"))

    assert page.all_with("body")[0]["attrs"]["data-owner"] == owner_field(owner)
    assert page.all_with("input", name="owner")[0]["attrs"]["value"] == owner_field(owner)
    assert uuid.UUID(page.all_with("input", name="client_id")[0]["attrs"]["value"])
    assert page.all_with("input", name="logged_at")[0]["attrs"].get("value") is None


def test_a_signed_out_page_names_nobody(client, db):
    page = Page(client.get("/"))

    assert page.all_with("body")[0]["attrs"]["data-owner"] == ""


# Signed out: the tap waits for the person to sign in


def signed_out_tap(client, owner, **fields):
    return tap(client, owner=owner_field(owner), client_id=TAP_ID, **fields)


def log_in(client, username="owner", **fields):
    return client.post(
        "/accounts/login/", {"username": username, "password": PASSWORD, "next": "/", **fields}
    )


def test_a_signed_out_tap_is_kept_and_saved_after_signing_in_at_the_time_of_the_tap(client, owner):
    when = timezone.now() - timedelta(hours=6)

    kept = signed_out_tap(client, owner, logged_at=when.isoformat())
    login_page = client.get(kept["Location"])
    signed_in = log_in(client)

    assert kept.status_code == 302
    assert kept["Location"] == "/accounts/login/?next=/"
    assert "It is kept: sign in and it is saved" in login_page.content.decode()
    episode = Episode.objects.get(user=owner)
    assert episode.started_at == when.replace(microsecond=0)
    assert episode.client_id == uuid.UUID(TAP_ID)
    assert signed_in["Location"] == f"/diary/{episode.pk}/logged/"
    confirmation = client.get(signed_in["Location"]).content.decode()
    assert f"Saved the cramp you logged at {episode.local_started_at:%H:%M}." in confirmation


def test_a_signed_out_tap_is_saved_after_signing_in_with_a_passkey(owner):
    browser, phone = Client(HTTP_HOST="localhost"), Authenticator()
    log_in(browser)
    add_passkey(browser, phone)
    sign_out(browser)
    when = timezone.now() - timedelta(hours=2)

    signed_out_tap(browser, owner, logged_at=when.isoformat())
    signed_in = sign_in_with(browser, phone, {"next": "/"})

    episode = Episode.objects.get(user=owner)
    assert episode.started_at == when.replace(microsecond=0)
    assert signed_in["Location"] == f"/diary/{episode.pk}/logged/"
    confirmation = browser.get(signed_in["Location"]).content.decode()
    assert f"Saved the cramp you logged at {episode.local_started_at:%H:%M}." in confirmation


def test_a_signed_out_tap_waits_for_the_second_step_and_is_then_saved_once(owner):
    browser = Client(HTTP_HOST="localhost")
    log_in(browser)
    totp = set_up_app(browser)
    turn_on(browser)
    sign_out(browser)
    when = timezone.now() - timedelta(hours=2)

    signed_out_tap(browser, owner, logged_at=when.isoformat())
    password = log_in(browser)
    saved_before_the_second_step = Episode.objects.exists()
    second_step = browser.post("/accounts/login/two-step/", {"code": next_code(totp)})

    assert password["Location"] == "/accounts/login/two-step/"
    assert not saved_before_the_second_step
    episode = Episode.objects.get(user=owner)
    assert episode.started_at == when.replace(microsecond=0)
    assert second_step["Location"] == f"/diary/{episode.pk}/logged/"
    assert "Saved the cramp you logged at" in browser.get(second_step["Location"]).content.decode()


def test_a_signed_out_tap_without_a_time_is_saved_at_the_time_it_was_posted(client, owner):
    before = timezone.now()
    signed_out_tap(client, owner)

    log_in(client)

    episode = Episode.objects.get(user=owner)
    assert before - timedelta(seconds=1) <= episode.started_at <= before + timedelta(seconds=5)
    assert episode.time_zone == "Europe/Berlin"


def test_a_signed_out_tap_sent_twice_is_saved_once(client, owner):
    signed_out_tap(client, owner)
    signed_out_tap(client, owner)

    log_in(client)

    assert Episode.objects.filter(user=owner).count() == 1


def test_a_signed_out_tap_already_saved_from_the_phones_queue_is_not_saved_again(client, owner):
    signed_out_tap(client, owner)
    EpisodeFactory(user=owner, client_id=uuid.UUID(TAP_ID))

    log_in(client)

    assert Episode.objects.filter(user=owner).count() == 1


def test_a_signed_out_tap_is_not_saved_into_someone_elses_diary(client, owner, stranger):
    signed_out_tap(client, owner)

    response = log_in(client, username="stranger")

    assert not Episode.objects.exists()
    assert response["Location"] == "/"
    assert "another account" in client.get("/").content.decode()


def test_a_signed_out_tap_from_no_page_of_ours_is_not_kept(client, owner):
    response = tap(client, client_id=TAP_ID)
    log_in(client)

    assert response["Location"] == "/accounts/login/?next=/"
    assert not Episode.objects.exists()


def test_a_signed_out_tap_sent_by_the_script_is_told_to_sign_in(client, owner):
    response = signed_out_tap(client, owner, json=True)

    assert response.status_code == 401
    assert response.json() == {"login": "/accounts/login/"}
    assert taps.KEPT not in client.session


def test_a_signed_out_session_keeps_at_most_so_many_taps(client, owner):
    for _ in range(taps.MAX_KEPT + 5):
        tap(client, owner=owner_field(owner), client_id=str(uuid.uuid4()))

    log_in(client)

    assert Episode.objects.filter(user=owner).count() == taps.MAX_KEPT


def test_a_full_log_posted_while_signed_out_is_saved_after_signing_in(client, owner):
    response = client.post(
        "/diary/new/",
        {
            "owner": owner_field(owner),
            "client_id": TAP_ID,
            "started_at": "2026-03-01T23:30",
            "duration": "2 min",
            "foot": "right",
            "locations": ["toes", "arch"],
            "intensity": "7",
        },
    )
    signed_in = log_in(client)

    assert response["Location"] == "/accounts/login/?next=/diary/new/"
    episode = Episode.objects.get(user=owner)
    # Read in the person's time zone, as if they had been signed in.
    assert episode.started_at == datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    assert (episode.duration_seconds, episode.locations, episode.intensity) == (
        120,
        ["toes", "arch"],
        7,
    )
    assert signed_in["Location"] == f"/diary/{episode.pk}/"


def test_a_full_log_kept_while_signed_out_that_needs_a_correction_comes_back_to_the_form(
    client, owner
):
    client.post(
        "/diary/new/",
        {"owner": owner_field(owner), "started_at": "2026-03-01T23:30", "foot": "right"},
    )

    signed_in = log_in(client)
    form = client.get(signed_in["Location"])

    assert signed_in["Location"] == "/diary/new/"
    assert not Episode.objects.exists()
    assert "needs a correction" in form.content.decode()
    assert "This field is required." in Page(form).field_error("locations")
    assert form.context["form"].data["started_at"] == "2026-03-01T23:30"


def test_a_signed_out_get_of_the_logging_addresses_goes_to_sign_in_and_back(client, db):
    assert client.get("/diary/quick/")["Location"] == "/accounts/login/?next=/"
    assert client.get("/diary/new/")["Location"] == "/accounts/login/?next=/diary/new/"


# A token replaced by signing in again in another tab


def test_a_tap_with_a_replaced_token_from_our_own_page_is_saved(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner, backend=BACKEND)
    stale = browser.get("/").context["csrf_token"]
    # Signing in again in another tab gives the browser a new CSRF secret.
    browser.cookies.pop(settings.CSRF_COOKIE_NAME, None)
    browser.get("/")

    response = browser.post(
        "/diary/quick/",
        {"foot": "left", "locations": "heel", "csrfmiddlewaretoken": stale},
        HTTP_ORIGIN="http://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )

    episode = Episode.objects.get(user=owner)
    assert response.status_code == 302
    assert response["Location"] == f"/diary/{episode.pk}/logged/"


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "same-origin"},
        {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "http://testserver"},
        {"HTTP_SEC_FETCH_SITE": "same-origin"},
        {},
    ],
    ids=["cross-site", "bad origin", "same-site", "no fetch metadata", "no origin", "none"],
)
def test_a_tap_without_a_valid_token_from_anywhere_else_is_refused(owner, headers):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner, backend=BACKEND)

    response = browser.post("/diary/quick/", {"foot": "left", "locations": "heel"}, **headers)

    assert response.status_code == 403
    assert "That form has expired" in response.content.decode()
    assert not Episode.objects.exists()


def test_other_forms_still_need_their_token_from_our_own_page(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner, backend=BACKEND)
    episode = EpisodeFactory(user=owner)

    response = browser.post(
        f"/diary/{episode.pk}/delete/",
        HTTP_ORIGIN="http://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )

    assert response.status_code == 403
    assert Episode.objects.filter(pk=episode.pk).exists()


# One screen after the tap, and undo


def test_the_screen_after_a_tap_says_what_and_when_and_offers_undo_details_and_relief(
    owner_client, owner, empty_knowledge
):
    general = TipFactory(title="Massage it", kind="relief", general=True)
    TipFactory(title="Drink more", kind="prevention")
    # Yesterday's 03:12, which is in the past at any hour the test runs.
    at = (datetime.now(BERLIN) - timedelta(days=1)).replace(hour=3, minute=12)
    tap(owner_client, logged_at=at.isoformat())
    episode = Episode.objects.get()

    response = owner_client.get(f"/diary/{episode.pk}/logged/")

    page = Page(response)
    text = " ".join(response.content.decode().split())
    assert "Logged: left foot, heel" in text
    assert "At <strong>03:12</strong>" in text
    assert "Europe/Berlin time" in text
    assert "How long: not given; pain: not given." in text
    assert page.all_with("form", action=f"/diary/{episode.pk}/undo/")
    assert page.all_with("a", href=f"/diary/{episode.pk}/edit/")
    assert [tip.title for tip in response.context["tips"]] == [general.title]
    assert "Drink more" not in text


def test_relief_now_is_at_most_three_tips_whether_or_not_a_cause_matched(
    owner_client, owner, empty_knowledge
):
    tips = [TipFactory(title=f"Relief {n}", kind="relief", general=True) for n in range(5)]
    tap(owner_client)
    episode = Episode.objects.get()

    response = owner_client.get(f"/diary/{episode.pk}/logged/")

    assert response.context["tips"] == tips[:3]


def test_undo_within_ten_minutes_deletes_the_cramp(owner_client, owner):
    tap(owner_client)
    episode = Episode.objects.get()

    response = owner_client.post(f"/diary/{episode.pk}/undo/")

    assert response["Location"] == "/"
    assert not Episode.objects.exists()


def test_after_ten_minutes_undo_is_gone_and_sends_to_the_delete_page(owner_client, owner):
    episode = EpisodeFactory(user=owner)
    Episode.objects.update(created_at=timezone.now() - UNDO_WINDOW - timedelta(seconds=1))

    page = owner_client.get(f"/diary/{episode.pk}/logged/")
    response = owner_client.post(f"/diary/{episode.pk}/undo/")

    assert f"/diary/{episode.pk}/undo/" not in page.content.decode()
    assert response["Location"] == f"/diary/{episode.pk}/delete/"
    assert Episode.objects.filter(pk=episode.pk).exists()


def test_nobody_else_sees_or_undoes_a_tap(stranger_client, owner):
    episode = EpisodeFactory(user=owner)

    assert stranger_client.get(f"/diary/{episode.pk}/logged/").status_code == 404
    assert stranger_client.post(f"/diary/{episode.pk}/undo/").status_code == 404
    assert Episode.objects.filter(pk=episode.pk).exists()


def test_undo_only_answers_post(owner_client, owner):
    episode = EpisodeFactory(user=owner)

    assert owner_client.get(f"/diary/{episode.pk}/undo/").status_code == 405
    assert Episode.objects.filter(pk=episode.pk).exists()


@pytest.mark.parametrize("episodes", [1, 60])
def test_the_screen_after_a_tap_runs_the_same_number_of_queries_for_any_diary(
    owner_client, owner, django_assert_num_queries, episodes
):
    now = timezone.now()
    for hours in range(episodes):
        EpisodeFactory(user=owner, started_at=now - timedelta(hours=hours * 5))
    episode = EpisodeFactory(user=owner)
    owner_client.get(f"/diary/{episode.pk}/logged/")  # a first page also reads the rules

    # The session, the person with their profile, the episode, the advice's version and the
    # counts before it (the tips are read with the rules): none grows with the diary.
    with django_assert_num_queries(5):
        owner_client.get(f"/diary/{episode.pk}/logged/")
