"""Twenty people logging cramps at once into gunicorn with four workers on SQLite.

Everything runs in a temporary var/ folder, talks only to 127.0.0.1, and stops gunicorn
whatever happens.
"""

import http.cookiejar
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")), reason="checks the SQLite default database"
    ),
]

BASE_DIR = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
PEOPLE = 20
# Twenty clients keep all four workers writing at once, fifty posts each: the 1,000 concurrent
# writes that issue 6 asks for.
EPISODES_EACH = 50
PASSWORD = "twenty people at once"
TIMEOUT = 30
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# One Argon2 hash for everyone: each costs a third of a second of CPU.
CREATE_PEOPLE = f"""
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from diary.models import Profile
password = make_password({PASSWORD!r})
for n in range({PEOPLE}):
    user = get_user_model().objects.create(username=f"person{{n}}", password=password)
    Profile.objects.create(user=user, time_zone="UTC")
"""


def environment(var_dir, port):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CRAMPLOG_"))
    }
    env.update(
        CRAMPLOG_VAR_DIR=str(var_dir),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_SECRET_KEY="concurrency-test-secret-key-" + "x" * 40,
    )
    return env


def manage(env, *args):
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=180,
    )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Person:
    """One browser: its own cookies, and every answer's status recorded."""

    def __init__(self, base, number):
        self.base = base
        self.number = number
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects
        )
        self.statuses = []

    def request(self, path, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=TIMEOUT) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def csrf_cookie(self):
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def log_in(self):
        status, page = self.request("/accounts/login/")
        assert status == 200, page[:500]
        token = CSRF_INPUT.search(page).group(1)
        status, _ = self.request(
            "/accounts/login/",
            {
                "username": f"person{self.number}",
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
            },
        )
        assert status == 302, f"person{self.number} could not log in: {status}"

    def log_cramps(self, start):
        for i in range(EPISODES_EACH):
            started = start - timedelta(minutes=self.number * EPISODES_EACH + i)
            status, _ = self.request(
                "/diary/new/",
                {
                    "csrfmiddlewaretoken": self.csrf_cookie(),
                    "started_at": started.strftime("%Y-%m-%dT%H:%M"),
                    "duration": "1 min",
                    "foot": "left",
                    "locations": ["arch"],
                    "intensity": "4",
                    "notes": f"person{self.number} cramp {i}",
                },
            )
            self.statuses.append(status)


def test_twenty_people_posting_fifty_cramps_each_at_once_lose_and_double_nothing(
    tmp_path, fresh_sqlite
):
    port = free_port()
    env = environment(tmp_path, port)
    manage(env, "collectstatic", "--noinput")
    manage(env, "shell", "--no-imports", "-c", CREATE_PEOPLE)
    server = subprocess.Popen(
        [str(GUNICORN), "cramplog.wsgi", "--workers", "4", "--bind", f"127.0.0.1:{port}"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.stderr.read().decode()
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)

        people = [Person(base, n) for n in range(PEOPLE)]
        for person in people:
            person.log_in()
        start = datetime.now().replace(second=0, microsecond=0) - timedelta(hours=1)
        errors = []

        def run(person):
            try:
                person.log_cramps(start)
            except Exception as error:  # reported below, with the others
                errors.append(repr(error))

        threads = [threading.Thread(target=run, args=(p,)) for p in people]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        seconds = time.monotonic() - began
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)

    statuses = [status for person in people for status in person.statuses]
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        saved, distinct_notes, distinct_starts = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT notes), COUNT(DISTINCT user_id || started_at)"
            " FROM diary_episode"
        ).fetchone()
    print(
        f"\nconcurrency: {saved}/{PEOPLE * EPISODES_EACH} saved, "
        f"{sum(s != 302 for s in statuses)} error responses, {len(errors)} client errors, "
        f"{seconds:.1f} s for {len(statuses)} posts"
    )
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert statuses == [302] * PEOPLE * EPISODES_EACH
    assert saved == distinct_notes == distinct_starts == PEOPLE * EPISODES_EACH
