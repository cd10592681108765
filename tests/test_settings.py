"""The settings module, read fresh in a subprocess with a clean environment each time.

Django's test runner forces DEBUG off and swaps the database for a test one, so the real
logic is only visible from a new interpreter.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "USE_TZ": settings.USE_TZ,
    "ENGINE": db["ENGINE"],
    "NAME": str(db["NAME"]),
    "HOST": db.get("HOST", ""),
    "OPTIONS": db.get("OPTIONS", {}),
}))
"""


def python(code, tmp_path, **env):
    clean = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "cramplog.settings",
        "CRAMPLOG_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_python(code, tmp_path, **env):
    result = python(code, tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def read_settings(tmp_path, **env):
    return json.loads(run_python(PRINT_SETTINGS, tmp_path, **env).splitlines()[-1])


def test_debug_is_off_unless_asked_for(tmp_path):
    assert read_settings(tmp_path)["DEBUG"] is False
    assert read_settings(tmp_path, DJANGO_DEBUG="0")["DEBUG"] is False
    assert read_settings(tmp_path, DJANGO_DEBUG="")["DEBUG"] is False
    assert read_settings(tmp_path, DJANGO_DEBUG="1")["DEBUG"] is True
    assert read_settings(tmp_path, DJANGO_DEBUG="true")["DEBUG"] is True


def test_time_zone_support_is_on(tmp_path):
    assert read_settings(tmp_path)["USE_TZ"] is True
    assert settings.USE_TZ is True


def test_the_default_database_is_sqlite_under_var_with_wal_immediate_and_a_20s_timeout(tmp_path):
    db = read_settings(tmp_path)

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "var" / "db.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] == 20
    assert "journal_mode=WAL" in db["OPTIONS"]["init_command"]


def test_a_postgres_url_switches_to_postgresql(tmp_path):
    db = read_settings(tmp_path, DATABASE_URL="postgres://cramp:secret@db.example:5432/cramplog")

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert db["NAME"] == "cramplog"
    assert db["HOST"] == "db.example"


def test_a_secret_key_is_made_on_first_run_and_kept(tmp_path):
    first = read_settings(tmp_path)["SECRET_KEY"]
    second = read_settings(tmp_path)["SECRET_KEY"]

    key_file = tmp_path / "var" / "secret_key"
    assert len(first) >= 50
    assert first == second == key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o077 == 0


def test_the_secret_key_and_hosts_come_from_the_environment_when_set(tmp_path):
    values = read_settings(
        tmp_path,
        DJANGO_SECRET_KEY="from-the-environment",
        DJANGO_ALLOWED_HOSTS="a.example, b.example",
    )

    assert values["SECRET_KEY"] == "from-the-environment"
    assert values["ALLOWED_HOSTS"] == ["a.example", "b.example"]
    assert not (tmp_path / "var" / "secret_key").exists()


def test_a_fresh_sqlite_database_really_runs_in_wal_with_immediate_transactions(tmp_path):
    output = run_python(
        """
from django import setup
setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    print(cursor.fetchone()[0])
    cursor.execute("PRAGMA busy_timeout")
    print(cursor.fetchone()[0])
    cursor.execute("CREATE TABLE t (x integer)")
with transaction.atomic():
    # IMMEDIATE takes the write lock at BEGIN, before any write: another writer must wait.
    import sqlite3
    other = sqlite3.connect(str(connection.settings_dict["NAME"]), timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        print("not locked")
    except sqlite3.OperationalError as error:
        print(error)
""",
        tmp_path,
    )

    assert output.split("\n")[:3] == ["wal", "20000", "database is locked"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite options only")
def test_the_test_database_is_a_file_with_the_same_sqlite_options(db):
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20_000
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert not connection.is_in_memory_db()
    assert connection.transaction_mode == "IMMEDIATE"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
def test_postgresql_is_reached_through_psycopg(db):
    assert connection.Database.__name__ == "psycopg"


def settings_failure(tmp_path, **env):
    """The message of the error the settings module raises with this environment."""
    result = python("from django.conf import settings; settings.DEBUG", tmp_path, **env)
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("name", ["DJANGO_HTTPS", "DJANGO_DEBUG", "EMAIL_USE_TLS"])
def test_a_typo_in_a_yes_or_no_setting_stops_the_app_instead_of_meaning_no(tmp_path, name):
    message = settings_failure(tmp_path, EMAIL_HOST="mail.example", **{name: "ture"})

    assert message.startswith("django.core.exceptions.ImproperlyConfigured")
    assert f"{name}='ture'" in message


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"CRAMPLOG_NIGHT_START_HOUR": "24"}, "CRAMPLOG_NIGHT_START_HOUR"),
        ({"CRAMPLOG_NIGHT_END_HOUR": "six"}, "CRAMPLOG_NIGHT_END_HOUR"),
        ({"CRAMPLOG_NIGHT_START_HOUR": "6"}, "must differ"),
        ({"CRAMPLOG_BACKUP_KEEP_DAYS": "-1"}, "CRAMPLOG_BACKUP_KEEP_DAYS"),
        ({"EMAIL_HOST": "mail.example", "EMAIL_PORT": "smtp"}, "EMAIL_PORT"),
    ],
)
def test_a_number_setting_out_of_range_stops_the_app_and_names_it(tmp_path, env, name):
    message = settings_failure(tmp_path, **env)

    assert message.startswith("django.core.exceptions.ImproperlyConfigured")
    assert name in message


def test_yes_or_no_settings_accept_the_usual_words(tmp_path):
    for word in ("1", "true", "Yes", "on"):
        assert read_settings(tmp_path, DJANGO_DEBUG=word)["DEBUG"] is True
    for word in ("0", "false", "No", "off", ""):
        assert read_settings(tmp_path, DJANGO_DEBUG=word)["DEBUG"] is False
