"""Reminders turned on in Debian's chromium on a phone: by e-mail from the profile to the
check-in the reminder links to."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import Profile
from tests.factories import UserFactory
from tests.sitepages import session_cookie
from tests.test_reminders import send_at

from .conftest import open_page

pytestmark = pytest.mark.browser

PHONE_390 = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_a_person_turns_on_both_reminders_confirms_the_address_and_gets_them(
    browser, live_server, db
):
    context, page, watch = open_page(browser, live_server, PHONE_390)
    person = UserFactory(username="sleeper")
    context.add_cookies([session_cookie(person, live_server.url)])
    page.goto("/accounts/profile/")
    page.get_by_label("Morning check-in reminder").fill("07:30")
    page.get_by_label("Evening stretch reminder").fill("21:45")
    page.get_by_label("Send reminders by e-mail to").fill("sleeper@mail.example")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("We sent a link to sleeper@mail.example")).to_be_visible()

    [confirmation] = mail.outbox
    link = re.search(r"https?://\S+(/reminders/confirm/\S+/)", confirmation.body).group(1)
    page.goto(link)
    page.get_by_role("button", name="Yes, this is my address").click()
    expect(page.get_by_text("reminders can now go to sleeper@mail.example")).to_be_visible()

    berlin = ZoneInfo("Europe/Berlin")
    today = timezone.localtime(timezone=berlin).date()
    send_at(datetime(today.year, today.month, today.day, 7, 30, tzinfo=berlin))
    [reminder] = mail.outbox[1:]
    night = today - timedelta(days=1)
    checkin = re.search(r"https?://\S+(/diary/checkin/\S+/)", reminder.body).group(1)
    assert checkin == f"/diary/checkin/{night}/"
    page.goto(checkin)
    expect(page.get_by_role("heading", level=1)).to_contain_text("night")
    context.close()
    watch.check()

    # The mail provider's one-click unsubscribe, with no cookie.
    unsubscribe = reminder.extra_headers["List-Unsubscribe"].strip("<>")
    response = Client().post(unsubscribe.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200
    profile = Profile.objects.get(user=person)
    assert profile.checkin_reminder_at is None
    assert profile.stretch_reminder_at is not None
