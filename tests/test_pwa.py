"""Installable and easy at night: the manifest, the service worker and its offline page, the
icons, light or dark from the profile, staying signed in, and signing out."""

import json
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from PIL import Image

from diary.middleware import KEPT_SIGNED_IN
from diary.models import Profile

from .authenticator import Authenticator
from .factories import PASSWORD
from .htmlpage import Page
from .icons import FOLDER, ICONS, png
from .test_passkeys import add_passkey, sign_in_with, sign_out

STATIC = Path(settings.BASE_DIR) / "static"


# The manifest and the worker


def test_the_manifest_describes_an_installable_app(client, db):
    response = client.get("/manifest.webmanifest")

    manifest = json.loads(response.content)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert manifest["name"].startswith("cramplog")
    assert manifest["short_name"] == "cramplog"
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/",
        "/",
        "standalone",
    )
    assert manifest["theme_color"] and manifest["background_color"]
    icons = {(icon["sizes"], icon.get("purpose", "any")): icon["src"] for icon in manifest["icons"]}
    assert set(icons) == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    assert all(src.startswith("/static/img/") and src.endswith(".png") for src in icons.values())


@pytest.mark.parametrize(("name", "size", "maskable"), ICONS)
def test_each_icon_is_a_png_of_its_size_as_tests_icons_draws_it(name, size, maskable):
    data = (FOLDER / name).read_bytes()

    image = Image.open(BytesIO(data))
    assert (image.format, image.size) == ("PNG", (size, size))
    assert data == png(size, maskable), "run `make icons` and commit the icons"


def test_the_maskable_icon_fills_its_square_and_keeps_the_foot_in_the_safe_circle():
    image = Image.open(FOLDER / "icon-maskable-512.png").convert("RGBA")
    white = [
        (x, y)
        for x in range(0, 512, 4)
        for y in range(0, 512, 4)
        if image.getpixel((x, y))[:3] == (255, 255, 255)
    ]

    assert image.getpixel((0, 0))[3] == 255
    # Phones crop a maskable icon to a circle of 80% of its width, centred.
    assert max(((x - 256) ** 2 + (y - 256) ** 2) ** 0.5 for x, y in white) < 0.4 * 512


def test_the_service_worker_is_served_from_the_root_as_a_script_that_names_its_files(client, db):
    response = client.get("/sw.js")

    script = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "no-cache"
    assert 'const OFFLINE_PAGE = "/offline/";' in script
    for name in ("css/app.css", "js/app.js", "js/taps.js", "bootstrap/css/bootstrap.min.css"):
        assert f'"/static/{name}"' in script
    assert (
        'importScripts("/static/js/taps.js", "/static/js/worker.js", "/static/js/push-worker.js");'
        in script
    )
    for name in ("js/taps.js", "js/worker.js", "js/theme.js"):
        assert (STATIC / name).is_file()


def test_the_worker_loads_nothing_from_another_site():
    for name in ("js/worker.js", "js/taps.js", "js/app.js", "js/theme.js"):
        text = (STATIC / name).read_text()
        assert "http://" not in text and "https://" not in text, name


@pytest.mark.parametrize("signed_in", [True, False])
def test_the_offline_page_is_the_same_for_everyone(client, owner, signed_in):
    if signed_in:
        client.force_login(owner, backend="diary.backends.ProfileModelBackend")

    response = client.get("/offline/")

    assert response.status_code == 200
    assert "No connection" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/diary/", "/knowledge/"])
def test_every_page_links_the_manifest_and_the_theme_script(owner_client, path):
    page = Page(owner_client.get(path))

    assert page.all_with("link", rel="manifest", href="/manifest.webmanifest")
    assert page.all_with("link", rel="apple-touch-icon")
    assert page.all_with("script", src="/static/js/theme.js")


# Light or dark


