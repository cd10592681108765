import io
import logging
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import hypothesis
import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, connections, transaction
from django.db.models.signals import post_migrate

from diary import advice, push

from .editing import make_staff
from .factories import (
    ArticleFactory,
    CauseFactory,
    CitationFactory,
    RedFlagFactory,
    TipFactory,
    UserFactory,
)

BASE_DIR = Path(__file__).resolve().parent.parent
BACKEND = "diary.backends.ProfileModelBackend"
# The same examples on every run, so the suite passes or fails alike each time and a failure
# can be reproduced; `pytest --hypothesis-profile=explore` tries ten times as many new ones.
hypothesis.settings.register_profile("repeatable", derandomize=True)
hypothesis.settings.register_profile("explore", max_examples=1000)
hypothesis.settings.load_profile("repeatable")
KNOWLEDGE_MODELS = list(apps.get_app_config("knowledge").get_models(include_auto_created=True))


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
    # A web push key, so the profile page offers notifications in every page check.
    settings.CRAMPLOG_VAPID_PRIVATE_KEY = push.new_private_key()


class KeptRows:
    """The knowledge tables' rows and the groups as the session set them up, to put back."""

    def __init__(self):
        self.rows = {model: list(model._base_manager.all()) for model in KNOWLEDGE_MODELS}
        self.groups = {
            group.name: list(
                group.permissions.values_list(
                    "codename", "content_type__app_label", "content_type__model"
                )
            )
            for group in Group.objects.all()
        }

    def put_back(self, using, **kwargs):
        # Only into empty tables: `migrate` run by a test sends the signal too, and the
        # knowledge app's own receiver may have made its content version row already.
        with transaction.atomic(using=using):
            for model, rows in self.rows.items():
                if not model._base_manager.using(using).exists():
                    model._base_manager.using(using).bulk_create(rows)
            for name, permissions in self.groups.items():
                group, created = Group.objects.using(using).get_or_create(name=name)
                if created:
                    group.permissions.set(
                        Permission.objects.db_manager(using).get_by_natural_key(*key)
                        for key in permissions
                    )
            # The rows keep their ids; on PostgreSQL the sequences must then move past them.
            with connections[using].cursor() as cursor:
                for sql in connections[using].ops.sequence_reset_sql(no_style(), self.rows):
                    cursor.execute(sql)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings, tmp_path_factory):
    """On SQLite, a test database in a file with the app's options, not Django's in-memory one.

    In memory, the live server's request threads all share the test's one connection, so two
    requests at once (a phone sending two kept taps) fail with "SQL statements in progress",
    and emptying the tables under a request still running fails with "table is locked". In a
    file each thread has its own connection and waits for the others, as in production. Each
    test process (pytest-xdist) has its own temporary folder, so its own file.
    """
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = tmp_path_factory.mktemp("database")
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The migrated test database with the shipped knowledge base, loaded once per session.

    Most tests run inside a transaction that is rolled back, so the catalogue stays as loaded.
    A transactional test (live_server, transactional_db) instead empties every table at its end
    and then sends post_migrate, as after a fresh migrate; the catalogue and the groups are put
    back then, so every test finds them whatever ran before it.
    """
    with django_db_blocker.unblock():
        call_command("load_knowledge", stdout=io.StringIO())
        kept = KeptRows()
    # knowledge is the last installed app: by its post_migrate every permission is back.
    knowledge = apps.get_app_config("knowledge")
    post_migrate.connect(kept.put_back, sender=knowledge, weak=False, dispatch_uid=__name__)
    yield
    post_migrate.disconnect(sender=knowledge, dispatch_uid=__name__)


@pytest.fixture
def knowledge(db):
    """The shipped articles, causes, tips, red flags and rules (see django_db_setup)."""


@pytest.fixture
def empty_knowledge(db):
    """No knowledge at all, for tests that make their own entries and rules with factories.

    Deleted inside the test's transaction, so the shipped catalogue is back for the next test.
    """
    with connection.cursor() as cursor:
        for model in KNOWLEDGE_MODELS:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a table name, not input


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A SQLite database file that `manage.py migrate` made in a fresh process, once."""
    var_dir = tmp_path_factory.mktemp("migrated")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CRAMPLOG_"))
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env={**env, "CRAMPLOG_VAR_DIR": str(var_dir)},
        check=True,
        capture_output=True,
        timeout=180,
    )
    return var_dir / "db.sqlite3"


def copy_of(database, var_dir):
    """var_dir/db.sqlite3, a copy of `database`: a copy takes milliseconds, the migrations
    seconds."""
    copied = var_dir / "db.sqlite3"
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copied)) as copy:
        source.backup(copy)
    return copied


@pytest.fixture
def fresh_sqlite(migrated_sqlite, tmp_path):
    """tmp_path/db.sqlite3, a copy of the migrated database, for a var/ folder in tmp_path.

    The tests that run manage.py or gunicorn on SQLite use it.
    """
    return copy_of(migrated_sqlite, tmp_path)


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
def forget_kept():
    """Each test starts with no rules kept by the process and an empty cache.

    A test database that is flushed and filled again can reach the content version a
    previous test's rules were kept at, with other rows behind it; and under a stopped clock
    a new account can match an earlier test's person in every part of a kept page's key.
    """
    advice._loaded_content = (None, None)
    cache.clear()


@pytest.fixture
def log_output():
    """What the configured console handler writes, the way it would reach the server's logs."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def catalogue(empty_knowledge):
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
