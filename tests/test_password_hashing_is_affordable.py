"""Argon2 at OWASP's recommended minimum for a shared server, and older hashes rewritten at
the next login."""

import pytest
from argon2 import extract_parameters
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

import cramplog.settings as project_settings

from .factories import PASSWORD, UserFactory


@pytest.fixture
def real_hashers(settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def parameters(encoded):
    return extract_parameters(encoded.removeprefix("argon2"))


def test_new_passwords_use_19_mib_two_passes_and_one_lane(real_hashers):
    used = parameters(make_password(PASSWORD))

    assert (used.type.name, used.memory_cost, used.time_cost, used.parallelism) == (
        "ID",
        19 * 1024,
        2,
        1,
    )


def test_a_hash_made_with_djangos_heavier_defaults_is_rewritten_at_login(client, db, real_hashers):
    user = UserFactory(username="old-hash")
    user.password = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    user.save()
    assert parameters(user.password).memory_cost == 102_400

    response = client.post("/accounts/login/", {"username": "old-hash", "password": PASSWORD})

    assert response.status_code == 302
    user.refresh_from_db()
    assert parameters(user.password).memory_cost == 19 * 1024
    assert user.check_password(PASSWORD)
