"""Two-step sign-in, the security page, and what each person can see and change of it.

Codes are computed here with pyotp from the key the set-up page shows; passkeys come from the
software authenticator in tests/authenticator.py.
"""

import json
import re
import time

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from diary.models import AuthenticatorApp, Passkey, Profile, RecoveryCode
from diary.views import SECOND_STEP, SIGNED_IN_AT

from .authenticator import Authenticator
from .factories import PASSWORD, UserFactory
from .test_passkeys import add_passkey, log_in, request_options, sign_out, signed_in_user

SECURITY = "/accounts/security/"
TWO_STEP = "/accounts/login/two-step/"


@pytest.fixture
def client(db):
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def signed_in(client, owner):
    assert log_in(client, "owner").status_code == 302
    return client


@pytest.fixture
def phone():
    return Authenticator()


def set_up_app(client):
    """Set up an authenticator app through its page; returns the app's TOTP."""
    page = client.get("/accounts/security/app/").content.decode()
    secret = re.search(r'<code class="setup-key">([A-Z2-7 ]+)</code>', page)[1].replace(" ", "")
    totp = pyotp.TOTP(secret)
    response = client.post("/accounts/security/app/", {"code": totp.now()})
    assert response.status_code == 302, response.content
    return totp


def turn_on(client):
    response = client.post("/accounts/security/two-step/on/")
    assert response.status_code == 200
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.content.decode())


def next_code(totp):
    """The app's code for the next 30 seconds: accepted, and never the one used at set-up."""
    return totp.at(time.time() + 30)


@pytest.fixture
def two_step(signed_in, owner):
    """The owner with an authenticator app and two-step sign-in on, signed out."""
    totp = set_up_app(signed_in)
    codes = turn_on(signed_in)
    sign_out(signed_in)
    return {"client": signed_in, "totp": totp, "codes": codes}


# The second step


def test_with_two_step_on_the_right_password_asks_for_a_second_step_before_signing_in(
    two_step, owner
):
    client = two_step["client"]
    client.get("/accounts/login/")
    before = client.session.session_key

    response = client.post(
        "/accounts/login/", {"username": "owner", "password": PASSWORD, "next": "/diary/"}
    )

    assert response.status_code == 302
    assert response["Location"] == TWO_STEP
    assert signed_in_user(client) is None
    assert client.session.session_key != before
    assert client.get("/diary/").status_code == 302
    page = client.get(TWO_STEP)
    assert page.status_code == 200
    assert "Code from your authenticator app, or a recovery code" in page.content.decode()


def test_the_apps_code_finishes_the_second_step_and_goes_where_the_person_was_going(
    two_step, owner
):
    client = two_step["client"]
    client.post("/accounts/login/", {"username": "owner", "password": PASSWORD, "next": "/diary/"})

    response = client.post(TWO_STEP, {"code": next_code(two_step["totp"])})

    assert response.status_code == 302
    assert response["Location"] == "/diary/"
    assert signed_in_user(client) == str(owner.pk)
    assert SECOND_STEP not in client.session
    assert AuthenticatorApp.objects.get().last_used_at is not None


def test_a_code_is_accepted_with_spaces_and_once_only(two_step, owner):
    client = two_step["client"]
    code = next_code(two_step["totp"])
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": f" {code[:3]} {code[3:]} "})
    assert signed_in_user(client) == str(owner.pk)
    sign_out(client)
    log_in(client, "owner")

    response = client.post(TWO_STEP, {"code": code})

    assert response.status_code == 200
    assert "That code is not right, or was used already." in response.content.decode()
    assert signed_in_user(client) is None


def test_a_code_older_than_the_last_one_used_is_refused(two_step):
    client = two_step["client"]
    totp = two_step["totp"]
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": next_code(totp)})
    sign_out(client)
    log_in(client, "owner")

    client.post(TWO_STEP, {"code": totp.now()})

    assert signed_in_user(client) is None


@pytest.mark.parametrize("offset", [-90, 90, 3600])
def test_a_code_from_too_far_before_or_after_now_is_refused(two_step, offset):
    client = two_step["client"]
    log_in(client, "owner")

    client.post(TWO_STEP, {"code": two_step["totp"].at(time.time() + offset)})

    assert signed_in_user(client) is None


