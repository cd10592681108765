"""Hourly limits per address (failed logins across usernames, sign-ups, reset requests) and
per account (reset mails), counted in the database so every worker and server shares them."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.utils import timezone

from diary.models import Bucket

from .factories import PASSWORD, UserFactory

LOGIN = "/accounts/login/"
SIGNUP = "/accounts/signup/"
RESET = "/accounts/password_reset/"
WRONG = "not the password"


@pytest.fixture
def limits(settings):
    settings.CRAMPLOG_LOGIN_FAILURES_PER_HOUR = 20
    settings.CRAMPLOG_SIGNUPS_PER_HOUR = 5
    settings.CRAMPLOG_RESETS_PER_HOUR = 5
    return settings


def spray(client, count, address="203.0.113.9"):
    """Wrong passwords for `count` different usernames, so django-axes never locks one."""
    return [
        client.post(
            LOGIN, {"username": f"person{n}", "password": WRONG}, REMOTE_ADDR=address
        ).status_code
        for n in range(count)
    ]


def sign_up(client, username, address="203.0.113.9"):
    return client.post(
        SIGNUP,
        {"username": username, "password1": PASSWORD, "password2": PASSWORD},
        REMOTE_ADDR=address,
    )


def test_failed_logins_across_many_usernames_are_limited_per_address(client, db, limits):
    UserFactory.create_batch(3)

    statuses = spray(client, 21)

    assert statuses == [200] * 20 + [429]


def test_the_limited_address_gets_a_clear_429_page_that_says_when_to_retry(client, db, limits):
    spray(client, 20)

    response = client.post(
        LOGIN, {"username": "someone", "password": WRONG}, REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 429
    assert response["Retry-After"] == "180"
    content = response.content.decode()
    assert "Too many attempts from your network" in content
    assert "too many failed logins from your network" in content
    assert "try again in 3 minutes" in content


def test_over_the_limit_no_password_is_checked_even_the_right_one(client, owner, limits):
    spray(client, 20)

    response = client.post(
        LOGIN, {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_limit_is_shared_by_every_client_and_kept_in_the_database(db, limits):
    # Two clients stand for two gunicorn workers: only the database is shared between them.
    spray(Client(), 12)
    statuses = spray(Client(), 9)

    assert statuses == [200] * 8 + [429]
    assert Bucket.objects.get(key__endswith=" 203.0.113.9").tokens < 1


def test_another_address_is_not_limited(client, db, limits):
    spray(client, 20)

    assert spray(client, 1, address="198.51.100.7") == [200]


def test_successful_logins_do_not_count(client, owner, limits):
    for _ in range(25):
        response = client.post(
            LOGIN, {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
        )
        assert response.status_code == 302
        client.logout()

    assert spray(client, 20) == [200] * 20


def test_the_allowance_comes_back_over_the_hour(client, db, limits):
    spray(client, 20)
    Bucket.objects.update(updated_at=timezone.now() - timedelta(minutes=6))

    # Six minutes give back two of the twenty an hour.
    assert spray(client, 3) == [200, 200, 429]


def test_a_full_bucket_is_deleted_when_another_is_used(client, db, limits):
    spray(client, 1, address="198.51.100.7")
    Bucket.objects.update(updated_at=timezone.now() - timedelta(hours=2))

    spray(client, 1)

    assert list(Bucket.objects.values_list("key", flat=True)) == [
        "CRAMPLOG_LOGIN_FAILURES_PER_HOUR 203.0.113.9"
    ]


def test_ipv6_addresses_are_limited_by_their_64_bit_network(client, db, limits):
    for n in range(20):
        client.post(
            LOGIN, {"username": f"p{n}", "password": WRONG}, REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}"
        )

    same_network = spray(client, 1, address="2001:db8:1:2:ffff::1")
    next_network = spray(client, 1, address="2001:db8:1:3::1")

    assert (same_network, next_network) == ([429], [200])


def test_zero_turns_the_login_limit_off(client, db, limits):
    limits.CRAMPLOG_LOGIN_FAILURES_PER_HOUR = 0

    assert spray(client, 30) == [200] * 30
    assert not Bucket.objects.exists()


def test_the_admin_login_is_the_same_limited_login_page(client, db):
    asked = client.get("/admin/login/?next=/admin/knowledge/tip/")
    direct = client.get("/admin/login/")

    assert (asked.status_code, direct.status_code) == (302, 302)
    assert asked["Location"] == "/accounts/login/?next=/admin/knowledge/tip/"
    assert direct["Location"] == "/accounts/login/?next=/admin/"


# Sign-up


def test_sign_ups_are_limited_per_address(client, db, limits):
    statuses = []
    for n in range(6):
        statuses.append(sign_up(client, f"newcomer{n}").status_code)
        client.logout()

    assert statuses == [302] * 5 + [429]
    assert get_user_model().objects.count() == 5
    assert "too many sign-ups" in sign_up(client, "late").content.decode()


def test_asking_for_taken_usernames_counts_so_the_answer_cannot_list_them(client, db, limits):
    UserFactory(username="alice")

    answers = [sign_up(client, "alice") for _ in range(6)]

    assert [answer.status_code for answer in answers] == [200] * 5 + [429]
    assert "A user with that username already exists." in answers[0].content.decode()
    assert "already exists" not in answers[5].content.decode()


def test_a_sign_up_with_a_typo_does_not_count(client, db, limits):
    for _ in range(6):
        response = client.post(
            SIGNUP,
            {"username": "newcomer", "password1": PASSWORD, "password2": "typo"},
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 200

    assert sign_up(client, "newcomer").status_code == 302


def test_zero_turns_the_sign_up_limit_off(client, db, limits):
    limits.CRAMPLOG_SIGNUPS_PER_HOUR = 0

    for n in range(8):
        assert sign_up(client, f"newcomer{n}").status_code == 302
        client.logout()


# Password reset


def test_reset_requests_are_limited_per_address(client, db, limits):
    statuses = [
        client.post(RESET, {"email": f"x{n}@example.com"}, REMOTE_ADDR="203.0.113.9").status_code
        for n in range(6)
    ]

    assert statuses == [302] * 5 + [429]
    assert (
        "too many password reset requests"
        in client.post(
            RESET, {"email": "x@example.com"}, REMOTE_ADDR="203.0.113.9"
        ).content.decode()
    )


def test_reset_mails_to_one_account_are_limited_from_any_address(client, owner, limits):
    for n in range(8):
        response = client.post(RESET, {"email": "owner@example.com"}, REMOTE_ADDR=f"10.0.0.{n}")
        # The page never says the account exists, or that its mails ran out.
        assert response.status_code == 302
        assert response["Location"] == "/accounts/password_reset/done/"

    assert len(mail.outbox) == 5
    assert {tuple(message.to) for message in mail.outbox} == {("owner@example.com",)}


def test_another_accounts_reset_mails_are_not_limited_by_the_first(client, owner, limits):
    UserFactory(username="other", email="other@example.com")
    for n in range(5):
        client.post(RESET, {"email": "owner@example.com"}, REMOTE_ADDR=f"10.0.0.{n}")

    client.post(RESET, {"email": "other@example.com"}, REMOTE_ADDR="10.0.1.1")

    assert [message.to for message in mail.outbox][-1] == ["other@example.com"]
    assert len(mail.outbox) == 6


def test_zero_turns_the_reset_limits_off(client, owner, limits):
    limits.CRAMPLOG_RESETS_PER_HOUR = 0

    for _ in range(8):
        assert client.post(RESET, {"email": "owner@example.com"}).status_code == 302

    assert len(mail.outbox) == 8
