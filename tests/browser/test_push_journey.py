"""Turning on reminder notifications in Debian's chromium, with the permission granted by the
context.

It needs the installed app's service worker (issue 12) and chromium's own push service
(Google's), which is on the internet: without either, the test is skipped with the reason.
"""

import pytest
from playwright.sync_api import expect

from diary.models import PushSubscription
from tests.factories import UserFactory
from tests.sitepages import session_cookie

from .conftest import open_page

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DONE = "Notifications are on for this device."
WAIT_FOR_WORKER = """
() => Promise.race([
  navigator.serviceWorker.ready.then(() => true),
  new Promise((resolve) => setTimeout(() => resolve(false), 10000)),
])
"""


def test_turning_on_notifications_gives_the_server_this_browsers_subscription(
    browser, live_server, db
):
    context, page, watch = open_page(
        browser, live_server, {**PHONE_390, "permissions": ["notifications"]}
    )
    person = UserFactory(username="sleeper")
    context.add_cookies([session_cookie(person, live_server.url)])
    try:
        page.goto("/accounts/profile/")
        if not page.evaluate(WAIT_FOR_WORKER):
            pytest.skip("no service worker in this build: the installed app (issue 12) adds it")
        page.reload()
        button = page.get_by_role("button", name="Turn on notifications here")
        button.click()
        status = page.locator(".push-status")
        expect(status).not_to_be_empty(timeout=30_000)
        said = status.inner_text()
    finally:
        context.close()
    if said != DONE:
        pytest.skip(f"chromium could not subscribe without its push service: {said!r}")
    watch.check()
    subscription = PushSubscription.objects.get(user=person)
    assert subscription.endpoint.startswith("https://")