def test_two_people_cannot_use_each_others_codes(two_step, owner):
    client = two_step["client"]
    UserFactory(username="ben")
    log_in(client, "ben")
    ben_totp = set_up_app(client)
    turn_on(client)
    sign_out(client)
    log_in(client, "owner")

    client.post(TWO_STEP, {"code": next_code(ben_totp)})

    assert signed_in_user(client) is None


def test_a_recovery_code_works_once_in_any_case_and_says_how_many_are_left(two_step, owner):
    client = two_step["client"]
    code = two_step["codes"][0]
    log_in(client, "owner")
    response = client.post(TWO_STEP, {"code": code.upper().replace("-", " ")}, follow=True)
    assert signed_in_user(client) == str(owner.pk)
    assert "You used a recovery code; 9 left." in response.content.decode()
    sign_out(client)
    log_in(client, "owner")

    client.post(TWO_STEP, {"code": code})

    assert signed_in_user(client) is None
    assert RecoveryCode.objects.filter(user=owner).count() == 9


def test_recovery_codes_are_ten_different_ones_kept_only_as_hashes(two_step, owner):
    codes = two_step["codes"]

    assert len(codes) == len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    stored = " ".join(RecoveryCode.objects.filter(user=owner).values_list("code_hash", flat=True))
    assert not any(code.replace("-", "") in stored for code in codes)


def test_new_recovery_codes_replace_the_old_ones(two_step, owner):
    client = two_step["client"]
    old = two_step["codes"]
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": next_code(two_step["totp"])})

    new = re.findall(
        r"<li><code>([a-z0-9-]+)</code></li>",
        client.post("/accounts/security/recovery-codes/").content.decode(),
    )

    assert len(new) == 10
    assert not set(new) & set(old)
    sign_out(client)
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": old[1]})
    assert signed_in_user(client) is None
    client.post(TWO_STEP, {"code": new[1]})
    assert signed_in_user(client) == str(owner.pk)


def test_the_recovery_codes_page_offers_them_as_a_file(signed_in):
    set_up_app(signed_in)

    page = signed_in.post("/accounts/security/two-step/on/").content.decode()

    assert 'download="cramplog-recovery-codes.txt"' in page
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    file_link = re.search(r'href="data:text/plain;charset=utf-8,([^"]+)"', page)[1]
    assert all(code in file_link for code in codes)


def test_the_second_step_waits_ten_minutes_at_most(two_step):
    client = two_step["client"]
    log_in(client, "owner")
    session = client.session
    session[SECOND_STEP]["since"] -= 601
    session.save()

    response = client.post(TWO_STEP, {"code": next_code(two_step["totp"])})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user(client) is None


def test_the_second_step_page_without_a_password_first_sends_to_the_login(client, db):
    response = client.get(TWO_STEP)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_keep_me_signed_in_carries_over_the_second_step(two_step):
    client = two_step["client"]
    client.post("/accounts/login/", {"username": "owner", "password": PASSWORD, "remember": "on"})
    client.post(TWO_STEP, {"code": next_code(two_step["totp"])})

    assert client.session.get_expire_at_browser_close() is False


def test_a_passkey_finishes_the_second_step_and_another_accounts_passkey_does_not(
    signed_in, owner, phone
):
    add_passkey(signed_in, phone)
    turn_on(signed_in)
    sign_out(signed_in)
    UserFactory(username="ben")
    log_in(signed_in, "ben")
    bens_phone = Authenticator()
    add_passkey(signed_in, bens_phone)
    sign_out(signed_in)
    log_in(signed_in, "owner")

    options = json.loads(request_options(signed_in, "second-step"))
    assert [c["id"] for c in options["allowCredentials"]] == [
        Passkey.objects.get(user=owner).credential_id
    ]
    response = signed_in.post(
        TWO_STEP, {"credential": bens_phone.get(json.dumps(options), verified=True)}
    )
    assert response.status_code == 200
    assert "That passkey is not one this site knows for you." in response.content.decode()
    assert signed_in_user(signed_in) is None

    answer = phone.get(request_options(signed_in, "second-step"), verified=False)
    signed_in.post(TWO_STEP, {"credential": answer})
    assert signed_in_user(signed_in) == str(owner.pk)


def test_a_passkey_alone_still_signs_in_with_two_step_on(signed_in, owner, phone):
    add_passkey(signed_in, phone)
    turn_on(signed_in)
    sign_out(signed_in)

    answer = phone.get(request_options(signed_in, "sign-in"))
    signed_in.post("/accounts/login/passkey/", {"credential": answer})

    assert signed_in_user(signed_in) == str(owner.pk)


