import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent

sqlite_only = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="backs up the SQLite default database"
)

WRITER = """
import itertools, pathlib
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from diary.models import Episode

user = get_user_model().objects.create_user("writer")
now = timezone.now()
stop = pathlib.Path({stop!r})
for i in itertools.count():
    if stop.exists() or i >= 50_000:
        break
    # Each create commits on its own, as a person saving the form does.
    Episode.objects.create(
        user=user, started_at=now - timedelta(minutes=i), time_zone="UTC",
        duration_seconds=60, foot="left", locations=["arch"], intensity=3, notes=f"episode {{i}}",
    )
"""


def manage(var_dir, *args, timeout=120, **popen):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_DEBUG"}}
    env["CRAMPLOG_VAR_DIR"] = str(var_dir)
    command = [sys.executable, "manage.py", *args]
    if popen:
        return subprocess.Popen(command, cwd=BASE_DIR, env=env, **popen)
    return subprocess.run(
        command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=True
    )


def committed_notes(database):
    with sqlite3.connect(database) as db:
        return {row[0] for row in db.execute("SELECT notes FROM diary_episode")}


@sqlite_only
def test_a_backup_taken_under_writes_is_whole_and_has_every_committed_episode(
    tmp_path, fresh_sqlite
):
    database = fresh_sqlite
    stop = tmp_path / "stop"
    writer = manage(
        tmp_path,
        "shell",
        "-c",
        WRITER.format(stop=str(stop)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while len(committed_notes(database)) < 200:
            assert writer.poll() is None, writer.stderr.read()
            assert time.monotonic() < deadline, "the writer did not get going"
            time.sleep(0.1)
        before = committed_notes(database)
        backup = tmp_path / "backup.sqlite3"

        result = manage(tmp_path, "backup", "--output", str(backup))

        written_meanwhile = committed_notes(database) - before
        assert writer.poll() is None, "the writer stopped before the backup finished"
    finally:
        stop.touch()
        writer.wait(timeout=60)
    assert f"to {backup}" in result.stdout
    with sqlite3.connect(backup) as restored:
        assert restored.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        in_backup = {row[0] for row in restored.execute("SELECT notes FROM diary_episode")}
    assert before <= in_backup
    assert written_meanwhile, "nothing was written while the backup ran"
    assert oct(backup.stat().st_mode & 0o777) == "0o600"


@sqlite_only
def test_a_restored_backup_serves_the_app(tmp_path, fresh_sqlite):
    manage(tmp_path, "shell", "-c", "from django.contrib.auth.models import User; "
           "User.objects.create_user('kept')")  # fmt: skip
    backup = tmp_path / "copy.sqlite3"
    manage(tmp_path, "backup", "--output", str(backup))
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    backup.rename(restored_dir / "db.sqlite3")

    result = manage(
        restored_dir,
        "shell",
        "--no-imports",
        "-c",
        "from django.contrib.auth.models import User; print(User.objects.get().username)",
    )

    assert result.stdout.strip() == "kept"


@sqlite_only
def test_by_default_backups_go_to_var_backups_and_old_ones_are_deleted(tmp_path, fresh_sqlite):
    folder = tmp_path / "backups"
    folder.mkdir()
    old = folder / "cramplog-20200101-000000.sqlite3"
    recent = folder / "cramplog-20990101-000000.sqlite3"
    old.write_bytes(b"old")
    recent.write_bytes(b"recent")
    month_ago = time.time() - 31 * 24 * 60 * 60
    os.utime(old, (month_ago, month_ago))

    manage(tmp_path, "backup")

    made = sorted(p.name for p in folder.glob("cramplog-2*.sqlite3") if p != recent)
    assert len(made) == 1
    assert made[0] != old.name
    assert not old.exists()
    assert recent.exists()


def test_on_postgresql_the_backup_points_to_pg_dump(db):
    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL refuses the SQLite backup")

    with pytest.raises(CommandError, match="pg_dump"):
        call_command("backup")
