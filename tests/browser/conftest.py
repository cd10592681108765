"""Playwright in Debian's chromium against pytest-django's live server.

Every page a test opens is watched: a console error, a Content Security Policy violation,
an uncaught script error or a request to any host but the live server fails the test.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
MISSING_CHROMIUM = "Debian's chromium is not installed: apt-get install chromium"
CHROMIUM_ARGS = [
    # Needed to run as root in containers; the pages under test are our own.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # The CI network refuses outside connections; without these chromium keeps trying
    # to reach Google's update, sync and metrics services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
# A larger phone, held at 3 a.m.: most phones are from 360 to 390 CSS px wide.
PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


# Package scope: the browser and Playwright's event loop stop once the browser tests are
# done, so the rest of the suite runs without an event loop in its thread.
@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CRAMPLOG_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{MISSING_CHROMIUM} (CRAMPLOG_REQUIRE_BROWSER=1 forbids skipping)")
        pytest.skip(MISSING_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an asyncio loop running in this thread, and Django
        # refuses ORM calls from a thread with a running loop (the test database's flush,
        # factories, assertions). Nothing here is async: the loop only talks to chromium.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class PageWatch:
    """What went wrong in the browser while a test ran, and which hosts pages talked to."""

    def __init__(self, allowed_host):
        self.allowed_host = allowed_host
        self.problems = []
        self.hosts = set()

    def attach(self, page):
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("request", self.on_request)

    def on_console(self, message):
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text} ({message.location})")

    def on_request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"}:
            self.hosts.add(parts.netloc)

    def check(self):
        strangers = self.hosts - {self.allowed_host}
        failures = list(self.problems)
        if strangers:
            failures.append(f"requests to other hosts: {sorted(strangers)}")
        if failures:
            pytest.fail("The browser reported problems:\n" + "\n".join(failures))


def open_page(browser, live_server, context_options):
    watch = PageWatch(urlsplit(live_server.url).netloc)
    context = browser.new_context(base_url=live_server.url, **context_options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    watch.attach(page)
    return context, page, watch


@pytest.fixture
def page(browser, live_server):
    """A desktop-sized page in a fresh browser context (no cookies), with base_url set."""
    context, page, watch = open_page(browser, live_server, DESKTOP)
    yield page
    context.close()
    watch.check()


@pytest.fixture
def phone_page(browser, live_server):
    """A 360x740 touch-screen page in a fresh browser context, with base_url set."""
    context, page, watch = open_page(browser, live_server, PHONE)
    yield page
    context.close()
    watch.check()
