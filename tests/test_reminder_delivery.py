"""Reminders through a real SMTP server (aiosmtpd on 127.0.0.1, started here), retried when it
fails, and sent once by two senders running at once on one database (SQLite, or PostgreSQL
with DATABASE_URL).
"""

import asyncio
import email
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from diary.models import Reminder, ReminderStatus

from .test_reminders import berlin, person

BASE_DIR = Path(__file__).resolve().parent.parent
PEOPLE = 30


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping what it receives.

    It can refuse the first few messages, and hold the first one until `together` senders
    are delivering at once, to show that they run side by side.
    """

    def __init__(self, refuse=0, together=1):
        self.messages = []
        self.refuse = refuse
        self.together = together
        self.in_flight = 0
        self.most_at_once = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        self.in_flight += 1
        self.most_at_once = max(self.most_at_once, self.in_flight)
        try:
            for _ in range(3000):
                if self.in_flight >= self.together:
                    break
                await asyncio.sleep(0.01)
            self.together = 1
        finally:
            self.in_flight -= 1
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def recipients(self):
        return Counter(address for rcpt_tos, _message in self.messages for address in rcpt_tos)


@pytest.fixture
def smtp_server():
    """Start a mailbox on a free port of 127.0.0.1; stopped after the test."""
    servers = []

    def start(**options):
        mailbox = Mailbox(**options)
        controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        return mailbox, controller.port

    yield start
    for controller in servers:
        controller.stop()


def smtp_settings(port):
    return override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        EMAIL_USE_TLS=False,
        EMAIL_TIMEOUT=5,
    )


def send_at(moment):
    with time_machine.travel(moment, tick=False):
        call_command("send_reminders", "--once", stdout=io.StringIO())


def test_a_reminder_reaches_a_real_smtp_server_with_its_unsubscribe_headers(db, smtp_server):
    mailbox, port = smtp_server()
    person("ana", checkin="07:30")

    with smtp_settings(port):
        send_at(berlin(2026, 12, 2, 7, 30))

    [(recipients, message)] = mailbox.messages
    assert recipients == ["ana@mail.example"]
    assert message["Subject"] == "How was your night? Your check-in is waiting"
    # Folded onto a second line, as long headers are (RFC 5322): unfolded, it is the link.
    unsubscribe = message["List-Unsubscribe"].strip()
    assert unsubscribe.startswith("<http://127.0.0.1:8000/reminders/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/diary/checkin/2026-12-01/" in message.get_content()
    assert Reminder.objects.get().status == ReminderStatus.SENT


def test_a_refused_message_is_tried_again_a_minute_later_and_sent_once(db, smtp_server):
    mailbox, port = smtp_server(refuse=1)
    person("ana", checkin="07:30")

    with smtp_settings(port):
        send_at(berlin(2026, 12, 2, 7, 30))
        reminder = Reminder.objects.get()
        assert (reminder.status, reminder.attempts, reminder.error) == (
            ReminderStatus.DUE,
            1,
            "SMTPDataError",
        )
        assert reminder.next_try_at == berlin(2026, 12, 2, 7, 31)
        send_at(berlin(2026, 12, 2, 7, 30, 59))
        assert mailbox.messages == []
        send_at(berlin(2026, 12, 2, 7, 31))
        send_at(berlin(2026, 12, 2, 7, 40))

    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts, reminder.error) == (ReminderStatus.SENT, 2, "")
    assert mailbox.recipients() == {"ana@mail.example": 1}


def test_with_the_mail_server_down_it_backs_off_then_gives_up(db):
    person("ana", checkin="07:30")
    closed_port = free_port()
    tries = []

    with smtp_settings(closed_port):
        for minute in range(0, 60):
            send_at(berlin(2026, 12, 2, 7, 30) + timedelta(minutes=minute))
            reminder = Reminder.objects.get()
            if not tries or reminder.attempts != tries[-1][0]:
                tries.append((reminder.attempts, minute))

    assert tries == [(1, 0), (2, 1), (3, 6), (4, 21)]
    assert (reminder.status, reminder.error) == (ReminderStatus.FAILED, "ConnectionRefusedError")


def sender_environment(var_dir, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CRAMPLOG_", "EMAIL_"))
    }
    return {**env, "CRAMPLOG_VAR_DIR": str(var_dir), "DJANGO_LOG_LEVEL": "WARNING", **extra}


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


MAKE_PEOPLE = f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from diary.models import Profile
# A minute ago, so every reminder is due the moment the senders start.
at = (timezone.now() - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
for n in range({PEOPLE}):
    user = get_user_model().objects.create(username=f"person{{n}}")
    Profile.objects.create(
        user=user, time_zone="UTC", stretch_reminder_at=at,
        reminder_email=f"person{{n}}@mail.example", reminder_email_confirmed=True,
    )
"""


@pytest.fixture
def shared_database(request, tmp_path):
    """Settings for manage.py processes that share this test's database.

    On SQLite a migrated file of their own; on PostgreSQL (DATABASE_URL) the test database,
    with nothing kept in a transaction the processes cannot see.
    """
    url = os.environ.get("DATABASE_URL")
    if not url:
        return sender_environment(request.getfixturevalue("fresh_sqlite").parent)
    test_database = "/" + connection.settings_dict["NAME"]
    return sender_environment(
        tmp_path, DATABASE_URL=urlunsplit(urlsplit(url)._replace(path=test_database))
    )


# On PostgreSQL the senders use the test database, committed to as they would see it.
@(pytest.mark.django_db(transaction=True) if os.environ.get("DATABASE_URL") else lambda test: test)
def test_two_senders_at_once_send_each_reminder_once(shared_database, smtp_server):
    # The first message waits for another sender's, so the two are sending at the same time.
    mailbox, port = smtp_server(together=2)
    env = {**shared_database, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
    env["EMAIL_USE_TLS"] = "0"
    manage(env, "shell", "-c", MAKE_PEOPLE)

    senders = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_reminders"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(mailbox.messages) < PEOPLE and time.monotonic() < deadline:
            time.sleep(0.2)
        # Long enough for a second copy of anything to arrive.
        time.sleep(2)
    finally:
        for sender in senders:
            sender.send_signal(signal.SIGTERM)
        outputs = [sender.communicate(timeout=30) for sender in senders]

    assert [sender.returncode for sender in senders] == [0, 0], outputs
    assert mailbox.most_at_once == 2
    assert mailbox.recipients() == {f"person{n}@mail.example": 1 for n in range(PEOPLE)}
    statuses = manage(
        env,
        "shell",
        "--verbosity=0",
        "-c",
        "from diary.models import Reminder; "
        "print(sorted(Reminder.objects.values_list('status', 'attempts').distinct()))",
    )
    assert statuses.stdout.strip() == "[('sent', 1)]"


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs the sender on the SQLite default database"
)
def test_without_an_email_host_the_reminder_is_printed_to_the_console(fresh_sqlite):
    env = sender_environment(fresh_sqlite.parent)
    manage(env, "shell", "-c", MAKE_PEOPLE.replace(f"range({PEOPLE})", "range(1)"))

    result = manage(env, "send_reminders", "--once")

    assert "Subject: Time for your evening stretch" in result.stdout
    assert "To: person0@mail.example" in result.stdout
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in result.stdout
    assert "1 fell due; 1 sent." in result.stdout
    assert manage(env, "send_reminders", "--once").stdout == ""


def test_the_dates_in_these_tests_are_what_they_say():
    assert berlin(2026, 12, 2, 7, 30).astimezone(UTC) == datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
