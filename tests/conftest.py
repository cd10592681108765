import io
import logging

import pytest
from django.conf import settings

from diary import advice

from .factories import UserFactory

BACKEND = "diary.backends.ProfileModelBackend"


def pytest_configure(config):
    # Tests read static files straight from the source folders instead of a collected
    # manifest, and hash passwords cheaply; production settings are otherwise unchanged.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db):
    return UserFactory(username="owner")


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner, backend=BACKEND)
    return client


@pytest.fixture
def stranger_client(client, stranger):
    client.force_login(stranger, backend=BACKEND)
    return client


@pytest.fixture(autouse=True)
def forget_cached_rules():
    """Each test starts with no rules kept by the process.

    A test database that is flushed and filled again can reach the content version a
    previous test's rules were kept at, with other rows behind it.
    """
    advice._loaded_rules = (None, None)


@pytest.fixture
def log_output():
    """What the configured console handler writes, the way it would reach the server's logs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)
