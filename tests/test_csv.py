import csv
import io
import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from diary import csvio
from diary.models import Episode, PendingImport, Profile

from .conftest import BACKEND
from .factories import EpisodeFactory, UserFactory

HEADER = (
    "started_at,duration_seconds,foot,locations,intensity,fluid_ml,activity,triggers,"
    "symptoms,relief,relief_helped,notes"
)
# The export adds the client_id of cramps logged with a tap; a file need not have it.
EXPORT_HEADER = f"{HEADER},client_id"
AUCKLAND = zoneinfo.ZoneInfo("Pacific/Auckland")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Every field a person gives, so a round trip can be compared field by field.
COMPARED_FIELDS = [
    "started_at",
    "time_zone",
    "local_date",
    "local_hour",
    "duration_seconds",
    "foot",
    "locations",
    "intensity",
    "fluid_ml",
    "activity",
    "triggers",
    "symptoms",
    "relief",
    "relief_helped",
    "notes",
]
SHORT_HEADER = "started_at,duration_seconds,foot,locations,intensity"
INJECTIONS = ['=HYPERLINK("http://evil.example","click")', "+1", "-1", "@SUM(A1:A2)", "\tx"]


def export(client, query=""):
    response = client.get(f"/diary/export.csv{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text.removeprefix(csvio.BOM))))


def upload(client, text, name="cramps.csv", encoding="utf-8"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post("/diary/import/", {"file": SimpleUploadedFile(name, data)})


def confirm(client, response):
    return client.post("/diary/import/", {"confirm": "1", "token": response.context["token"]})


def episode_fields(episodes):
    return [{name: getattr(episode, name) for name in COMPARED_FIELDS} for episode in episodes]


def csv_file(*rows, header=HEADER):
    return "\r\n".join([header, *rows]) + "\r\n"


def set_zone(user, name):
    Profile.objects.filter(user=user).update(time_zone=name)


def in_diary(user, started_at, **fields):
    """An episode as the row `<started_at>,90,left,arch,5,,,,,,,` describes it."""
    row = {"duration_seconds": 90, "foot": "left", "locations": ["arch"], "intensity": 5}
    row.update(fluid_ml=None, activity="")
    return EpisodeFactory(user=user, started_at=started_at, **{**row, **fields})


# Who may use them


@pytest.mark.parametrize("url", ["/diary/export.csv", "/diary/import/"])
def test_an_anonymous_visitor_is_sent_to_log_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_an_anonymous_upload_is_sent_to_log_in_and_saves_nothing(client, db):
    response = upload(client, csv_file("2026-01-01T10:00:00+01:00,90,left,arch,5,,,,,,,"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Episode.objects.exists()


def test_a_strangers_export_holds_only_their_own_cramps(stranger_client, owner, stranger):
    EpisodeFactory.create_batch(3, user=owner, notes="the owner's private note")
    EpisodeFactory(user=stranger, notes="mine")

    rows = rows_of(export(stranger_client))

    assert [row["notes"] for row in rows] == ["mine"]


def test_the_owner_exports_their_cramps_and_nobody_elses(owner_client, owner, stranger):
    EpisodeFactory.create_batch(2, user=owner, notes="mine")
    EpisodeFactory(user=stranger, notes="the stranger's private note")

    rows = rows_of(export(owner_client))

    assert [row["notes"] for row in rows] == ["mine", "mine"]


def test_a_stranger_cannot_confirm_the_owners_pending_import(owner_client, owner, stranger):
    preview = upload(owner_client, csv_file("2026-01-01T10:00:00+01:00,90,left,arch,5,,,,,,,"))
    stranger_client = Client()
    stranger_client.force_login(stranger, backend=BACKEND)

    response = confirm(stranger_client, preview)

    assert response.status_code == 302
    assert not Episode.objects.exists()


# Export


def test_the_export_is_a_utf8_csv_attachment_with_a_bom_and_the_exact_header(owner_client, owner):
    EpisodeFactory(user=owner, notes="Krämpfe à minuit")

    response = owner_client.get("/diary/export.csv")
    body = b"".join(response.streaming_content)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"] == f'attachment; filename="cramplog-owner-all-{today}.csv"'
    )
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8")
    assert text.removeprefix("\ufeff").split("\r\n")[0] == EXPORT_HEADER
    assert "Krämpfe à minuit" in text


def test_an_empty_diary_exports_just_the_header(owner_client):
    assert export(owner_client) == f"\ufeff{EXPORT_HEADER}\r\n"


def test_each_cell_is_written_as_the_form_fields_are_named(owner_client, owner):
    EpisodeFactory(
        user=owner,
        started_at=datetime(2026, 3, 1, 9, 5, tzinfo=BERLIN),
        duration_seconds=75,
        foot="both",
        locations=["heel", "toes"],
        intensity=7,
        fluid_ml=None,
        activity="",
        triggers=["cold", "alcohol"],
        symptoms=["woke_me"],
        relief=["stretch", "massage"],
        relief_helped="partly",
        notes='Line one, "quoted"\nline two',
    )

    (row,) = rows_of(export(owner_client))

    assert row == {
        "started_at": "2026-03-01T09:05:00+01:00",
        "duration_seconds": "75",
        "foot": "both",
        "locations": "toes;heel",
        "intensity": "7",
        "fluid_ml": "",
        "activity": "",
        "triggers": "cold;alcohol",
        "symptoms": "woke_me",
        "relief": "stretch;massage",
        "relief_helped": "partly",
        "notes": 'Line one, "quoted"\nline two',
        "client_id": "",
    }


def test_start_times_carry_the_offset_of_each_episodes_own_time_zone(owner_client, owner):
    # 23:30 on the last day of a month: in UTC the Auckland one is still 31 January, the
    # Los Angeles one already 1 February.
    EpisodeFactory(
        user=owner,
        started_at=datetime(2026, 1, 31, 23, 30, tzinfo=AUCKLAND),
        time_zone="Pacific/Auckland",
    )
    EpisodeFactory(
        user=owner,
        started_at=datetime(2026, 1, 31, 23, 30, tzinfo=LOS_ANGELES),
        time_zone="America/Los_Angeles",
    )

    rows = rows_of(export(owner_client))

    assert [row["started_at"] for row in rows] == [
        "2026-01-31T23:30:00+13:00",
        "2026-01-31T23:30:00-08:00",
    ]


def test_the_date_range_is_inclusive_and_uses_each_episodes_local_date(owner_client, owner):
    def log(day, hour, minute, zone):
        EpisodeFactory(
            user=owner,
            started_at=datetime(*day, hour, minute, tzinfo=zone),
            time_zone=zone.key,
            notes=f"{zone.key} {day}",
        )

    log((2026, 1, 31), 23, 30, LOS_ANGELES)  # 1 February in UTC
    log((2026, 2, 1), 0, 30, AUCKLAND)  # 31 January in UTC
    log((2026, 2, 28), 23, 30, LOS_ANGELES)  # 1 March in UTC
    log((2026, 3, 1), 0, 30, AUCKLAND)  # 28 February in UTC

    response = owner_client.get("/diary/export.csv?start=2026-02-01&end=2026-02-28")
    rows = rows_of(b"".join(response.streaming_content).decode())

    assert [row["notes"] for row in rows] == [
        "Pacific/Auckland (2026, 2, 1)",
        "America/Los_Angeles (2026, 2, 28)",
    ]
    assert 'filename="cramplog-owner-2026-02-01-2026-02-28.csv"' in response["Content-Disposition"]


def test_a_single_day_range_exports_that_day(owner_client, owner):
    EpisodeFactory(user=owner, started_at=datetime(2026, 2, 10, 8, 0, tzinfo=BERLIN))
    EpisodeFactory(user=owner, started_at=datetime(2026, 2, 11, 8, 0, tzinfo=BERLIN))

    rows = rows_of(export(owner_client, "?start=2026-02-10&end=2026-02-10"))

    assert [row["started_at"] for row in rows] == ["2026-02-10T08:00:00+01:00"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?start=2026-02-31", "Enter a valid date."),
        ("?start=yesterday&end=2026-01-01", "Enter a valid date."),
        ("?start=2026-03-01&end=2026-02-01", "The end date must be on or after the start date."),
    ],
)
def test_bad_dates_get_a_400_page_that_says_what_is_wrong(owner_client, owner, query, message):
    EpisodeFactory(user=owner)

    response = owner_client.get(f"/diary/export.csv{query}")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()


def test_the_400_page_keeps_only_valid_dates_in_its_date_inputs(owner_client):
    response = owner_client.get("/diary/export.csv?start=2026-02-30&end=2026-03-05")

    content = response.content.decode()
    assert 'value="2026-02-30"' not in content
    assert 'value="2026-03-05"' in content


def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(owner_client, owner):
    for note in [*INJECTIONS, "fine", "'quoted"]:
        EpisodeFactory(user=owner, notes=note)

    notes = sorted(row["notes"] for row in rows_of(export(owner_client)))

    assert notes == sorted([*(f"'{note}" for note in INJECTIONS), "fine", "'quoted"])


@pytest.mark.parametrize("episodes", [5, 50])
def test_the_export_costs_the_same_queries_however_long_the_diary(
    owner_client, owner, django_assert_num_queries, episodes
):
    start = timezone.now() - timedelta(days=episodes)
    for day in range(episodes):
        EpisodeFactory(user=owner, started_at=start + timedelta(days=day))

    # The session, the person with their profile, and one query for every episode.
    with django_assert_num_queries(3):
        text = export(owner_client)

    assert len(rows_of(text)) == episodes


# Round trip


def test_export_then_import_into_another_account_reproduces_every_field(client, owner, stranger):
    now = timezone.now().replace(microsecond=0)
    EpisodeFactory(user=owner, started_at=now - timedelta(days=40, minutes=7))
    EpisodeFactory(
        user=owner,
        started_at=datetime(2026, 3, 31, 23, 30, tzinfo=BERLIN),
        duration_seconds=14 * 24 * 3600,
        foot="both",
        locations=["toes", "ball", "arch", "heel", "top", "ankle", "calf"],
        intensity=0,
        fluid_ml=0,
        activity="other",
        triggers=["intense_exercise", "smoking"],
        symptoms=["numbness_tingling", "woke_me"],
        relief=["none"],
        relief_helped="no",
        notes='Several\nlines, "quotes", commas; semicolons',
    )
    EpisodeFactory(
        user=owner,
        started_at=datetime(2025, 10, 26, 2, 30, fold=1, tzinfo=BERLIN),
        duration_seconds=1,
        intensity=10,
        fluid_ml=15000,
        activity="",
        notes="",
    )
    for hours, note in enumerate([*INJECTIONS, "'quoted", "''=2"], start=1):
        EpisodeFactory(user=owner, started_at=now - timedelta(hours=hours), notes=note)
    client.force_login(owner, backend=BACKEND)
    text = export(client)

    client.force_login(stranger, backend=BACKEND)
    preview = upload(client, text)
    response = confirm(client, preview)

    assert response.status_code == 302
    ordered = ["started_at", "pk"]
    theirs = Episode.objects.filter(user=stranger).order_by(*ordered)
    assert episode_fields(theirs) == episode_fields(
        Episode.objects.filter(user=owner).order_by(*ordered)
    )
    assert theirs.count() == 10


def test_an_episode_from_another_time_zone_keeps_its_moment_and_local_day(client, owner, stranger):
    EpisodeFactory(
        user=owner,
        started_at=datetime(2026, 1, 31, 23, 30, tzinfo=AUCKLAND),
        time_zone="Pacific/Auckland",
    )
    client.force_login(owner, backend=BACKEND)
    text = export(client)

    client.force_login(stranger, backend=BACKEND)
    confirm(client, upload(client, text))

    episode = Episode.objects.get(user=stranger)
    assert episode.started_at == datetime(2026, 1, 31, 23, 30, tzinfo=AUCKLAND)
    assert (episode.local_date, episode.local_hour) == (date(2026, 1, 31), 23)
    assert episode.time_zone == "Etc/GMT-13"


@given(st.text())
def test_neutralising_a_cell_and_restoring_it_gives_back_the_same_text(text):
    assert csvio.restore(csvio.neutralise(text)) == text
    assert not csvio.neutralise(text).startswith(csvio.FORMULA_STARTS)


# Import


def test_the_import_page_explains_the_columns(owner_client):
    response = owner_client.get("/diary/import/")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content
    assert "Europe/Berlin" in content
    for column in csvio.COLUMNS:
        assert f"<code>{column}</code>" in content


def test_the_diary_and_the_profile_link_to_export_and_import(owner_client):
    for url in ["/diary/", "/accounts/profile/"]:
        content = owner_client.get(url).content.decode()
        assert 'href="/diary/export.csv"' in content
        assert 'href="/diary/import/"' in content


def test_a_preview_counts_what_will_be_added_and_saves_nothing(owner_client, owner):
    response = upload(
        owner_client,
        csv_file(
            "2026-01-05T22:10:00+01:00,90,left,arch,5,1200,sleeping,cold,woke_me,stretch,yes,",
            "2026-01-06T07:00:00+01:00,30,right,heel;toes,3,,,,,,,Morning",
        ),
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "<strong>2</strong> cramps will be added." in content
    assert "<strong>0</strong> duplicates skipped" in content
    assert "<strong>0</strong> rows have errors." in content
    assert "Import 2 cramps" in content
    assert "Mon 5 Jan 2026, 22:10" in content
    assert not Episode.objects.exists()


def test_confirming_imports_every_row_and_says_how_many(owner_client, owner):
    preview = upload(
        owner_client,
        csv_file(
            "2026-01-05T22:10:00+01:00,90,left,arch,5,1200,sleeping,cold,woke_me,stretch,yes,",
            "2026-01-06T07:00:00+01:00,30,right,heel;toes,3,,,,,,,Morning",
        ),
    )

    response = confirm(owner_client, preview)

    assert response.status_code == 302
    assert response["Location"] == "/diary/"
    assert "Imported 2 cramps." in owner_client.get("/diary/").content.decode()
    first, second = Episode.objects.filter(user=owner).order_by("started_at")
    assert first.started_at == datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN)
    assert (first.local_date, first.local_hour) == (date(2026, 1, 5), 22)
    assert (first.fluid_ml, first.activity, first.triggers) == (1200, "sleeping", ["cold"])
    assert (first.relief, first.relief_helped) == (["stretch"], "yes")
    assert (second.locations, second.fluid_ml, second.notes) == (["toes", "heel"], None, "Morning")


def test_confirming_twice_imports_once(owner_client, owner):
    preview = upload(owner_client, csv_file("2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,"))

    confirm(owner_client, preview)
    again = confirm(owner_client, preview)

    assert again.status_code == 302
    assert Episode.objects.filter(user=owner).count() == 1


def test_a_second_confirmation_that_finds_its_rows_already_imported_adds_nothing(
    owner_client, owner
):
    # As when the diary gained the same cramps since the preview: the duplicate check runs
    # again inside the transaction.
    row = "2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,"
    preview = upload(owner_client, csv_file(row))
    in_diary(owner, datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN))

    confirm(owner_client, preview)

    assert Episode.objects.filter(user=owner).count() == 1
    assert "Imported 0 cramps." in owner_client.get("/diary/").content.decode()


def test_only_the_latest_preview_can_be_confirmed(owner_client, owner):
    first = upload(owner_client, csv_file("2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,"))
    upload(owner_client, csv_file("2026-01-07T22:10:00+01:00,90,left,arch,5,,,,,,,"))

    confirm(owner_client, first)

    assert not Episode.objects.exists()


def test_duplicates_of_the_diary_and_within_the_file_are_skipped(owner_client, owner):
    in_diary(owner, datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN), notes="already in the diary")
    preview = upload(
        owner_client,
        csv_file(
            "2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,already in the diary",
            "2026-01-05T21:10:00Z,90,left,arch,5,,,,,,,already in the diary",
            "2026-01-06T07:00:00+01:00,30,right,heel,3,,,,,,,new",
            "2026-01-06 07:00,30,right,heel,3,,,,,,,new",
            "2026-01-07T07:00:00+01:00,30,right,heel,3,,,,,,,new too",
        ),
    )

    content = preview.content.decode()
    assert "<strong>2</strong> cramps will be added." in content
    assert "<strong>3</strong> duplicates skipped" in content
    confirm(owner_client, preview)
    notes = sorted(Episode.objects.filter(user=owner).values_list("notes", flat=True))
    assert notes == ["already in the diary", "new", "new too"]


