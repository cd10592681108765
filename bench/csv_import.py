"""Time a 5,000-row CSV import, preview and confirmation, for several kinds of file.

Runs the real views through Django's test client on a throw-away SQLite database, in this
process, so it measures the import's own work and not the network. Issue 16 asks for under
2 s for any kind of file; `measure()` returns the rows for bench/run.py's table.

    .venv/bin/python bench/csv_import.py [--rows 5000]
"""

import argparse
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
HEADER = "started_at,duration_seconds,foot,locations,intensity,notes"
TOKEN = re.compile(r'name="token" value="([^"]+)"')
REFUSED = re.compile(r"<strong>(\d+)</strong> rows? ha(?:s|ve) errors")


def offsets(kind, n):
    """The UTC offset written on row n of a file of this kind."""
    return {
        "profile's own zone (+01:00, Berlin in winter)": "+01:00",
        "whole hours from elsewhere (-05:00)": "-05:00",
        "a real half-hour zone (+05:30)": "+05:30",
        "an offset no zone had (+03:17), every row": "+03:17",
        # Each row another offset no zone had: nothing can be remembered from row to row.
        "a different offset no zone had on each row": f"+03:{17 + n % 13}:{n % 60:02d}",
    }[kind]


KINDS = [
    "profile's own zone (+01:00, Berlin in winter)",
    "whole hours from elsewhere (-05:00)",
    "a real half-hour zone (+05:30)",
    "an offset no zone had (+03:17), every row",
    "a different offset no zone had on each row",
]


def csv_file(kind, rows):
    start = datetime(2012, 1, 1, tzinfo=UTC)
    lines = [HEADER]
    for n in range(rows):
        local = (start + timedelta(hours=7 * n)).replace(tzinfo=None).isoformat()
        lines.append(f"{local}{offsets(kind, n)},90,left,arch;heel,5,note {n}")
    return ("\r\n".join(lines) + "\r\n").encode()


def measure(rows=5000):
    """[(kind, rows, preview, confirm or None, rows refused)] per kind.

    Preview and confirm are (wall-clock seconds, CPU seconds): on a busy machine the CPU time
    is the steadier figure of the work done.
    """
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client

    from diary.models import Episode, Profile

    call_command("migrate", verbosity=0)
    results = []
    for number, kind in enumerate(KINDS):
        user = get_user_model().objects.create_user(f"importer{number}")
        Profile.objects.create(user=user, time_zone="Europe/Berlin")
        client = Client()
        client.force_login(user)
        upload = SimpleUploadedFile("cramps.csv", csv_file(kind, rows))
        began, cpu = time.perf_counter(), time.process_time()
        preview = client.post("/diary/import/", {"file": upload})
        previewed = (time.perf_counter() - began, time.process_time() - cpu)
        if preview.status_code != 200:
            raise RuntimeError(f"the preview answered {preview.status_code}")
        page = preview.content.decode()
        confirmed = None
        token = TOKEN.search(page)
        if token:
            began, cpu = time.perf_counter(), time.process_time()
            client.post("/diary/import/", {"confirm": "1", "token": token[1]})
            confirmed = (time.perf_counter() - began, time.process_time() - cpu)
            if Episode.objects.filter(user=user).count() != rows:
                raise RuntimeError(f"{kind}: not every row was imported")
        refused = int(REFUSED.search(page)[1])
        results.append((kind, rows, previewed, confirmed, refused))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as var_dir:
        os.environ.update(
            CRAMPLOG_VAR_DIR=var_dir,
            DJANGO_SETTINGS_MODULE="cramplog.settings",
            DJANGO_ALLOWED_HOSTS="testserver",
            DJANGO_LOG_LEVEL="ERROR",
        )
        sys.path.insert(0, str(BASE_DIR))
        import django
        from django.conf import settings

        django.setup()
        # Pages render without collectstatic's manifest; the import is what is measured.
        settings.STORAGES = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        print("| File | Rows | Preview, s (CPU s) | Confirm, s (CPU s) | Rows refused |")
        print("|---|---:|---:|---:|---:|")
        for kind, rows, previewed, confirmed, refused in measure(args.rows):
            preview = "{:.2f} ({:.2f})".format(*previewed)
            confirm = "—" if confirmed is None else "{:.2f} ({:.2f})".format(*confirmed)
            print(f"| {kind} | {rows:,} | {preview} | {confirm} | {refused:,} |")


if __name__ == "__main__":
    main()
