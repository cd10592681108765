import io
import logging

import pytest
from django.conf import settings

from diary import advice

from .editing import make_staff
from .factories import (
    ArticleFactory,
    CauseFactory,
    CitationFactory,
    RedFlagFactory,
    TipFactory,
    UserFactory,
)

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
    advice._loaded_content = (None, None)


@pytest.fixture
def log_output():
    """What the configured console handler writes, the way it would reach the server's logs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def catalogue(db):
    """One published article, cause, tip and red flag, each entry citing the article."""
    article = ArticleFactory(
        title="Cramps explained",
        slug="cramps-explained",
        editor_note="**Erratum:** the figure means magnesium.",
    )
    cause = CauseFactory(
        title="Dehydration",
        slug="dehydration",
        summary="Too little to drink.",
        category="nutrition-fluids",
    )
    tip = TipFactory(
        title="Drink enough", slug="hydrate", kind="prevention", causes=[cause], body="Sip water."
    )
    red_flag = RedFlagFactory(title="A long cramp", slug="long-cramp")
    for entry in ("cause", "tip", "red_flag"):
        CitationFactory(article=article, **{entry: locals()[entry]})
    return {"article": article, "cause": cause, "tip": tip, "red_flag": red_flag}


@pytest.fixture
def editor(db):
    return make_staff("editor", "Content editors")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor, backend=BACKEND)
    return client


@pytest.fixture
def reviewer(db):
    return make_staff("reviewer", "Reviewers")