def test_two_different_cramps_in_the_same_minute_are_two_cramps(owner_client, owner):
    in_diary(owner, datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN))
    preview = upload(
        owner_client,
        csv_file(
            "2026-01-05T22:10:00+01:00,90,right,arch,5,,,,,,,",
            "2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,the other foot was first",
            "2026-01-05T22:10:00+01:00,,left,toes,,,,,,,,",
            "2026-01-05T22:10:00+01:00,,left,toes,7,,,,,,,",
        ),
    )

    assert "<strong>4</strong> cramps will be added." in preview.content.decode()
    confirm(owner_client, preview)
    assert Episode.objects.filter(user=owner).count() == 5


def test_a_row_with_the_client_id_of_a_cramp_in_the_diary_is_that_cramp(owner_client, owner):
    tapped = in_diary(
        owner,
        datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN),
        client_id=uuid.UUID("0b5c9c1e-6a43-4f43-9a8a-3f0f7c7d2b11"),
    )
    preview = upload(
        owner_client,
        csv_file(
            # Edited in a spreadsheet since the export: still the same cramp.
            "2026-01-05T22:12:00+01:00,120,left,arch,6,,,,,,,longer than I thought,"
            f"{tapped.client_id}",
            "2026-01-08T07:00:00+01:00,,right,heel,,,,,,,,,9d3f9a66-3b55-4b1e-a0f1-5f2cbb0bd5a8",
            "2026-01-09T07:00:00+01:00,,right,heel,,,,,,,,,9d3f9a66-3b55-4b1e-a0f1-5f2cbb0bd5a8",
            header=EXPORT_HEADER,
        ),
    )

    content = preview.content.decode()
    assert "<strong>1</strong> cramp will be added." in content
    assert "<strong>2</strong> duplicates skipped" in content
    confirm(owner_client, preview)
    added = Episode.objects.get(user=owner, local_date=date(2026, 1, 8))
    assert added.client_id == uuid.UUID("9d3f9a66-3b55-4b1e-a0f1-5f2cbb0bd5a8")
    assert (added.duration_seconds, added.intensity) == (None, None)
    assert Episode.objects.get(pk=tapped.pk).notes == ""


