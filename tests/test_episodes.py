import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from diary.models import Episode, Profile

from .factories import EpisodeFactory, UserFactory
from .htmlpage import Page

VALID = {
    "started_at": "2026-03-01T23:30",
    "duration": "2 min",
    "foot": "right",
    "locations": ["arch", "toes"],
    "intensity": "7",
    "fluids": "1500",
    "activity": "sleeping",
    "triggers": ["cold", "long_standing"],
    "symptoms": ["woke_me"],
    "relief": ["stretch", "massage"],
    "relief_helped": "partly",
    "notes": "Woke me at night, second time this week.",
}


def post_episode(client, **changes):
    data = {**VALID, **changes}
    return client.post(
        "/diary/new/", {key: value for key, value in data.items() if value is not None}
    )


def set_profile(user, **fields):
    Profile.objects.filter(user=user).update(**fields)


# Logging a cramp with the full form


def test_a_full_episode_is_saved_exactly_as_entered(owner_client, owner):
    response = post_episode(owner_client)

    episode = Episode.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/diary/{episode.pk}/"
    assert episode.user == owner
    # The owner's profile is in Europe/Berlin, one hour ahead of UTC in March.
    assert episode.started_at == datetime(2026, 3, 1, 22, 30, tzinfo=UTC)
    assert episode.time_zone == "Europe/Berlin"
    assert episode.local_date == date(2026, 3, 1)
    assert episode.local_hour == 23
    assert episode.duration_seconds == 120
    assert episode.foot == "right"
    assert episode.locations == ["toes", "arch"]
    assert episode.intensity == 7
    assert episode.fluid_ml == 1500
    assert episode.activity == "sleeping"
    assert episode.triggers == ["long_standing", "cold"]
    assert episode.symptoms == ["woke_me"]
    assert episode.relief == ["stretch", "massage"]
    assert episode.relief_helped == "partly"
    assert episode.notes == "Woke me at night, second time this week."


def test_only_the_required_fields_are_enough_to_log_a_cramp(owner_client):
    response = owner_client.post(
        "/diary/new/",
        {
            "started_at": "2026-03-01T08:00",
            "duration": "90",
            "foot": "left",
            "locations": "heel",
            "intensity": "0",
        },
    )

    episode = Episode.objects.get()
    assert response.status_code == 302
    assert episode.duration_seconds == 90
    assert episode.intensity == 0
    assert episode.fluid_ml is None
    assert episode.activity == ""
    assert episode.triggers == episode.symptoms == episode.relief == []
    assert episode.relief_helped == ""


@pytest.mark.parametrize(
    ("unit", "amount", "ml"),
    [
        ("ml", "1500", 1500),
        ("ml", "0", 0),
        ("glass", "3", 750),
        ("glass", "2.5", 625),
        ("floz", "10", 296),
        ("floz", "64", 1893),
    ],
)
def test_fluids_are_entered_in_the_persons_unit_and_stored_as_ml(
    owner_client, owner, unit, amount, ml
):
    set_profile(owner, fluid_unit=unit)

    post_episode(owner_client, fluids=amount)

    assert Episode.objects.get().fluid_ml == ml


@pytest.mark.parametrize(
    ("unit", "shown"), [("ml", "1,500 ml"), ("glass", "6 glasses"), ("floz", "50.7 fl oz")]
)
def test_fluids_are_shown_back_in_the_persons_unit(owner_client, owner, unit, shown):
    set_profile(owner, fluid_unit=unit)
    episode = EpisodeFactory(user=owner, fluid_ml=1500)

    detail = owner_client.get(f"/diary/{episode.pk}/")
    edit = owner_client.get(f"/diary/{episode.pk}/edit/")

    assert shown in detail.content.decode()
    shown_amount = float(shown.split()[0].replace(",", ""))
    assert float(Page(edit).by_id("id_fluids")["attrs"]["value"]) == shown_amount


def test_the_new_episode_form_starts_at_the_current_minute_in_the_persons_time_zone(owner_client):
    response = owner_client.get("/diary/new/")

    value = Page(response).by_id("id_started_at")["attrs"]["value"]
    shown = datetime.strptime(value, "%Y-%m-%dT%H:%M").replace(
        tzinfo=timezone.get_current_timezone()
    )
    berlin_now = timezone.localtime(timezone.now(), Profile.objects.get().zone).replace(tzinfo=None)
    assert response.status_code == 200
    assert abs(shown.replace(tzinfo=None) - berlin_now) < timedelta(minutes=2)