# The same limits and lockout as passwords


def test_five_wrong_codes_pause_that_account_from_that_address(two_step, owner):
    client = two_step["client"]
    log_in(client, "owner")
    statuses = [client.post(TWO_STEP, {"code": "000000"}).status_code for _ in range(5)]

    assert statuses == [200] * 4 + [429]
    assert client.post(TWO_STEP, {"code": next_code(two_step["totp"])}).status_code == 429
    assert log_in(client, "owner").status_code == 429
    assert signed_in_user(client) is None


def test_wrong_codes_for_one_account_are_limited_from_every_address(two_step, settings):
    settings.CRAMPLOG_SECOND_STEP_FAILURES_PER_HOUR = 3
    for n in range(3):
        elsewhere = Client(HTTP_HOST="localhost", REMOTE_ADDR=f"10.0.{n}.1")
        log_in(elsewhere, "owner")
        assert elsewhere.post(TWO_STEP, {"code": "000000"}).status_code == 200
    client = Client(HTTP_HOST="localhost", REMOTE_ADDR="10.0.9.1")
    log_in(client, "owner")

    response = client.post(TWO_STEP, {"code": next_code(two_step["totp"])})

    assert response.status_code == 429
    assert "Too many wrong codes for this account" in response.content.decode()
    assert response["Retry-After"] == "1200"
    assert signed_in_user(client) is None


def test_second_steps_use_the_addresss_allowance_of_failed_logins(two_step, settings):
    settings.CRAMPLOG_LOGIN_FAILURES_PER_HOUR = 2
    client = two_step["client"]
    log_in(client, "owner")
    for _ in range(2):
        client.post(TWO_STEP, {"code": "000000"})

    response = client.post(TWO_STEP, {"code": next_code(two_step["totp"])})

    assert response.status_code == 429
    assert "too many failed logins from your network" in response.content.decode()


def test_a_wrong_code_is_kept_out_of_the_login_records(two_step):
    from axes.models import AccessAttempt

    client = two_step["client"]
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": "314159"})

    assert "314159" not in AccessAttempt.objects.get().post_data


# The security page


def test_the_security_page_lists_each_passkey_with_its_dates(signed_in, phone):
    add_passkey(signed_in, phone, "my phone")
    Passkey.objects.update(last_used_at="2031-02-03T04:05:00Z")

    content = signed_in.get(SECURITY).content.decode()

    assert "my phone" in content
    assert "3 Feb 2031, 05:05" in content  # Europe/Berlin
    assert 'href="/accounts/security/passkeys/' in content
    assert "Add a passkey" in content


def test_the_security_page_needs_the_same_queries_for_one_passkey_or_many(signed_in, owner):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert signed_in.get(SECURITY).status_code == 200
        return len(captured)

    Passkey.objects.create(
        user=owner, name="one", credential_id="a", public_key=b"k", user_handle=b"h"
    )
    one = queries()
    for n in range(6):
        Passkey.objects.create(
            user=owner, name=f"more {n}", credential_id=f"b{n}", public_key=b"k", user_handle=b"h"
        )

    assert queries() == one <= 12


def test_the_security_page_is_linked_from_the_profile(signed_in):
    assert 'href="/accounts/security/"' in signed_in.get("/accounts/profile/").content.decode()


def test_a_while_after_signing_in_changes_need_the_password_or_a_passkey_again(signed_in, phone):
    session = signed_in.session
    session[SIGNED_IN_AT] -= 15 * 60 + 1
    session.save()

    page = signed_in.get(SECURITY).content.decode()
    assert "Confirm it is you" in page
    assert "Add a passkey" not in page
    assert signed_in.post("/accounts/security/passkeys/options/").status_code == 403
    assert signed_in.post("/accounts/security/two-step/on/").status_code == 302
    assert signed_in.get("/accounts/security/app/").status_code == 302

    wrong = signed_in.post("/accounts/security/confirm/", {"password": "wrong"})
    assert "That is not your password." in wrong.content.decode()
    assert "Add a passkey" not in wrong.content.decode()
    right = signed_in.post("/accounts/security/confirm/", {"password": PASSWORD})
    assert right.status_code == 302
    assert "Add a passkey" in signed_in.get(SECURITY).content.decode()
    assert add_passkey(signed_in, phone).status_code == 302
    assert Passkey.objects.count() == 1