def test_a_client_id_that_is_not_one_is_refused(owner_client):
    response = upload(
        owner_client,
        csv_file("2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,,tap-1", header=EXPORT_HEADER),
    )

    assert response.context["result"].errors == [
        (
            2,
            "client_id",
            "“tap-1” is not a client_id as cramplog writes them. Leave the cell empty.",
        )
    ]


def test_a_cramp_logged_without_length_or_pain_exports_them_empty_and_imports_back(
    owner_client, owner, stranger
):
    in_diary(
        owner, datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN), duration_seconds=None, intensity=None
    )
    exported = export(owner_client)
    (row,) = rows_of(exported)
    assert (row["duration_seconds"], row["intensity"]) == ("", "")

    stranger_client = Client()
    stranger_client.force_login(stranger, backend=BACKEND)
    confirm(stranger_client, upload(stranger_client, exported.removeprefix(csvio.BOM)))

    episode = Episode.objects.get(user=stranger)
    assert (episode.duration_seconds, episode.intensity) == (None, None)


def test_a_file_of_only_duplicates_offers_nothing_to_import(owner_client, owner):
    in_diary(owner, datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN))

    response = upload(owner_client, csv_file("2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,"))

    assert "already in your diary, so there is nothing to add" in response.content.decode()
    assert response.context["token"] is None