def test_the_detail_page_shows_the_episode_in_words(owner_client, owner):
    episode = EpisodeFactory(
        user=owner,
        started_at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC),
        duration_seconds=90,
        locations=["heel", "calf"],
        triggers=["cold"],
        relief=["stretch"],
        relief_helped="yes",
        notes="Line one\nline two",
    )

    page = owner_client.get(f"/diary/{episode.pk}/").content.decode()

    assert "Sunday 1 March 2026, 23:30" in page
    assert "1 min 30 s" in page
    assert "Left foot: heel, calf" in page
    assert "Cold feet or cold weather" in page
    assert "Stretching (helped: yes)" in page
    assert "Line one<br>line two" in page


# Bad input: a message next to the field, nothing saved, never a 500

NEXT_YEAR = timezone.now().year + 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("intensity", "11", "Select a valid choice. 11 is not one of the available choices."),
        ("intensity", "-1", "Select a valid choice."),
        ("started_at", f"{NEXT_YEAR}-03-01T10:00", "A cramp cannot start in the future."),
        ("started_at", "yesterday", "Enter a valid date/time."),
        ("started_at", "2026-13-45T25:61", "Enter a valid date/time."),
        ("started_at", "1800-01-01T00:00", "Enter a date after 1900."),
        ("started_at", "", "This field is required."),
        ("duration", "abc", "Enter a duration such as 90 s, 1:30, 2 min or 1 h 5 min."),
        ("duration", "15 days", "Enter a duration of at most 14 days."),
        ("duration", "0 s", "A cramp lasts at least 1 second."),
        ("notes", "x" * 5000, "Ensure this value has at most 2000 characters (it has 5000)."),
        ("foot", "middle", "Select a valid choice. middle is not one of the available choices."),
        ("foot", None, "This field is required."),
        ("locations", ["knee"], "Select a valid choice. knee is not one of the available choices."),
        (
            "locations",
            ["arch", "knee"],
            "Select a valid choice. knee is not one of the available choices.",
        ),
        ("locations", None, "This field is required."),
        (
            "activity",
            "flying",
            "Select a valid choice. flying is not one of the available choices.",
        ),
        (
            "triggers",
            ["boredom"],
            "Select a valid choice. boredom is not one of the available choices.",
        ),
        ("symptoms", ["itch"], "Select a valid choice. itch is not one of the available choices."),
        (
            "relief",
            ["prayer"],
            "Select a valid choice. prayer is not one of the available choices.",
        ),
        (
            "relief_helped",
            "maybe",
            "Select a valid choice. maybe is not one of the available choices.",
        ),
        ("fluids", "a lot", "Enter a number."),
        ("fluids", "-1", "Ensure this value is greater than or equal to 0."),
        ("fluids", "15001", "That is more than anyone drinks in a day: at most 15,000 ml."),
        ("fluids", "99999999999", "Ensure that there are no more than 8 digits in total."),
        ("fluids", "1e400", "Ensure that there are no more than 8 digits in total."),
        ("fluids", "Infinity", "Enter a number."),
        ("fluids", "NaN", "Enter a number."),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(
    owner_client, field, value, message
):
    response = post_episode(owner_client, **{field: value})

    assert response.status_code == 200
    page = Page(response)
    assert message in page.field_error(field)
    assert "Nothing has been saved yet." in page.text_of("form-errors")
    assert not Episode.objects.exists()


@pytest.mark.parametrize(("unit", "most"), [("glass", "60 glasses"), ("floz", "507.2 fl oz")])
def test_too_much_fluid_is_explained_in_the_persons_unit(owner_client, owner, unit, most):
    set_profile(owner, fluid_unit=unit)

    response = post_episode(owner_client, fluids="1000")

    assert f"at most {most}" in Page(response).field_error("fluids")
    assert not Episode.objects.exists()


def test_a_time_that_does_not_exist_on_the_clock_is_rejected_politely(owner_client):
    # Clocks in Berlin jump from 02:00 to 03:00 on 29 March 2026.
    response = post_episode(owner_client, started_at="2026-03-29T02:30")

    assert response.status_code == 200
    assert Page(response).field_error("started_at")
    assert not Episode.objects.exists()


