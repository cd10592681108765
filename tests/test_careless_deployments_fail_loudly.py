"""What a deployment gets without being told: a loud deploy check, private files, a body cap,
browser features turned off, and an access log without health details."""

import io
import os
import re
import sqlite3
import stat
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from diary.models import Episode

from .factories import PASSWORD, EpisodeFactory
from .test_security import BASE_DIR, production_env
from .test_settings import run_python

sqlite_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="checks the SQLite default database"
)


def deploy_check(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_fails_when_reset_mail_would_go_to_the_log(tmp_path):
    env = production_env(tmp_path)
    del env["EMAIL_HOST"]

    result = deploy_check(env)

    assert result.returncode == 1
    assert "cramplog.E001" in result.stderr
    assert "Set EMAIL_HOST" in result.stderr


def test_the_deploy_check_passes_with_an_smtp_server(tmp_path):
    result = deploy_check(production_env(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "cramplog.E001" not in result.stdout + result.stderr


def test_the_deploy_check_warns_when_reminders_would_link_to_this_machine(tmp_path):
    env = production_env(tmp_path)
    del env["CRAMPLOG_BASE_URL"]

    result = deploy_check(env)

    assert "cramplog.W001" in result.stderr
    assert "Set CRAMPLOG_BASE_URL" in result.stderr


@pytest.mark.parametrize("value", ["example.org", "ftp://example.org", "https://x.org/?a=1"])
def test_a_base_url_that_is_not_an_address_stops_the_app(tmp_path, value):
    result = deploy_check(production_env(tmp_path, CRAMPLOG_BASE_URL=value))

    assert result.returncode == 1
    assert f"CRAMPLOG_BASE_URL={value!r}" in result.stderr


# Files


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


PRINT_MODES = """
import os, pathlib, stat
os.umask(0o022)
from django import setup
setup()
from django.db import connection
with connection.cursor() as cursor:
    # Written while open, so that SQLite has made its -wal and -shm files.
    cursor.execute("CREATE TABLE t (x integer)")
    cursor.execute("INSERT INTO t VALUES (1)")
    var = pathlib.Path(connection.settings_dict["NAME"]).parent
    for name in ["", "db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"]:
        print((var / name).name, oct(stat.S_IMODE((var / name).stat().st_mode)))
"""


@sqlite_only
def test_var_the_database_and_its_wal_and_shm_files_are_the_owners_alone(tmp_path):
    output = run_python(PRINT_MODES, tmp_path)

    assert output.split() == [
        "var", "0o700", "db.sqlite3", "0o600", "db.sqlite3-wal", "0o600", "db.sqlite3-shm", "0o600",
    ]  # fmt: skip
    assert mode(tmp_path / "var" / "secret_key") == 0o600


@sqlite_only
def test_a_database_left_readable_by_an_older_version_is_closed_up(tmp_path):
    var = tmp_path / "var"
    var.mkdir()
    (var / "db.sqlite3").touch(mode=0o644)

    run_python("import django; django.setup()", tmp_path)

    assert mode(var / "db.sqlite3") == 0o600


DELETE_IN_A_FILE_DATABASE = """
from django import setup
setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.utils import timezone
from diary.models import Episode, Profile

user = get_user_model().objects.create_user("doomed", password={password!r})
Profile.objects.create(user=user)
for n in range(50):
    Episode.objects.create(
        user=user, started_at=timezone.now(), time_zone="UTC", duration_seconds=60, foot="left",
        locations=["arch"], intensity=3, notes=f"{note} {{n}}",
    )
wal = connection.settings_dict["NAME"].with_name("db.sqlite3-wal")
print("before", {note!r}.encode() in wal.read_bytes())
client = Client()
client.force_login(user)
client.post("/accounts/delete/", {{"password": {password!r}}})
print("after", wal.stat().st_size)
"""


@sqlite_only
def test_deleting_an_account_leaves_no_copy_of_its_notes_in_the_wal_or_the_database(tmp_path):
    note = "ankle-secret-5c1e"

    output = run_python(
        DELETE_IN_A_FILE_DATABASE.format(password=PASSWORD, note=note),
        tmp_path,
        DJANGO_ALLOWED_HOSTS="testserver",
    )

    assert output.split()[-4:] == ["before", "True", "after", "0"]
    database = tmp_path / "var" / "db.sqlite3"
    assert note.encode() not in database.read_bytes()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM diary_episode").fetchone() == (0,)


# Headers and bodies


@pytest.mark.parametrize("path", ["/", "/healthz", "/static/css/app.css", "/accounts/login/"])
def test_every_response_denies_the_browser_features_the_site_never_uses(client, db, path):
    response = client.get(path)

    policy = dict(item.strip().split("=") for item in response["Permissions-Policy"].split(","))
    for feature in ["camera", "microphone", "geolocation", "payment", "usb"]:
        assert policy[feature] == "()", feature
    assert "publickey-credentials-get" not in policy


def test_the_owners_pages_deny_the_features_too(owner_client):
    assert "camera=()" in owner_client.get("/diary/")["Permissions-Policy"]


class UnreadBody(io.RawIOBase):
    """A 50 MB request body that records how much of it was read."""

    size = 50 * 1024 * 1024

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        count = min(len(buffer), self.size - self.read_bytes)
        buffer[:count] = b"x" * count
        self.read_bytes += count
        return count


def test_an_anonymous_50_mb_upload_is_refused_with_413_before_any_of_it_is_read(
    db, settings, tmp_path
):
    # Were the body parsed, the file would go to a temporary folder that does not exist.
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "missing")
    body = UnreadBody()
    client = Client(enforce_csrf_checks=True)

    response = client.generic(
        "POST",
        "/diary/import/",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )

    assert response.status_code == 413
    assert body.read_bytes == 0
    assert "That was too large to send" in response.content.decode()
    assert "at most 6 MB" in response.content.decode()
    assert "Content-Security-Policy" in response


def test_a_signed_in_upload_over_the_cap_is_refused_and_saves_nothing(owner_client):
    body = UnreadBody()

    response = owner_client.generic(
        "POST",
        "/diary/import/",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(body.size),
        **{"wsgi.input": body},
    )

    assert response.status_code == 413
    assert body.read_bytes == 0
    assert not Episode.objects.exists()


def test_uploads_under_the_cap_stay_in_memory():
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == settings.REQUEST_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.REQUEST_MAX_BYTES
    assert settings.REQUEST_MAX_BYTES == 6 * 1024 * 1024


def test_a_note_with_a_semicolon_formula_exports_with_no_part_starting_a_formula(
    owner_client, owner
):
    EpisodeFactory(user=owner, notes="a;=1+1;+2;-3;@SUM(A1);\tx;\ry")

    response = owner_client.get("/diary/export.csv")
    text = b"".join(response.streaming_content).decode()

    # A spreadsheet that separates columns with semicolons splits each line at every ";".
    assert "a;'=1+1;'+2;'-3;'@SUM(A1);'\tx;'\ry" in text
    fields = re.split("[;\n]", text)
    assert not [field for field in fields if field.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_djangos_own_request_log_names_the_path_without_its_query(client, db, log_output):
    response = client.get("/knowledge/no-such-page/?q=statin+pregnant")

    assert response.status_code == 404
    logged = log_output.getvalue()
    assert "Not Found: /knowledge/no-such-page/" in logged
    assert "statin" not in logged