def test_bad_rows_are_listed_by_line_and_column_and_nothing_can_be_imported(owner_client, owner):
    future = (timezone.now() + timedelta(days=2)).isoformat()
    response = upload(
        owner_client,
        csv_file(
            "2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,fine",
            "2026-01-05T23:10:00+01:00,0,left,arch,11,,,,,,,",
            f"{future},90,middle,arch;knee,5,99999,dancing,cold,,,maybe,",
            '2026-01-06T07:00:00+01:00,90,left,arch,5,,,,,,,"a note\nover two lines"',
            "2026-02-30T07:00:00,1209601,left,,-1,1.5,,,,,,",
            "2026-01-07T07:00:00+01:00,90,left,arch",
            "2026-01-08T07:00:00+01:00,90,left,arch,5,,,,,,," + "x" * 2001,
        ),
    )

    assert response.status_code == 200
    errors = response.context["result"].errors
    by_line = {}
    for line, column, _message in errors:
        by_line.setdefault(line, []).append(column)
    assert by_line == {
        3: ["duration_seconds", "intensity"],
        4: ["started_at", "foot", "locations", "fluid_ml", "activity", "relief_helped"],
        6: ["started_at", "duration_seconds", "locations", "intensity", "fluid_ml"],
        7: [""],
        8: ["notes"],
    }
    content = response.content.decode()
    assert "<strong>5</strong> rows have errors." in content
    assert "Nothing can be imported until every row is right" in content
    assert "A cramp cannot start in the future" in content
    assert "“knee” is not one of" in content
    assert 'name="confirm"' not in content
    assert response.context["token"] is None
    assert not Episode.objects.exists()
    assert not PendingImport.objects.exists()


