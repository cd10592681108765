import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client

import cramplog.settings as project_settings
from diary.models import Episode
from knowledge.models import Article, Cause, RedFlag, Tip

from .factories import PASSWORD, EpisodeFactory, UserFactory
from .urlwalk import (
    OWNER_NOTE,
    PERSONAL_ROUTES,
    fill,
    get_answer,
    owners_experiment,
    post_data,
    snapshot,
)

BASE_DIR = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"
WRONG = "not the password"


def production_env(tmp_path, **extra):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "CRAMPLOG_"))
    }
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="k7Qm2vX9pL4rT8wZ1yB6nC3dF5gH0jJ-aSeUiOoPlMkNbVcXzQwErTyUiOpAsDfG",
        DJANGO_ALLOWED_HOSTS="example.org",
        DJANGO_HTTPS="1",
        CRAMPLOG_VAR_DIR=str(tmp_path),
        EMAIL_HOST="smtp.example.org",
        CRAMPLOG_BASE_URL="https://example.org",
    )
    env.update(extra)
    return env


def test_the_deploy_check_passes_with_the_production_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_fails_without_https(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_HTTPS"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


def test_without_https_the_site_answers_plain_http(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


# Content Security Policy


def csp_directives(response):
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict_csp(response):
    directives = csp_directives(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        (LOGIN, 200),
        ("/accounts/signup/", 200),
        ("/knowledge/", 200),
        ("/healthz", 200),
        ("/static/css/app.css", 200),
        ("/admin/login/", 302),
        ("/no-such-page/", 404),
    ],
)
def test_every_public_response_carries_a_strict_content_security_policy(client, db, path, status):
    response = client.get(path)

    assert response.status_code == status
    assert_strict_csp(response)


@pytest.mark.parametrize(
    "path", ["/", "/diary/", "/diary/new/", "/accounts/profile/", "/accounts/export/"]
)
def test_every_personal_page_carries_a_strict_content_security_policy(owner_client, path):
    response = owner_client.get(path)

    assert response.status_code == 200
    assert_strict_csp(response)


@pytest.mark.parametrize("path", ["/admin/", "/admin/auth/user/", "/admin/auth/user/{pk}/change/"])
def test_the_admin_works_under_the_content_security_policy(client, db, path):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    EpisodeFactory(user=admin)
    client.force_login(admin)

    response = client.get(path.format(pk=admin.pk))

    assert response.status_code == 200
    assert_strict_csp(response)
    assert b"<script>" not in response.content


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("path", ["/errors/400/", "/errors/403/", "/errors/500/"])
def test_error_pages_carry_the_content_security_policy(owner_client, path):
    owner_client.raise_request_exception = False

    response = owner_client.get(path)

    assert response.status_code == int(path.split("/")[2])
    assert_strict_csp(response)


# Passwords


def test_passwords_are_hashed_with_argon2_first():
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_a_real_password_hash_is_argon2_and_logs_in(client, db, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    user = UserFactory(username="argon")
    user.set_password(PASSWORD)
    user.save()

    assert user.password.startswith("argon2$argon2id$")
    assert make_password("x").startswith("argon2$")
    response = client.post(LOGIN, {"username": "argon", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.parametrize("password", ["short1", "password123", "1234567890123", "alexandra-jones"])
def test_sign_up_refuses_weak_passwords_and_creates_nobody(client, db, password):
    response = client.post(
        "/accounts/signup/",
        {"username": "alexandra-jones", "password1": password, "password2": password},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not get_user_model().objects.filter(username="alexandra-jones").exists()


# Login throttling


def fail_logins(client, username, address, times=5):
    """Log in with a wrong password; the fifth failure already answers with the locked page."""
    for attempt in range(1, times + 1):
        response = client.post(
            LOGIN, {"username": username, "password": WRONG}, REMOTE_ADDR=address
        )
        assert response.status_code == (429 if attempt == 5 else 200)


def test_five_failures_lock_out_that_username_from_that_address(client, owner):
    fail_logins(client, "owner", "10.0.0.1")

    response = client.post(
        LOGIN, {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )

    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content
    assert b"paused for 15 minutes" in response.content
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock_anyone_out(client, owner):
    fail_logins(client, "owner", "10.0.0.1", times=4)

    response = client.post(
        LOGIN, {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )

    assert response.status_code == 302


def test_another_person_at_the_same_address_can_still_log_in(client, owner, stranger):
    fail_logins(client, "owner", "10.0.0.1")

    response = client.post(
        LOGIN, {"username": "stranger", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(stranger.pk)


def test_the_same_person_from_another_address_can_still_log_in(client, owner):
    fail_logins(client, "owner", "10.0.0.1")

    response = client.post(
        LOGIN, {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_behind_the_https_proxy_the_address_is_the_one_the_proxy_added(client, owner, settings):
    settings.CRAMPLOG_TRUSTED_PROXIES = 1
    for attempt in range(1, 6):
        # Whatever the client puts first, the proxy appends the address it saw last.
        response = client.post(
            LOGIN,
            {"username": "owner", "password": WRONG},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}, 10.0.0.5",
        )
    assert response.status_code == 429

    response = client.post(
        LOGIN,
        {"username": "owner", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="10.0.0.6",
    )
    assert response.status_code == 302


def test_a_failed_login_is_logged_with_user_id_and_address_but_no_password(client, owner, caplog):
    with caplog.at_level(logging.INFO):
        client.post(LOGIN, {"username": "owner", "password": WRONG}, REMOTE_ADDR="10.0.0.9")

    failures = [r.getMessage() for r in caplog.records if "login failure" in r.getMessage()]
    assert failures == [f"AXES: New login failure by user_id={owner.pk} ip=10.0.0.9. "
                        "Created new record in the database."]  # fmt: skip
    assert WRONG not in caplog.text
    assert "username" not in caplog.text


# Caching


def test_personal_pages_are_never_stored_by_caches(owner_client):
    EpisodeFactory(user=get_user_model().objects.get(username="owner"))

    for path in ["/", "/diary/", "/accounts/profile/", "/accounts/export/"]:
        cache_control = owner_client.get(path)["Cache-Control"]
        assert "no-store" in cache_control, path
        assert "private" in cache_control, path


def test_account_pages_are_never_stored_by_caches_even_signed_out(client, db):
    for path in [LOGIN, "/accounts/signup/", "/accounts/password_reset/"]:
        assert "no-store" in client.get(path)["Cache-Control"], path


def test_public_pages_and_static_files_stay_cacheable(client, db):
    assert "no-store" not in client.get("/").get("Cache-Control", "")
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    assert "max-age" in static["Cache-Control"]
    assert "no-store" not in static["Cache-Control"]


# Errors and logs


def test_a_missing_page_is_a_friendly_404(owner_client):
    response = owner_client.get("/no-such-page/")

    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/errors/400/", 400, "Something was wrong with that request"),
        ("/errors/403/", 403, "That is not allowed"),
        ("/errors/500/", 500, "Something went wrong on our side"),
    ],
)
def test_errors_show_a_friendly_page_and_never_a_traceback(owner_client, path, status, text):
    owner_client.raise_request_exception = False

    response = owner_client.get(path)

    assert response.status_code == status
    body = response.content.decode()
    assert text in body
    assert "Traceback" not in body
    assert "DataError" not in body
    assert "broken request" not in body


def test_a_form_posted_without_its_csrf_token_gets_a_friendly_403(owner, db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post("/diary/new/", {"notes": "x"})

    assert response.status_code == 403
    assert "That form has expired" in response.content.decode()
    assert "CSRF" not in response.content.decode()


@pytest.mark.urls("tests.error_urls")
def test_a_server_error_is_logged_with_user_id_and_address_but_not_what_was_sent(
    owner_client, owner, caplog, log_output
):
    owner_client.raise_request_exception = False
    notes = "my private note about my ankle"

    with caplog.at_level(logging.INFO):
        response = owner_client.post(
            "/errors/500/", {"notes": notes, "password": PASSWORD}, REMOTE_ADDR="10.1.2.3"
        )

    assert response.status_code == 500
    logged = log_output.getvalue()
    assert f"ERROR django.request user={owner.pk} ip=10.1.2.3 Internal Server Error" in logged
    assert "tests.error_urls.DataError: (message withheld" in logged
    assert 'File "' in logged
    for secret in (notes, PASSWORD):
        assert secret not in logged
        assert all(secret not in record.getMessage() for record in caplog.records)


def test_a_failed_login_never_writes_the_password_or_username_to_the_logs(
    client, owner, log_output
):
    client.post(LOGIN, {"username": "owner", "password": WRONG}, REMOTE_ADDR="10.0.0.7")

    logged = log_output.getvalue()
    assert f"user_id={owner.pk} ip=10.0.0.7" in logged
    assert WRONG not in logged
    assert "owner" not in logged


# Stored XSS

XSS_NOTES = [
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('"><img src=x onerror=alert(1)>', "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
    ("{{ 7|add:1 }}", "{{ 7|add:1 }}"),
    ('{% now "Y" %}', "{% now &quot;Y&quot; %}"),
]


@pytest.mark.parametrize(("notes", "escaped"), XSS_NOTES)
def test_notes_are_shown_as_text_on_every_page_that_shows_them(owner_client, owner, notes, escaped):
    episode = EpisodeFactory(user=owner, notes=notes)
    day = episode.local_date
    pages_showing_notes = [
        f"/diary/{episode.pk}/",
        f"/diary/{episode.pk}/edit/",
        f"/diary/report/?start={day.isoformat()}&end={day.isoformat()}",
    ]
    other_pages = ["/", "/diary/", f"/diary/{day:%Y}/{day:%m}/", f"/diary/{day:%Y}/"]

    for path in pages_showing_notes + other_pages:
        response = owner_client.get(path)
        assert response.status_code == 200, path
        content = response.content.decode()
        assert notes not in content or notes == escaped, path
        if path in pages_showing_notes:
            assert escaped in content, path
    assert "<script>alert" not in owner_client.get(f"/diary/{episode.pk}/").content.decode()


def test_template_syntax_in_notes_is_never_evaluated(owner_client, owner):
    episode = EpisodeFactory(user=owner, notes='{{ 7|add:1 }} and {% now "Y" %}')

    content = owner_client.get(f"/diary/{episode.pk}/").content.decode()

    assert "{{ 7|add:1 }} and {% now &quot;Y&quot; %}" in content
    assert "8 and" not in content


# CSRF and safe methods


@pytest.mark.parametrize(
    ("route", "converters"), PERSONAL_ROUTES, ids=[r for r, _ in PERSONAL_ROUTES]
)
def test_a_personal_post_without_a_csrf_token_is_refused_and_changes_nothing(
    owner, route, converters
):
    episode = EpisodeFactory(user=owner, notes=OWNER_NOTE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = fill(route, converters, episode)
    before = snapshot(owner)

    response = client.post(url, post_data(episode))

    assert response.status_code == 403
    assert snapshot(owner) == before


@pytest.mark.parametrize(
    "path",
    [LOGIN, "/accounts/signup/", "/accounts/password_reset/", "/accounts/logout/"],
)
def test_public_forms_without_a_csrf_token_are_refused(owner, path):
    client = Client(enforce_csrf_checks=True)
    counts = get_user_model().objects.count()

    response = client.post(
        path,
        {
            "username": "newcomer",
            "password": PASSWORD,
            "password1": PASSWORD,
            "password2": PASSWORD,
            "email": "owner@example.com",
        },
    )

    assert response.status_code == 403
    assert get_user_model().objects.count() == counts
    assert "_auth_user_id" not in client.session


def test_logging_out_is_refused_without_a_csrf_token_and_keeps_the_session(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/diary/").status_code == 200


@pytest.mark.parametrize(
    ("route", "converters"), PERSONAL_ROUTES, ids=[r for r, _ in PERSONAL_ROUTES]
)
def test_a_get_never_changes_anything(owner_client, owner, route, converters):
    episode = EpisodeFactory(user=owner, notes=OWNER_NOTE)
    owners_experiment(episode)
    url = fill(route, converters, episode)
    before = snapshot(owner)

    response = owner_client.get(url, post_data(episode))

    assert response.status_code == get_answer(route)
    assert snapshot(owner) == before


@pytest.mark.parametrize("path", ["/diary/quick/", "/accounts/logout/"])
def test_actions_refuse_get(owner_client, path):
    assert owner_client.get(path).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/diary/",
        "/diary/2026/03/",
        "/diary/2026/",
        "/diary/report/",
        "/diary/insights/",
        "/diary/insights.csv",
        "/diary/export.csv",
        "/diary/checkins.csv",
        "/diary/experiments/",
        "/accounts/export/",
        "/accounts/security/",
        "/manifest.webmanifest",
        "/sw.js",
        "/offline/",
    ],
)
def test_pages_that_only_show_refuse_a_post_and_say_what_they_take(owner_client, path):
    response = owner_client.post(path, {"notes": OWNER_NOTE})

    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert not Episode.objects.exists()


def test_the_advice_pages_refuse_a_post(knowledge, client):
    entries = [model.objects.first() for model in (Cause, Tip, RedFlag, Article)]
    for path in ["/knowledge/", "/knowledge/search/?q=cramp"] + [
        entry.get_absolute_url() for entry in entries
    ]:
        response = client.post(path)

        assert response.status_code == 405, path
        assert response["Allow"] == "GET, HEAD"


def test_get_on_the_delete_pages_deletes_nothing(owner_client, owner):
    episode = EpisodeFactory(user=owner)

    assert owner_client.get(f"/diary/{episode.pk}/delete/").status_code == 200
    assert owner_client.get("/accounts/delete/", {"password": PASSWORD}).status_code == 200
    assert Episode.objects.filter(pk=episode.pk).exists()
    assert get_user_model().objects.filter(pk=owner.pk).exists()
