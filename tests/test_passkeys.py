"""Passkeys on the server: what is stored, the counters, and who they can sign in as.

The answers come from tests/authenticator.py, a software authenticator, through the same
URLs the page's script uses. The site is asked for at http://localhost, as passkeys need.
"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client

from diary.models import Passkey

from .authenticator import Authenticator, b64
from .factories import PASSWORD, UserFactory
from .test_settings import run_python

OPTIONS = "/accounts/passkeys/options/"
PASSKEY_LOGIN = "/accounts/login/passkey/"
SECURITY = "/accounts/security/"


@pytest.fixture
def client(db):
    """A browser at http://localhost, the relying party."""
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def signed_in(client, owner):
    """The owner, signed in with their password just now."""
    assert log_in(client, "owner").status_code == 302
    return client


@pytest.fixture
def phone():
    return Authenticator()


def log_in(client, username, **extra):
    return client.post("/accounts/login/", {"username": username, "password": PASSWORD}, **extra)


def request_options(client, purpose, **fields):
    response = client.post(OPTIONS, {"purpose": purpose, **fields})
    assert response.status_code == 200, response.content
    return response.content.decode()


def add_passkey(client, phone, name="my phone"):
    options = client.post("/accounts/security/passkeys/options/")
    assert options.status_code == 200, options.content
    return client.post(
        "/accounts/security/passkeys/add/",
        {"name": name, "credential": phone.create(options.content.decode())},
    )


def sign_in_with(client, phone, data=None, **answer):
    credential = phone.get(request_options(client, "sign-in"), **answer)
    return client.post(PASSKEY_LOGIN, {"credential": credential, **(data or {})})


def signed_in_user(client):
    return client.session.get("_auth_user_id")


def sign_out(client):
    client.post("/accounts/logout/")


# Stored credentials


def test_adding_a_passkey_stores_its_public_key_counter_and_name(signed_in, owner, phone):
    response = add_passkey(signed_in, phone)

    assert response.status_code == 302
    assert response["Location"] == SECURITY
    passkey = Passkey.objects.get()
    credential_id = next(iter(phone.keys))
    assert (passkey.user, passkey.name, passkey.credential_id) == (
        owner,
        "my phone",
        b64(credential_id),
    )
    assert passkey.sign_count == 0
    assert passkey.transports == ["internal", "hybrid"]
    assert passkey.last_used_at is None
    assert len(bytes(passkey.public_key)) > 60
    assert bytes(passkey.user_handle) == phone.keys[credential_id]["handle"]
    assert "Your passkey “my phone” is added." in signed_in.get(SECURITY).content.decode()


def test_a_persons_passkeys_share_one_random_handle_and_another_persons_differ(
    signed_in, owner, phone
):
    add_passkey(signed_in, phone, "phone")
    add_passkey(signed_in, phone, "laptop")
    sign_out(signed_in)
    UserFactory(username="ben")
    log_in(signed_in, "ben")
    add_passkey(signed_in, Authenticator(), "ben's")

    handles = {p.name: bytes(p.user_handle) for p in Passkey.objects.all()}
    assert handles["phone"] == handles["laptop"] != handles["ben's"]
    assert len(handles["phone"]) == 32
    # Not the account's id or name in any plain form: a random handle may well contain the
    # byte b"1" by chance, so only whole encodings are ruled out.
    assert handles["phone"] not in {
        str(owner.pk).encode(),
        str(owner.pk).encode().rjust(32, b"\0"),
        owner.pk.to_bytes(32, "big"),
        owner.username.encode(),
    }


def test_the_registration_options_exclude_the_persons_passkeys(signed_in, phone):
    add_passkey(signed_in, phone)

    options = json.loads(signed_in.post("/accounts/security/passkeys/options/").content)

    assert [c["id"] for c in options["excludeCredentials"]] == [Passkey.objects.get().credential_id]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["rp"] == {"id": "localhost", "name": "cramplog"}


@pytest.mark.parametrize(
    ("authenticator", "verified"),
    [
        (Authenticator(origin="https://evil.example"), True),
        (Authenticator(rp_id="evil.example"), True),
        (Authenticator(), False),
    ],
    ids=["another origin", "another relying party", "no user verification"],
)
def test_a_passkey_made_for_another_site_or_without_the_phones_lock_is_not_added(
    signed_in, authenticator, verified
):
    options = signed_in.post("/accounts/security/passkeys/options/").content.decode()

    response = signed_in.post(
        "/accounts/security/passkeys/add/",
        {"name": "x", "credential": authenticator.create(options, verified=verified)},
    )

    assert response.status_code == 302
    assert not Passkey.objects.exists()
    assert "The passkey was not added." in signed_in.get(SECURITY).content.decode()


def test_a_registration_answer_works_once(signed_in, phone):
    options = signed_in.post("/accounts/security/passkeys/options/").content.decode()
    answer = phone.create(options)
    for _ in range(2):
        signed_in.post("/accounts/security/passkeys/add/", {"name": "x", "credential": answer})

    assert Passkey.objects.count() == 1