def test_a_confirmation_after_a_preview_with_errors_imports_nothing(owner_client, owner):
    upload(owner_client, csv_file("2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,"))
    upload(owner_client, csv_file("2026-01-05T22:10:00+01:00,90,left,arch,55,,,,,,,"))

    owner_client.post("/diary/import/", {"confirm": "1", "token": ""})

    assert not Episode.objects.exists()


def test_columns_may_come_in_any_order_and_the_optional_ones_may_be_left_out(owner_client, owner):
    text = csv_file(
        "arch,3,right,2026-01-05T22:10:00,120",
        header="Locations,intensity,foot,started_at,duration_seconds",
    )

    confirm(owner_client, upload(owner_client, "\ufeff" + text))

    episode = Episode.objects.get(user=owner)
    assert (episode.locations, episode.intensity, episode.foot) == (["arch"], 3, "right")
    assert (episode.fluid_ml, episode.notes, episode.relief) == (None, "", [])


@pytest.mark.parametrize("bom", ["", "\ufeff"])
def test_a_time_without_an_offset_means_the_profiles_time_zone(owner_client, owner, bom):
    set_zone(owner, "Pacific/Auckland")

    confirm(
        owner_client,
        upload(
            owner_client, bom + csv_file("2026-01-31T23:30,90,left,arch,5", header=SHORT_HEADER)
        ),
    )

    episode = Episode.objects.get(user=owner)
    assert episode.started_at == datetime(2026, 1, 31, 23, 30, tzinfo=AUCKLAND)
    assert episode.time_zone == "Pacific/Auckland"
    assert episode.local_date == date(2026, 1, 31)