def test_a_passkey_can_confirm_it_is_you(signed_in, phone):
    add_passkey(signed_in, phone)
    session = signed_in.session
    session[SIGNED_IN_AT] = 0
    session.save()

    answer = phone.get(request_options(signed_in, "confirm"))
    signed_in.post("/accounts/security/confirm/", {"credential": answer})

    assert "Add a passkey" in signed_in.get(SECURITY).content.decode()


def test_removing_a_passkey_asks_for_the_password_first(signed_in, owner, phone):
    add_passkey(signed_in, phone)
    passkey = Passkey.objects.get()
    url = f"/accounts/security/passkeys/{passkey.pk}/remove/"

    assert signed_in.get(url).status_code == 200
    for data in ({}, {"password": "wrong"}):
        response = signed_in.post(url, data)
        assert response.status_code == 200
        assert Passkey.objects.filter(pk=passkey.pk).exists()
    response = signed_in.post(url, {"password": PASSWORD})

    assert response.status_code == 302
    assert not Passkey.objects.exists()


def test_another_passkey_can_confirm_a_removal_but_not_the_one_removed(signed_in, phone):
    laptop = Authenticator()
    add_passkey(signed_in, phone, "phone")
    add_passkey(signed_in, laptop, "laptop")
    phone_passkey = Passkey.objects.get(name="phone")
    url = f"/accounts/security/passkeys/{phone_passkey.pk}/remove/"

    options = json.loads(request_options(signed_in, "confirm", exclude=phone_passkey.pk))
    assert [c["id"] for c in options["allowCredentials"]] == [
        Passkey.objects.get(name="laptop").credential_id
    ]
    signed_in.post(url, {"credential": phone.get(json.dumps(options))})
    assert Passkey.objects.filter(name="phone").exists()

    answer = laptop.get(request_options(signed_in, "confirm", exclude=phone_passkey.pk))
    signed_in.post(url, {"credential": answer})
    assert list(Passkey.objects.values_list("name", flat=True)) == ["laptop"]


def test_the_last_way_to_finish_two_step_sign_in_cannot_be_removed(signed_in, phone):
    add_passkey(signed_in, phone)
    turn_on(signed_in)
    passkey = Passkey.objects.get()

    response = signed_in.post(
        f"/accounts/security/passkeys/{passkey.pk}/remove/", {"password": PASSWORD}
    )

    assert response.status_code == 200
    assert "the only way left to finish two-step sign-in" in response.content.decode()
    assert Passkey.objects.exists()
    set_up_app(signed_in)
    signed_in.post(f"/accounts/security/passkeys/{passkey.pk}/remove/", {"password": PASSWORD})
    assert not Passkey.objects.exists()
    response = signed_in.post("/accounts/security/app/remove/", {"password": PASSWORD})
    assert "the only way left to finish two-step sign-in" in response.content.decode()
    assert AuthenticatorApp.objects.exists()


def test_two_step_sign_in_needs_a_passkey_or_an_app_first(signed_in, owner):
    response = signed_in.post("/accounts/security/two-step/on/")

    assert response.status_code == 302
    assert Profile.objects.get(user=owner).two_step is False
    assert not RecoveryCode.objects.exists()


def test_turning_two_step_sign_in_off_asks_for_the_password_and_drops_the_codes(two_step, owner):
    client = two_step["client"]
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": next_code(two_step["totp"])})

    assert client.post("/accounts/security/two-step/off/", {"password": "wrong"}).status_code == 200
    assert Profile.objects.get(user=owner).two_step is True
    response = client.post("/accounts/security/two-step/off/", {"password": PASSWORD})

    assert response.status_code == 302
    assert Profile.objects.get(user=owner).two_step is False
    assert not RecoveryCode.objects.exists()
    assert AuthenticatorApp.objects.exists()
    sign_out(client)
    assert log_in(client, "owner")["Location"] == "/"


def test_the_app_is_set_up_only_with_its_current_code_which_cannot_sign_in_again(signed_in, owner):
    page = signed_in.get("/accounts/security/app/").content.decode()
    secret = re.search(r'<code class="setup-key">([A-Z2-7 ]+)</code>', page)[1].replace(" ", "")
    assert len(secret) == 32
    assert 'src="data:image/svg+xml' in page
    assert f"otpauth://totp/cramplog:owner?secret={secret}&amp;issuer=cramplog" in page
    # A reload keeps the key the person may have scanned already.
    assert (
        secret[:4] + " " + secret[4:8] in signed_in.get("/accounts/security/app/").content.decode()
    )
    totp = pyotp.TOTP(secret)

    wrong = signed_in.post("/accounts/security/app/", {"code": "12345"})
    assert "That is not the code the app shows now." in wrong.content.decode()
    assert not AuthenticatorApp.objects.exists()
    step = totp.timecode(time.time())
    code = totp.generate_otp(step)
    signed_in.post("/accounts/security/app/", {"code": code})
    app = AuthenticatorApp.objects.get(user=owner)
    assert (app.secret, app.last_step) == (secret, step)
    turn_on(signed_in)
    sign_out(signed_in)
    log_in(signed_in, "owner")
    signed_in.post(TWO_STEP, {"code": code})
    assert signed_in_user(signed_in) is None