def test_the_form_keeps_what_was_typed_when_it_is_shown_again(owner_client):
    response = post_episode(owner_client, duration="abc", notes="keep me")

    page = Page(response)
    assert page.by_id("id_duration")["attrs"]["value"] == "abc"
    assert page.text_of("id_notes") == "keep me"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({}, 200),
        ({"started_at": "0001-01-01T00:00"}, 200),
        ({"started_at": "9999-12-31T23:59"}, 200),
        ({"started_at": "2026-03-01T23:30" * 100}, 200),
        ({"started_at": "\x00"}, 200),
        ({"duration": "9" * 10_000}, 200),
        ({"duration": "1" + "0" * 400 + " days"}, 200),
        ({"duration": "1e400 s"}, 200),
        ({"duration": "99999:99:99"}, 200),
        ({"fluids": "9" * 1000}, 200),
        ({"fluids": "1e-400"}, 200),
        ({"fluids": "0x10"}, 200),
        ({"intensity": "1" * 500}, 200),
        ({"notes": "nul \x00 byte"}, 200),
        # Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS values before any form runs.
        ({"locations": ["arch"] * 1000}, 400),
        ({"locations": ["x" * 10_000]}, 200),
        # A single-choice field sent twice: Django reads the last value, a valid foot.
        ({"foot": ["left", "right"]}, 302),
        ({"relief_helped": "yes" * 1000}, 200),
    ],
)
def test_no_input_makes_the_episode_form_fail_with_a_server_error(owner_client, data, status):
    response = owner_client.post("/diary/new/", {**VALID, **data} if data else {})

    assert response.status_code == status
    assert Episode.objects.count() == (1 if status == 302 else 0)


def test_an_empty_post_shows_every_required_field_as_missing(owner_client):
    response = owner_client.post("/diary/new/", {"notes": ""})

    page = Page(response)
    assert response.status_code == 200
    for field in ["started_at", "foot", "locations"]:
        assert "This field is required." in page.field_error(field)
    assert not Episode.objects.exists()


def test_how_long_and_how_much_it_hurt_may_be_left_not_given(owner_client):
    response = post_episode(owner_client, duration="", intensity=None)

    episode = Episode.objects.get()
    assert response.status_code == 302
    assert (episode.duration_seconds, episode.intensity) == (None, None)


# Time zones: episodes are entered, grouped and shown in the person's own time zone


@pytest.mark.parametrize(
    ("zone", "utc"),
    [
        ("Pacific/Auckland", datetime(2026, 1, 31, 10, 30, tzinfo=UTC)),
        ("America/Los_Angeles", datetime(2026, 2, 1, 7, 30, tzinfo=UTC)),
    ],
)
def test_a_cramp_late_on_the_last_day_of_a_month_belongs_to_that_local_day_and_month(
    owner_client, owner, zone, utc
):
    set_profile(owner, time_zone=zone)

    post_episode(owner_client, started_at="2026-01-31T23:30")

    episode = Episode.objects.get()
    assert episode.started_at == utc
    assert episode.time_zone == zone
    assert episode.local_date == date(2026, 1, 31)
    assert episode.local_hour == 23
    january = owner_client.get("/diary/?month=2026-01")
    february = owner_client.get("/diary/?month=2026-02")
    assert list(january.context["page"].object_list) == [episode]
    assert list(february.context["page"].object_list) == []
    detail = owner_client.get(f"/diary/{episode.pk}/").content.decode()
    assert "Saturday 31 January 2026, 23:30" in detail
    edit = Page(owner_client.get(f"/diary/{episode.pk}/edit/"))
    assert edit.by_id("id_started_at")["attrs"]["value"] == "2026-01-31T23:30"


def test_changing_time_zone_then_editing_recomputes_the_local_day_and_hour(owner_client, owner):
    episode = EpisodeFactory(user=owner, started_at=datetime(2026, 1, 31, 20, 0, tzinfo=UTC))
    assert (episode.local_date, episode.local_hour) == (date(2026, 1, 31), 21)
    set_profile(owner, time_zone="Pacific/Auckland")

    form = Page(owner_client.get(f"/diary/{episode.pk}/edit/"))
    shown = form.by_id("id_started_at")["attrs"]["value"]
    response = owner_client.post(f"/diary/{episode.pk}/edit/", {**VALID, "started_at": shown})

    episode.refresh_from_db()
    assert shown == "2026-02-01T09:00"
    assert response.status_code == 302
    assert episode.started_at == datetime(2026, 1, 31, 20, 0, tzinfo=UTC)
    assert episode.time_zone == "Pacific/Auckland"
    assert (episode.local_date, episode.local_hour) == (date(2026, 2, 1), 9)