def test_a_time_that_the_clocks_skipped_is_refused(owner_client, owner):
    response = upload(
        owner_client, csv_file("2026-03-29T02:30,90,left,arch,5", header=SHORT_HEADER)
    )

    ((line, column, message),) = response.context["result"].errors
    assert (line, column) == (2, "started_at")
    assert "clocks" in message


def test_a_time_in_the_hour_that_repeats_takes_the_first_as_the_form_does(owner_client, owner):
    text = csv_file("2026-10-25T02:30,90,left,arch,5", header=SHORT_HEADER)

    confirm(owner_client, upload(owner_client, text))

    episode = Episode.objects.get(user=owner)
    assert episode.started_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_too_many_rows_file_is_refused_before_anything_is_checked(owner_client, owner):
    start = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [
        f"{(start + timedelta(hours=n)).isoformat()},90,left,arch,5"
        for n in range(csvio.MAX_ROWS + 1)
    ]

    response = upload(owner_client, csv_file(*rows, header=SHORT_HEADER))

    assert response.status_code == 200
    assert "more than 5,000 cramps" in response.content.decode()
    assert not PendingImport.objects.exists()


def test_a_file_of_exactly_the_row_cap_can_be_imported(owner_client, owner):
    start = datetime(2010, 1, 1, tzinfo=UTC)
    rows = [
        f"{(start + timedelta(hours=n)).isoformat()},90,left,arch,5" for n in range(csvio.MAX_ROWS)
    ]

    confirm(owner_client, upload(owner_client, csv_file(*rows, header=SHORT_HEADER)))

    assert Episode.objects.filter(user=owner).count() == csvio.MAX_ROWS


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("garbage.csv", bytes(range(256)) * 4, "This is not a CSV text file."),
        (
            "latin1.csv",
            csv_file("2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,Crampe à minuit").encode(
                "latin-1"
            ),
            "not saved as UTF-8",
        ),
        ("empty.csv", b"", "The submitted file is empty."),
        ("blank.csv", b"\r\n\r\n", "The file is empty."),
        ("header.csv", HEADER.encode(), "The file has a header but no cramps below it."),
        (
            "cramps.txt",
            csv_file("2026-01-05T22:10:00,90,left,arch,5", header=SHORT_HEADER).encode(),
            "Choose a .csv",
        ),
        ("big.csv", b"x" * (5 * 1024 * 1024 + 1), "larger than 5 MB"),
        ("extra.csv", csv_file("1,2,3", header="started_at,mood,foot").encode(), "“mood”"),
        (
            "missing.csv",
            csv_file("2026-01-05T22:10:00,left", header="started_at,foot").encode(),
            "missing from the first line: duration_seconds, locations, intensity",
        ),
        ("twice.csv", csv_file("1,2", header="notes,Notes").encode(), "appear twice: notes"),
        (
            "no-header.csv",
            csv_file(header="2026-01-05T22:10:00,90,left,arch,5").encode(),
            "We do not know",
        ),
        ("semicolons.csv", HEADER.replace(",", ";").encode(), "separated by semicolons"),
        ("unnamed.csv", (HEADER + ",").encode(), "Column 13 of the first line has no name"),
    ],
)
def test_a_file_that_cannot_be_used_gets_a_clear_message_and_saves_nothing(
    owner_client, owner, name, data, message
):
    response = upload(owner_client, data, name=name)

    assert response.status_code == 200
    assert message in response.context["form"].errors["file"][0]
    assert message.replace("“", "&ldquo;") in response.content.decode() or (
        message in response.content.decode()
    )
    assert not Episode.objects.exists()


