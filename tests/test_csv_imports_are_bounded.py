"""The CSV import's pending rows wait in a bounded table, not the session, and finding a zone
for an offset looks only at the zones that ever had it."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.utils import timezone

from diary import csvio
from diary.models import Episode, PendingImport

from .factories import UserFactory
from .test_csv import SHORT_HEADER, confirm, csv_file, upload

ROW = "2026-01-05T22:10:00+01:00,90,left,arch,5"


def test_a_preview_keeps_its_rows_in_the_pending_table_and_not_in_the_session(owner_client, owner):
    response = upload(owner_client, csv_file(ROW, header=SHORT_HEADER))

    pending = PendingImport.objects.get(user=owner)
    assert pending.token == response.context["token"]
    assert len(pending.rows) == 1
    assert pending.rows[0][0] == "2026-01-05T22:10:00+01:00"
    assert not [key for key, _ in owner_client.session.items() if "import" in key]
    assert not Episode.objects.exists()


def test_confirming_imports_the_rows_and_removes_them(owner_client, owner):
    confirm(owner_client, upload(owner_client, csv_file(ROW, header=SHORT_HEADER)))

    assert Episode.objects.filter(user=owner).count() == 1
    assert not PendingImport.objects.exists()


def test_cancelling_removes_the_waiting_rows(owner_client, owner):
    preview = upload(owner_client, csv_file(ROW, header=SHORT_HEADER))

    owner_client.get("/diary/import/")

    assert not PendingImport.objects.exists()
    assert confirm(owner_client, preview).status_code == 302
    assert not Episode.objects.exists()


def test_each_person_has_at_most_one_import_waiting(owner_client, owner):
    upload(owner_client, csv_file(ROW, header=SHORT_HEADER))
    second = upload(
        owner_client, csv_file("2026-01-07T22:10:00+01:00,90,left,arch,5", header=SHORT_HEADER)
    )

    assert list(PendingImport.objects.values_list("token", flat=True)) == [second.context["token"]]


def test_rows_waiting_longer_than_a_day_cannot_be_confirmed(owner_client, owner):
    preview = upload(owner_client, csv_file(ROW, header=SHORT_HEADER))
    PendingImport.objects.update(created_at=timezone.now() - timedelta(days=1, minutes=1))

    response = confirm(owner_client, preview)

    assert response.status_code == 302
    assert not Episode.objects.exists()
    assert "Nothing is waiting to be imported" in owner_client.get("/diary/").content.decode()


def test_anyones_day_old_rows_are_deleted_when_an_import_starts(client, owner, db):
    someone = UserFactory(username="someone")
    PendingImport.objects.create(
        user=someone, token="old", rows=[], created_at=timezone.now() - timedelta(days=2)
    )
    PendingImport.objects.create(user=UserFactory(username="recent"), token="new", rows=[])
    client.force_login(owner)

    client.get("/diary/import/")

    assert list(PendingImport.objects.values_list("token", flat=True)) == ["new"]


def test_deleting_the_account_deletes_its_waiting_rows(owner_client, owner):
    upload(owner_client, csv_file(ROW, header=SHORT_HEADER))

    owner_client.post("/accounts/delete/", {"password": "correct horse battery staple"})

    assert not PendingImport.objects.exists()


# Time zones for offsets


def test_the_offsets_of_a_zone_file_are_read_exactly():
    kolkata = Path("/usr/share/zoneinfo/Asia/Kolkata")
    data = kolkata.read_bytes() if kolkata.exists() else csvio.zone_file("Asia/Kolkata")

    offsets = csvio.tzif_offsets(data)

    assert 5 * 3600 + 30 * 60 in offsets
    assert 6 * 3600 + 30 * 60 in offsets  # war time, 1942-1945


def test_every_offset_a_zone_has_is_in_the_index_under_that_zone():
    index = csvio.zones_by_offset()
    checked = 0
    for name in ["Asia/Kolkata", "Europe/Amsterdam", "Australia/Adelaide", "America/St_Johns"]:
        zone = zoneinfo.ZoneInfo(name)
        for year in range(1900, 2030, 7):
            offset = datetime(year, 7, 1, tzinfo=UTC).astimezone(zone).utcoffset()
            assert zone in index[int(offset.total_seconds())], (name, year)
            checked += 1
    assert checked == 76


def test_a_half_hour_offset_finds_a_zone_that_had_it_then():
    started_at = datetime(2026, 1, 5, 22, 10, tzinfo=zoneinfo.ZoneInfo("Asia/Kolkata"))

    key = csvio.zone_for(started_at, zoneinfo.ZoneInfo("Europe/Berlin"))

    assert started_at.astimezone(zoneinfo.ZoneInfo(key)).utcoffset() == timedelta(hours=5.5)


def test_an_offset_from_the_amsterdam_of_1930_is_still_found():
    started_at = datetime.fromisoformat("1930-01-15T12:00:00+00:19:32")

    assert csvio.zone_for(started_at, zoneinfo.ZoneInfo("UTC")) == "Europe/Amsterdam"


def test_rows_whose_offsets_no_zone_ever_had_are_refused_row_by_row(owner_client, owner):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = [
        f"{(start + timedelta(hours=n)).isoformat().replace('+00:00', f'+03:{17 + n % 13}')}"
        ",90,left,arch,5"
        for n in range(300)
    ]

    response = upload(owner_client, csv_file(*rows, header=SHORT_HEADER))

    assert response.status_code == 200
    assert len(response.context["result"].errors) == 300
    assert "No time zone had the offset" in response.context["result"].errors[0][2]
    assert not PendingImport.objects.exists()