# Signing in, and the counters


def test_a_passkey_alone_signs_in_with_a_new_session_and_counts_the_use(signed_in, owner, phone):
    add_passkey(signed_in, phone)
    sign_out(signed_in)
    request_options(signed_in, "sign-in")
    anonymous_session = signed_in.session.session_key

    response = sign_in_with(signed_in, phone, {"next": "/diary/"})

    assert response.status_code == 302
    assert response["Location"] == "/diary/"
    assert signed_in_user(signed_in) == str(owner.pk)
    assert signed_in.session.session_key != anonymous_session
    assert not Session.objects.filter(session_key=anonymous_session).exists()
    passkey = Passkey.objects.get()
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None
    sign_out(signed_in)
    sign_in_with(signed_in, phone)
    assert Passkey.objects.get().sign_count == 2


def test_the_sign_in_options_ask_for_any_passkey_unlocked_by_the_phone(client, db):
    options = json.loads(request_options(client, "sign-in"))

    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert options["rpId"] == "localhost"
    assert len(options["challenge"]) >= 64


@pytest.mark.parametrize("count", [0, 3, 5], ids=["zero", "lower", "the same"])
def test_a_counter_that_does_not_go_forward_is_refused_as_a_copied_passkey(
    signed_in, owner, phone, count
):
    add_passkey(signed_in, phone)
    sign_out(signed_in)
    sign_in_with(signed_in, phone, count=5)
    sign_out(signed_in)

    response = sign_in_with(signed_in, phone, count=count)

    assert response.status_code == 200
    assert "That passkey could not be checked." in response.content.decode()
    assert signed_in_user(signed_in) is None
    assert Passkey.objects.get().sign_count == 5


def test_a_synced_passkey_that_always_counts_zero_signs_in_every_time(signed_in, owner):
    synced = Authenticator(counts=False)
    add_passkey(signed_in, synced)
    for _ in range(3):
        sign_out(signed_in)
        sign_in_with(signed_in, synced)
        assert signed_in_user(signed_in) == str(owner.pk)
    assert Passkey.objects.get().sign_count == 0


def test_a_stale_counter_saved_by_another_sign_in_meanwhile_is_refused(signed_in, phone):
    add_passkey(signed_in, phone)
    passkey = Passkey.objects.get()
    assert passkey.record_use(4)
    stale = Passkey.objects.get()
    assert passkey.record_use(7)

    assert not stale.record_use(5)
    assert Passkey.objects.get().sign_count == 7


def test_a_sign_in_answer_cannot_be_replayed(signed_in, phone):
    add_passkey(signed_in, phone)
    sign_out(signed_in)
    answer = phone.get(request_options(signed_in, "sign-in"))
    signed_in.post(PASSKEY_LOGIN, {"credential": answer})
    sign_out(signed_in)

    response = signed_in.post(PASSKEY_LOGIN, {"credential": answer})

    assert "The passkey request expired or was used already." in response.content.decode()
    assert signed_in_user(signed_in) is None


def test_signing_in_with_a_passkey_alone_needs_the_phones_own_lock(signed_in, phone):
    add_passkey(signed_in, phone)
    sign_out(signed_in)

    response = sign_in_with(signed_in, phone, verified=False)

    assert "That passkey could not be checked." in response.content.decode()
    assert signed_in_user(signed_in) is None


def test_an_answer_from_another_origin_does_not_sign_in(signed_in, phone):
    add_passkey(signed_in, phone)
    sign_out(signed_in)
    phone.origin = "https://cramplog.evil.example"

    sign_in_with(signed_in, phone)

    assert signed_in_user(signed_in) is None


def test_a_removed_passkey_no_longer_signs_in_and_the_browser_may_forget_it(signed_in, phone):
    add_passkey(signed_in, phone)
    Passkey.objects.all().delete()
    sign_out(signed_in)

    response = sign_in_with(signed_in, phone)

    content = response.content.decode()
    assert "That passkey is not one this site knows for you." in content
    assert f'data-unknown-passkey="{b64(next(iter(phone.keys)))}"' in content
    assert signed_in_user(signed_in) is None


def test_keep_me_signed_in_keeps_a_passkey_session_and_without_it_the_browser_ends_it(
    signed_in, phone
):
    add_passkey(signed_in, phone)
    for remember, browser_session in (({}, True), ({"remember": "on"}, False)):
        sign_out(signed_in)
        sign_in_with(signed_in, phone, remember)
        assert signed_in.session.get_expire_at_browser_close() is browser_session


