"""CACHE_URL chooses the cache; sessions live in it only when every process shares it.

The Redis tests start a real redis-server on a free port (Debian's `redis-server`); CI sets
CRAMPLOG_REQUIRE_REDIS=1 so that they cannot be skipped there.
"""

import os
import re
import shutil
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import PASSWORD, EpisodeFactory, UserFactory
from tests.test_settings import python, run_python

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
CACHE_SETTINGS = """
from django.conf import settings
print(settings.CACHES["default"]["BACKEND"], settings.SESSION_ENGINE)
"""


def test_the_default_cache_is_local_memory_and_sessions_stay_in_the_database(tmp_path):
    backend, sessions = run_python(CACHE_SETTINGS, tmp_path).split()

    assert backend == "django.core.cache.backends.locmem.LocMemCache"
    assert sessions == "django.contrib.sessions.backends.db"


def test_a_redis_cache_url_keeps_sessions_in_redis_as_well_as_the_database(tmp_path):
    output = run_python(CACHE_SETTINGS, tmp_path, CACHE_URL="redis://127.0.0.1:6379/2")
    backend, sessions = output.split()

    assert backend == "django.core.cache.backends.redis.RedisCache"
    assert sessions == "django.contrib.sessions.backends.cached_db"


@pytest.mark.parametrize("url", ["memcached://127.0.0.1:11211", "redis:/127.0.0.1", "locmem"])
def test_a_cache_url_of_an_unknown_kind_stops_the_app(tmp_path, url):
    result = python(CACHE_SETTINGS, tmp_path, CACHE_URL=url)

    assert result.returncode == 1
    assert f"CACHE_URL={url!r}" in result.stderr


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A throw-away redis-server on loopback, or the one CI started (REDIS_URL)."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CRAMPLOG_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is not installed (CRAMPLOG_REQUIRE_REDIS=1)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    directory = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", directory],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)


def redis_cache(url):
    return override_settings(
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
        },
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db",
    )


@pytest.fixture
def redis_sessions(redis_url):
    with redis_cache(redis_url):
        caches["default"].clear()
        yield caches["default"]
        caches["default"].clear()


def sign_in(client):
    user = UserFactory()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return user


def queries_for_the_diary(client):
    client.get("/diary/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/diary/").status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_a_signed_in_session_is_kept_in_redis_and_the_database(client, redis_sessions):
    sign_in(client)
    key = client.session.session_key

    assert redis_sessions.get(KEY_PREFIX + key)["_auth_user_id"]
    assert Session.objects.filter(session_key=key).exists()
    assert client.get("/diary/").status_code == 200


@pytest.mark.django_db
def test_signing_out_ends_the_session_for_every_server_sharing_redis(client, redis_sessions):
    sign_in(client)
    key = client.session.session_key
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    assert client.post("/accounts/logout/").status_code == 302

    assert redis_sessions.get(KEY_PREFIX + key) is None
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert client.get("/diary/").status_code == 302


@pytest.mark.django_db
def test_with_redis_a_page_reads_the_session_without_a_query(redis_url):
    # New clients, since the session middleware chooses its engine when it starts.
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.db"):
        client = Client()
        sign_in(client)
        in_the_database = queries_for_the_diary(client)

    with redis_cache(redis_url):
        caches["default"].clear()
        client = Client()
        sign_in(client)
        in_redis = queries_for_the_diary(client)

    assert in_redis == in_the_database - 1


@pytest.mark.django_db
def test_a_month_page_kept_in_redis_comes_back_as_the_same_page(client, redis_sessions):
    user = sign_in(client)
    EpisodeFactory(user=user)
    today = timezone.localdate()
    url = f"/diary/{today:%Y}/{today:%m}/"

    with CaptureQueriesContext(connection) as first_queries:
        first = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as again_queries:
        again = client.get(url).content.decode()

    assert len(again_queries) < len(first_queries)
    # Kept as markup, not turned into escaped text on the way through Redis.
    assert '<table class="table table-borderless calendar">' in again
    assert CSRF.sub("", again) == CSRF.sub("", first)
