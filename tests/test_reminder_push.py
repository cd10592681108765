"""Reminders by web push: the installed app subscribes, a local HTTP server stands in for the
push service and decrypts what it gets with the test's keys, and a gone subscription goes.
"""

import base64
import json
import os
import stat
import subprocess
import sys
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command

from diary import push
from diary.models import CheckIn, Profile, PushSubscription, Reminder, ReminderStatus

from .test_reminders import berlin, person, send_at


def b64(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class PushService(BaseHTTPRequestHandler):
    """Answers 201 and keeps the message, 410 at /gone/... and 500 at /broken/..., as a push
    service would."""

    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = {"gone": 410, "broken": 500}.get(self.path.split("/")[1], 201)
        if status == 201:
            headers = {name.lower(): value for name, value in self.headers.items()}
            self.received.append((self.path, headers, body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def push_service():
    PushService.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PushService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def vapid(settings):
    settings.CRAMPLOG_VAPID_PRIVATE_KEY = push.new_private_key()
    return push.application_server_key()


class Phone:
    """A browser's push keys: what it gives the site, and what it decrypts with."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        raw = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh = b64(raw)

    def subscribe(self, user, endpoint):
        return PushSubscription.objects.create(
            user=user, endpoint=endpoint, p256dh=self.p256dh, auth=b64(self.auth)
        )

    def read(self, body):
        plain = http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain)


def test_a_subscribed_phone_gets_the_morning_reminder_encrypted_for_it_alone(
    db, vapid, push_service, mailoutbox
):
    ana = person("ana", checkin="07:30", reminder_email_confirmed=False)
    phone = Phone()
    phone.subscribe(ana, f"{push_service}/push/ana-phone")

    send_at(berlin(2026, 12, 2, 7, 30))

    [(path, headers, body)] = PushService.received
    assert path == "/push/ana-phone"
    assert phone.read(body) == {
        "title": "How was your night? Your check-in is waiting",
        "body": "Your check-in for last night is waiting: one tap if nothing happened.",
        "url": "/diary/checkin/2026-12-01/",
    }
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(push.TTL_SECONDS)
    assert headers["authorization"].startswith("vapid t=")
    assert f"k={vapid}" in headers["authorization"]
    assert mailoutbox == []
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.sent_at) == (ReminderStatus.SENT, berlin(2026, 12, 2, 7, 30))


def test_a_gone_subscription_is_removed_and_the_others_still_get_it(
    db, vapid, push_service, mailoutbox
):
    ana = person("ana", checkin=None, stretch="21:45")
    kept, gone = Phone(), Phone()
    kept.subscribe(ana, f"{push_service}/push/new-phone")
    gone.subscribe(ana, f"{push_service}/gone/old-phone")

    send_at(berlin(2026, 12, 2, 21, 45))

    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        f"{push_service}/push/new-phone"
    ]
    [(_path, _headers, body)] = PushService.received
    assert kept.read(body)["title"] == "Time for your evening stretch"
    # E-mail goes too, to the confirmed address.
    assert len(mailoutbox) == 1


def test_a_push_service_error_keeps_the_subscription_and_the_others_still_get_it(
    db, vapid, push_service, caplog
):
    ana = person("ana", checkin="07:30", reminder_email_confirmed=False)
    working, broken = Phone(), Phone()
    working.subscribe(ana, f"{push_service}/push/new-phone")
    broken.subscribe(ana, f"{push_service}/broken/old-phone")

    send_at(berlin(2026, 12, 2, 7, 30))

    assert PushSubscription.objects.count() == 2
    [(path, _headers, _body)] = PushService.received
    assert path == "/push/new-phone"
    assert Reminder.objects.get().status == ReminderStatus.SENT
    assert "not pushed to a phone" in caplog.text
    assert "500" in caplog.text


def test_with_only_a_gone_subscription_the_reminder_is_given_up(db, vapid, push_service):
    ana = person("ana", checkin="07:30", reminder_email_confirmed=False)
    Phone().subscribe(ana, f"{push_service}/gone/old-phone")

    send_at(berlin(2026, 12, 2, 7, 30))

    assert not PushSubscription.objects.exists()
    assert Reminder.objects.get().status == ReminderStatus.FAILED


def test_no_push_when_last_night_has_its_check_in(db, vapid, push_service):
    ana = person("ana", checkin="07:30", reminder_email_confirmed=False)
    Phone().subscribe(ana, f"{push_service}/push/ana-phone")
    CheckIn.objects.create(user=ana, night=date(2026, 12, 1))

    send_at(berlin(2026, 12, 2, 7, 30))

    assert PushService.received == []


SUBSCRIPTION = {
    "endpoint": "https://push.example.net/send/abc",
    "expirationTime": None,
    "keys": {"p256dh": "BNc" + "a" * 84, "auth": "c2VjcmV0c2VjcmV0"},
}


def test_the_installed_app_subscribes_with_its_push_subscription(owner_client, owner):
    response = owner_client.post(
        "/reminders/push/", json.dumps(SUBSCRIPTION), content_type="application/json"
    )

    assert response.status_code == 201
    saved = PushSubscription.objects.get()
    assert (saved.user, saved.endpoint, saved.auth) == (
        owner,
        SUBSCRIPTION["endpoint"],
        "c2VjcmV0c2VjcmV0",
    )


def test_a_phone_subscribed_again_by_someone_else_becomes_theirs(client, owner, stranger):
    for user in (owner, stranger):
        client.force_login(user, backend="diary.backends.ProfileModelBackend")
        client.post("/reminders/push/", json.dumps(SUBSCRIPTION), content_type="application/json")

    assert list(PushSubscription.objects.values_list("user", flat=True)) == [stranger.pk]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("not json", "__all__"),
        (json.dumps({"endpoint": "https://push.example.net/x"}), "__all__"),
        (json.dumps({**SUBSCRIPTION, "endpoint": "http://push.example.net/x"}), "endpoint"),
        (json.dumps({**SUBSCRIPTION, "keys": {"p256dh": "", "auth": "x"}}), "p256dh"),
    ],
)
def test_a_bad_subscription_is_refused_with_the_field_named(owner_client, body, field):
    response = owner_client.post("/reminders/push/", body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not PushSubscription.objects.exists()


def test_subscribing_needs_a_sign_in(client, db):
    response = client.post(
        "/reminders/push/", json.dumps(SUBSCRIPTION), content_type="application/json"
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not PushSubscription.objects.exists()


def test_signing_out_forgets_this_devices_subscription_and_no_other(owner_client, owner, stranger):
    phone, laptop, theirs = (
        Phone().subscribe(user, f"https://push.example.net/{name}")
        for user, name in ((owner, "phone"), (owner, "laptop"), (stranger, "theirs"))
    )

    response = owner_client.post("/accounts/logout/", {"push_endpoint": phone.endpoint})

    assert response.status_code == 302
    assert set(PushSubscription.objects.values_list("endpoint", flat=True)) == {
        laptop.endpoint,
        theirs.endpoint,
    }


def test_signing_out_with_someone_elses_endpoint_forgets_nothing(owner_client, owner, stranger):
    theirs = Phone().subscribe(stranger, "https://push.example.net/theirs")

    response = owner_client.post("/accounts/logout/", {"push_endpoint": theirs.endpoint})

    assert response.status_code == 302
    assert PushSubscription.objects.get().user == stranger
    assert "_auth_user_id" not in owner_client.session


def test_the_profile_page_offers_push_with_the_application_server_key(owner_client, vapid):
    html = owner_client.get("/accounts/profile/").content.decode()

    assert f'data-key="{vapid}"' in html


def test_make_vapid_key_keeps_the_key_private_and_never_replaces_it_by_accident(settings, tmp_path):
    settings.VAPID_KEY_FILE = tmp_path / "vapid_private_key"

    call_command("make_vapid_key", stdout=open(os.devnull, "w"))  # noqa: SIM115

    key = settings.VAPID_KEY_FILE.read_text()
    assert stat.S_IMODE(settings.VAPID_KEY_FILE.stat().st_mode) == 0o600
    settings.CRAMPLOG_VAPID_PRIVATE_KEY = key
    assert len(base64.urlsafe_b64decode(push.application_server_key() + "=")) == 65
    with pytest.raises(CommandError, match="use --replace"):
        call_command("make_vapid_key")
    assert settings.VAPID_KEY_FILE.read_text() == key


def test_a_deleted_account_takes_its_subscriptions_with_it(db):
    ana = person("ana")
    Phone().subscribe(ana, "https://push.example.net/send/ana")

    Profile.objects.get(user=ana).delete_account()

    assert not PushSubscription.objects.exists()


def test_a_vapid_key_that_cannot_be_read_fails_the_system_check(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CRAMPLOG_"))}
    env.update(CRAMPLOG_VAR_DIR=str(tmp_path), CRAMPLOG_VAPID_PRIVATE_KEY="not a key")

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "cramplog.E002" in result.stderr