# Each person's own


def test_a_stranger_cannot_see_or_remove_anyone_elses_passkey(signed_in, owner, phone):
    add_passkey(signed_in, phone, "owner's phone")
    passkey = Passkey.objects.get()
    sign_out(signed_in)
    UserFactory(username="stranger")
    log_in(signed_in, "stranger")

    assert signed_in.get(f"/accounts/security/passkeys/{passkey.pk}/remove/").status_code == 404
    response = signed_in.post(
        f"/accounts/security/passkeys/{passkey.pk}/remove/", {"password": PASSWORD}
    )
    assert response.status_code == 404
    assert "owner&#x27;s phone" not in signed_in.get(SECURITY).content.decode()
    assert Passkey.objects.filter(pk=passkey.pk).exists()


def test_anonymous_visitors_are_sent_to_log_in_from_the_security_pages(client, db):
    for url in (SECURITY, "/accounts/security/app/", "/accounts/security/two-step/off/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")


def test_the_export_names_passkeys_and_the_app_with_dates_but_no_secret(two_step, owner, phone):
    client = two_step["client"]
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": next_code(two_step["totp"])})
    add_passkey(client, phone, "my phone")

    response = client.get("/accounts/export/")

    data = json.loads(response.content)
    assert [p["name"] for p in data["passkeys"]] == ["my phone"]
    assert set(data["passkeys"][0]) == {"name", "added", "last_used"}
    assert set(data["authenticator_app"]) == {"added", "last_used"}
    assert data["authenticator_app"]["last_used"] is not None
    assert data["recovery_codes_left"] == 10
    assert data["profile"]["two_step"] is True
    text = response.content.decode()
    passkey, app = Passkey.objects.get(), AuthenticatorApp.objects.get()
    for secret in (app.secret, passkey.credential_id, *two_step["codes"]):
        assert secret not in text


def test_deleting_the_account_deletes_its_passkeys_app_and_codes(two_step, owner, phone):
    client = two_step["client"]
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": next_code(two_step["totp"])})
    add_passkey(client, phone)

    response = client.post("/accounts/delete/", {"password": PASSWORD})

    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=owner.pk).exists()
    assert not Passkey.objects.exists()
    assert not AuthenticatorApp.objects.exists()
    assert not RecoveryCode.objects.exists()


def test_an_administrator_can_turn_off_a_persons_two_step_sign_in_but_not_see_its_keys(
    two_step, owner, phone, admin_client
):
    client = two_step["client"]
    log_in(client, "owner")
    client.post(TWO_STEP, {"code": next_code(two_step["totp"])})
    add_passkey(client, phone)
    change_page = admin_client.get(f"/admin/auth/user/{owner.pk}/change/").content.decode()
    assert AuthenticatorApp.objects.get().secret not in change_page
    assert admin_client.get("/admin/diary/passkey/").status_code == 404

    response = admin_client.post(
        "/admin/auth/user/", {"action": "reset_sign_in", "_selected_action": [owner.pk]}
    )

    assert response.status_code == 302
    assert Profile.objects.get(user=owner).two_step is False
    assert not (
        Passkey.objects.exists()
        or AuthenticatorApp.objects.exists()
        or RecoveryCode.objects.exists()
    )
    sign_out(client)
    assert log_in(client, "owner")["Location"] == "/"


def test_no_passkey_is_asked_for_when_none_of_the_persons_could_answer(signed_in, phone):
    add_passkey(signed_in, phone)
    only = Passkey.objects.get()

    response = signed_in.post(
        "/accounts/passkeys/options/", {"purpose": "confirm", "exclude": only.pk}
    )

    # An empty list of passkeys would let the browser offer any passkey of the site.
    assert response.status_code == 400
    assert response.json() == {"error": "None of your passkeys can be used here."}