@pytest.mark.parametrize(
    ("theme", "attributes"),
    [
        ("auto", {"data-theme-choice": "auto"}),
        ("light", {"data-theme-choice": "light", "data-bs-theme": "light"}),
        ("dark", {"data-theme-choice": "dark", "data-bs-theme": "dark"}),
    ],
)
def test_the_profiles_theme_is_written_on_every_page(owner_client, owner, theme, attributes):
    Profile.objects.filter(user=owner).update(theme=theme)

    (html,) = Page(owner_client.get("/")).all_with("html")

    assert {name: html["attrs"][name] for name in attributes} == attributes
    assert ("data-bs-theme" in html["attrs"]) == (theme != "auto")


def test_a_signed_out_page_follows_the_device(client, db):
    (html,) = Page(client.get("/accounts/login/")).all_with("html")

    assert html["attrs"]["data-theme-choice"] == "auto"
    assert "data-bs-theme" not in html["attrs"]


def test_a_theme_that_is_not_one_is_refused(owner_client, owner):
    response = owner_client.post(
        "/accounts/profile/", {"time_zone": "UTC", "fluid_unit": "ml", "theme": "sepia"}
    )

    assert response.status_code == 200
    assert Profile.objects.get(user=owner).theme == "auto"


def test_the_footer_says_which_time_zone_times_are_in(owner_client):
    text = owner_client.get("/").content.decode()

    assert "Times are in your time zone, Europe/Berlin" in text


# Staying signed in


def log_in(client, **fields):
    return client.post("/accounts/login/", {"username": "owner", "password": PASSWORD, **fields})


def test_keep_me_signed_in_gives_a_long_session(client, owner):
    log_in(client, remember="on")

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE == 60 * 24 * 60 * 60
    assert client.session.get_expire_at_browser_close() is False


def test_without_keep_me_signed_in_the_session_ends_with_the_browser(client, owner):
    log_in(client)

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == ""
    assert client.session.get_expire_at_browser_close() is True


def test_a_kept_session_moves_forward_on_the_first_visit_of_a_day(client, owner):
    log_in(client, remember="on")
    session = client.session
    session[KEPT_SIGNED_IN] = (timezone.localdate() - timedelta(days=3)).isoformat()
    session.save()

    first = client.get("/")
    second = client.get("/")

    assert first.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_COOKIE_NAME not in second.cookies
    assert client.session[KEPT_SIGNED_IN] == timezone.localdate().isoformat()


def test_a_session_ending_with_the_browser_is_not_moved_forward(client, owner):
    log_in(client)

    response = client.get("/")

    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_signing_in_again_without_keep_me_signed_in_ends_the_kept_session_with_the_browser(
    client, owner
):
    log_in(client, remember="on")

    log_in(client)

    assert client.session.get_expire_at_browser_close() is True
    assert KEPT_SIGNED_IN not in client.session


def test_a_passkey_sign_in_kept_signed_in_moves_forward_like_a_password_one(owner):
    browser, phone = Client(HTTP_HOST="localhost"), Authenticator()
    log_in(browser)
    add_passkey(browser, phone)
    sign_out(browser)

    sign_in_with(browser, phone, {"remember": "on"})

    assert browser.session[KEPT_SIGNED_IN] == timezone.localdate().isoformat()
    assert browser.session.get_expire_at_browser_close() is False


def test_the_login_page_offers_keep_me_signed_in_unticked(client, db):
    page = Page(client.get("/accounts/login/"))

    (box,) = page.all_with("input", name="remember")
    assert box["attrs"]["type"] == "checkbox"
    assert "checked" not in box["attrs"]


# Signing out


def test_signing_out_tells_the_browser_to_drop_its_cache(owner_client):
    response = owner_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache"'
    assert "_auth_user_id" not in owner_client.session


def test_signing_out_still_refuses_get(owner_client):
    assert owner_client.get("/accounts/logout/").status_code == 405


def test_signing_out_needs_the_token(owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)

    assert browser.post("/accounts/logout/").status_code == 403