def test_posting_without_a_file_asks_for_one(owner_client):
    response = owner_client.post("/diary/import/", {})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["This field is required."]


def test_a_row_with_a_nul_character_is_refused(owner_client, owner):
    text = csv_file("2026-01-05T22:10:00,90,left,arch,5,,,,,,,a\x00b")

    response = upload(owner_client, text)

    assert "This is not a CSV text file." in response.context["form"].errors["file"][0]


def test_the_preview_page_for_a_big_file_shows_the_first_hundred_rows(owner_client, owner):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [f"{(start + timedelta(hours=n)).isoformat()},90,left,arch,5" for n in range(150)]

    response = upload(owner_client, csv_file(*rows, header=SHORT_HEADER))

    assert len(response.context["preview"]) == 100
    assert "the first 100 of 150" in response.content.decode()


def test_importing_into_a_profile_in_another_zone_uses_a_fixed_offset_zone(owner_client, owner):
    set_zone(owner, "Europe/Berlin")

    confirm(
        owner_client,
        upload(
            owner_client, csv_file("2026-01-05T22:10:00+05:30,9,left,arch,5", header=SHORT_HEADER)
        ),
    )

    episode = Episode.objects.get(user=owner)
    local = episode.started_at.astimezone(zoneinfo.ZoneInfo(episode.time_zone))
    assert local.isoformat() == "2026-01-05T22:10:00+05:30"
    assert (episode.local_date, episode.local_hour) == (date(2026, 1, 5), 22)


def test_a_whole_hour_offset_from_elsewhere_keeps_its_local_hour(owner_client, owner):
    confirm(
        owner_client,
        upload(
            owner_client, csv_file("2026-01-05T23:10:00-05:00,9,left,arch,5", header=SHORT_HEADER)
        ),
    )

    episode = Episode.objects.get(user=owner)
    assert episode.time_zone == "Etc/GMT+5"
    assert (episode.local_date, episode.local_hour) == (date(2026, 1, 5), 23)


def test_another_persons_upload_is_not_checked_against_the_owners_diary(
    stranger_client, owner, stranger
):
    EpisodeFactory(user=owner, started_at=datetime(2026, 1, 5, 22, 10, tzinfo=BERLIN))
    UserFactory(username="bystander")

    response = upload(stranger_client, csv_file("2026-01-05T22:10:00+01:00,90,left,arch,5,,,,,,,"))

    assert "<strong>1</strong> cramp will be added." in response.content.decode()