def test_saving_an_episode_in_code_fills_its_local_fields(db):
    episode = EpisodeFactory(
        user=UserFactory(profile__time_zone="Asia/Kolkata"),
        started_at=datetime(2026, 5, 31, 18, 45, tzinfo=UTC),
    )

    assert episode.time_zone == "Asia/Kolkata"
    assert (episode.local_date, episode.local_hour) == (date(2026, 6, 1), 0)


# Quick log


def test_quick_log_records_a_cramp_now_with_nothing_made_up_and_shows_what_was_logged(
    owner_client, owner
):
    before = timezone.now()

    response = owner_client.post("/diary/quick/", {"foot": "left", "locations": "heel"})

    episode = Episode.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/diary/{episode.pk}/logged/"
    assert episode.user == owner
    assert episode.foot == "left"
    assert episode.locations == ["heel"]
    assert before - timedelta(seconds=1) <= episode.started_at <= timezone.now()
    assert episode.time_zone == "Europe/Berlin"
    assert episode.duration_seconds is None
    assert episode.intensity is None
    assert episode.local_date == timezone.localtime(episode.started_at, owner.profile.zone).date()
    follow = owner_client.get(response["Location"])
    assert "Logged: left foot, heel" in follow.content.decode()


def test_quick_log_only_answers_post(owner_client):
    assert owner_client.get("/diary/quick/").status_code == 405
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"locations": "heel"},
        {"foot": "left"},
        {"foot": "middle", "locations": "heel"},
        {"foot": "left", "locations": "knee"},
        {},
    ],
)
def test_quick_log_without_a_foot_and_place_saves_nothing_and_says_why(owner_client, data):
    response = owner_client.post("/diary/quick/", data, follow=True)

    assert response.status_code == 200
    assert "Pick which foot and where the cramp is" in response.content.decode()
    assert not Episode.objects.exists()


# The list


def test_the_list_shows_the_persons_episodes_newest_first_25_a_page(owner_client, owner):
    now = timezone.now()
    episodes = [
        EpisodeFactory(user=owner, started_at=now - timedelta(hours=hours)) for hours in range(30)
    ]
    EpisodeFactory(user=UserFactory())

    first = owner_client.get("/diary/")
    second = owner_client.get("/diary/?page=2")

    assert list(first.context["page"].object_list) == episodes[:25]
    assert list(second.context["page"].object_list) == episodes[25:]
    assert "30 cramps, newest first." in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()


def test_each_row_of_the_list_says_when_where_how_long_how_bad_what_and_its_likely_cause(
    knowledge, owner_client, owner
):
    night = datetime(2026, 3, 5, 2, 30, tzinfo=UTC)
    cold = EpisodeFactory(
        user=owner,
        started_at=night,
        foot="left",
        locations=["toes", "arch"],
        duration_seconds=90,
        intensity=7,
        activity="sleeping",
        triggers=["cold"],
    )
    plain = EpisodeFactory(
        user=owner,
        started_at=night - timedelta(days=1),
        foot="right",
        locations=["calf"],
        duration_seconds=None,
        intensity=None,
        activity="",
        fluid_ml=None,
    )

    html = owner_client.get("/diary/").content.decode()
    rows = re.findall(r"<tr>\s*(<td.*?)</tr>", html, flags=re.S)

    assert [re.findall(r"<td[^>]*>\s*(.*?)\s*</td>", row, flags=re.S) for row in rows] == [
        [
            f'<a href="/diary/{cold.pk}/">5 Mar 2026, 03:30</a>',
            "Left: toes, arch",
            "1 min 30 s",
            "7/10",
            "Sleeping",
            '<a href="/knowledge/causes/cold-exposure/">Cold feet</a>',
        ],
        [
            f'<a href="/diary/{plain.pk}/">4 Mar 2026, 03:30</a>',
            "Right: calf",
            "not given",
            "not given",
            "—",
            '<span class="text-body-secondary">Not clear</span>',
        ],
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("month=2026-02", ["february"]),
        ("month=2026-01", ["january_right_arch", "january_left_heel"]),
        ("foot=right", ["february", "january_right_arch"]),
        ("location=heel", ["january_left_heel"]),
        ("activity=walking", ["january_right_arch"]),
        ("month=2026-01&foot=right", ["january_right_arch"]),
        ("month=2025-12", []),
    ],
)
def test_the_list_filters_by_month_foot_location_and_activity(owner_client, owner, query, expected):
    made = {
        "february": EpisodeFactory(
            user=owner,
            started_at=datetime(2026, 2, 2, 8, tzinfo=UTC),
            foot="right",
            locations=["arch", "toes"],
        ),
        "january_right_arch": EpisodeFactory(
            user=owner,
            started_at=datetime(2026, 1, 20, 8, tzinfo=UTC),
            foot="right",
            activity="walking",
        ),
        "january_left_heel": EpisodeFactory(
            user=owner,
            started_at=datetime(2026, 1, 10, 8, tzinfo=UTC),
            foot="left",
            locations=["heel"],
        ),
    }

    response = owner_client.get(f"/diary/?{query}")

    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [made[name] for name in expected]