def test_a_passkey_sign_in_never_goes_to_another_site(signed_in, phone):
    add_passkey(signed_in, phone)
    sign_out(signed_in)

    response = sign_in_with(signed_in, phone, {"next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_an_inactive_persons_passkey_does_not_sign_in(signed_in, owner, phone):
    add_passkey(signed_in, phone)
    sign_out(signed_in)
    get_user_model().objects.filter(pk=owner.pk).update(is_active=False)

    sign_in_with(signed_in, phone)

    assert signed_in_user(signed_in) is None


@pytest.mark.parametrize(
    "credential",
    [
        "",
        "not json",
        "[]",
        '{"id": 5}',
        '{"id": "x", "rawId": "x", "type": "public-key", "response": {}}',
        '{"id": "!!", "rawId": "!!", "type": "public-key", "response": {"clientDataJSON": "!!",'
        ' "authenticatorData": "!!", "signature": "!!"}}',
        "x" * 30_000,
    ],
)
def test_no_passkey_answer_fails_with_a_server_error(client, db, credential):
    request_options(client, "sign-in")

    response = client.post(PASSKEY_LOGIN, {"credential": credential})

    assert response.status_code == 200
    assert signed_in_user(client) is None


# The same limits and lockout as passwords


def test_passkey_sign_ins_use_the_addresss_allowance_of_failed_logins(signed_in, phone, settings):
    add_passkey(signed_in, phone)
    sign_out(signed_in)
    settings.CRAMPLOG_LOGIN_FAILURES_PER_HOUR = 2
    for _ in range(2):
        request_options(signed_in, "sign-in")
        signed_in.post(PASSKEY_LOGIN, {"credential": "not an answer"})

    response = sign_in_with(signed_in, phone)

    assert response.status_code == 429
    assert signed_in_user(signed_in) is None


def test_five_failed_passkey_answers_pause_that_account_from_that_address(signed_in, owner, phone):
    add_passkey(signed_in, phone)
    sign_out(signed_in)
    sign_in_with(signed_in, phone, count=5)
    sign_out(signed_in)

    # A counter gone back: a copy of the key, as far as the site can tell.
    statuses = [sign_in_with(signed_in, phone, count=1).status_code for _ in range(5)]

    assert statuses == [200] * 4 + [429]
    # Paused for the right passkey and for the password too, from this address only.
    assert sign_in_with(signed_in, phone, count=10).status_code == 429
    assert log_in(signed_in, "owner").status_code == 429
    assert signed_in_user(signed_in) is None
    assert Passkey.objects.get().sign_count == 5
    elsewhere = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.9.9.9")
    assert sign_in_with(elsewhere, phone, count=11).status_code == 302
    assert signed_in_user(elsewhere) == str(owner.pk)


def test_a_password_lockout_stops_the_passkey_too(client, owner, phone):
    elsewhere = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.0.2")
    log_in(elsewhere, "owner")
    add_passkey(elsewhere, phone)
    for _ in range(5):
        client.post("/accounts/login/", {"username": "owner", "password": "wrong"})

    response = sign_in_with(client, phone)

    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content
    assert signed_in_user(client) is None


# The options


@pytest.mark.parametrize("purpose", ["", "register", "second-step", "confirm", "other"])
def test_options_for_no_sign_in_under_way_are_refused(client, db, purpose):
    response = client.post(OPTIONS, {"purpose": purpose})

    assert response.status_code == 400
    assert "error" in response.json()


def test_at_an_ip_address_passkeys_are_refused_and_the_pages_name_the_localhost_address(db, owner):
    at_ip = Client(HTTP_HOST="127.0.0.1:8000")

    assert at_ip.post(OPTIONS, {"purpose": "sign-in"}).status_code == 400
    login_page = at_ip.get("/accounts/login/").content.decode()
    assert 'href="http://localhost:8000/accounts/login/"' in login_page
    assert "Sign in with a passkey" not in login_page
    log_in(at_ip, "owner")
    security = at_ip.get(SECURITY).content.decode()
    assert 'href="http://localhost:8000/accounts/security/"' in security
    assert "Add a passkey" not in security
    assert at_ip.post("/accounts/security/passkeys/options/").status_code == 400


def test_the_login_page_offers_passkeys_in_the_usernames_autofill(client, db):
    content = client.get("/accounts/login/").content.decode()

    assert 'autocomplete="username webauthn"' in content
    assert "Sign in with a passkey" in content
    assert 'src="/static/js/passkeys.js"' in content


# The relying party


@pytest.mark.parametrize(
    ("hosts", "rp_id"),
    [
        (None, "localhost"),
        ("cramps.example.org", "cramps.example.org"),
        ("10.0.0.5,[2001:db8::1],cramps.example.org,www.cramps.example.org", "cramps.example.org"),
        (".example.org", "example.org"),
        ("10.0.0.5,[::1]", ""),
        ("*", ""),
    ],
)
def test_the_passkeys_domain_is_the_first_domain_name_among_the_allowed_hosts(
    tmp_path, hosts, rp_id
):
    env = {} if hosts is None else {"DJANGO_ALLOWED_HOSTS": hosts}

    output = run_python(
        "from django.conf import settings; print(repr(settings.PASSKEY_RP_ID))", tmp_path, **env
    )

    assert output.strip() == repr(rp_id)