def test_pages_of_a_filtered_list_keep_the_filter(owner_client, owner):
    for day in range(1, 28):
        EpisodeFactory(user=owner, started_at=datetime(2026, 1, day, 8, tzinfo=UTC))

    response = owner_client.get("/diary/?month=2026-01")

    assert 'href="?month=2026-01&amp;page=2"' in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "month=garbage",
        "month=2026-13",
        "month=0000-01",
        "month=0001-01",
        "month=9999-12",
        "foot=middle",
        "location=knee",
        "activity=flying",
        "page=abc",
        "page=-1",
        "page=99999999999999999999",
        "month=2026-01&month=2026-02",
        "location=%00",
    ],
)
def test_invalid_list_filters_never_fail_with_a_server_error(owner_client, owner, query):
    EpisodeFactory(user=owner)

    response = owner_client.get(f"/diary/?{query}")

    assert response.status_code == 200


def test_an_unknown_filter_value_is_explained_next_to_the_filter(owner_client):
    response = owner_client.get("/diary/?foot=middle")

    assert (
        "Select a valid choice. middle is not one of the available choices."
        in response.content.decode()
    )


def test_an_empty_diary_says_how_to_log_the_first_cramp(owner_client):
    response = owner_client.get("/diary/")

    assert "Your diary is empty." in response.content.decode()


# Edit and delete


def test_the_edit_form_shows_the_episode_as_stored(owner_client, owner):
    episode = EpisodeFactory(
        user=owner, duration_seconds=90, locations=["heel", "calf"], notes="sore"
    )

    page = Page(owner_client.get(f"/diary/{episode.pk}/edit/"))

    assert page.by_id("id_duration")["attrs"]["value"] == "1 min 30 s"
    checked = [
        element["attrs"]["value"]
        for element in page.all_with("input", name="locations")
        if "checked" in element["attrs"]
    ]
    assert checked == ["heel", "calf"]
    assert page.text_of("id_notes") == "sore"


def test_the_owner_can_edit_an_episode(owner_client, owner):
    episode = EpisodeFactory(user=owner)

    response = owner_client.post(
        f"/diary/{episode.pk}/edit/", {**VALID, "duration": "1h 5m", "foot": "both"}
    )

    episode.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == f"/diary/{episode.pk}/"
    assert episode.duration_seconds == 3900
    assert episode.foot == "both"
    assert Episode.objects.count() == 1


def test_bad_input_on_edit_changes_nothing(owner_client, owner):
    episode = EpisodeFactory(user=owner, intensity=3)

    response = owner_client.post(f"/diary/{episode.pk}/edit/", {**VALID, "intensity": "11"})

    episode.refresh_from_db()
    assert response.status_code == 200
    assert "Select a valid choice" in Page(response).field_error("intensity")
    assert episode.intensity == 3


def test_delete_asks_for_confirmation_first(owner_client, owner):
    episode = EpisodeFactory(user=owner)

    response = owner_client.get(f"/diary/{episode.pk}/delete/")

    assert response.status_code == 200
    assert "Delete this cramp?" in response.content.decode()
    assert Episode.objects.filter(pk=episode.pk).exists()


def test_delete_removes_the_episode_after_confirmation(owner_client, owner):
    episode = EpisodeFactory(user=owner)
    kept = EpisodeFactory(user=owner)

    response = owner_client.post(f"/diary/{episode.pk}/delete/")

    assert response.status_code == 302
    assert response["Location"] == "/diary/"
    assert list(Episode.objects.all()) == [kept]
