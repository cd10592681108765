"""Reminders by e-mail: chosen in the profile, confirmed, sent once when due, easy to stop.

Mail goes to Django's in-memory outbox here, and to a real SMTP server on 127.0.0.1 in
test_reminder_delivery.py.
"""

import io
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import signing
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from diary import reminders
from diary.models import CheckIn, Profile, Reminder, ReminderStatus

from .conftest import BACKEND
from .factories import EpisodeFactory, UserFactory
from .htmlpage import Page

BERLIN = ZoneInfo("Europe/Berlin")
PROFILE_QUERIES = 2
PAGE_QUERIES = 1
LINK = re.compile(r"http://testserver(/reminders/confirm/[^/\s]+/)")


def person(username="ana", zone="Europe/Berlin", checkin="07:30", stretch=None, **fields):
    """Someone with a confirmed address and the reminders asked for (HH:MM, local)."""
    user = UserFactory(username=username)
    Profile.objects.filter(user=user).update(
        **{
            "time_zone": zone,
            "checkin_reminder_at": checkin and time.fromisoformat(checkin),
            "stretch_reminder_at": stretch and time.fromisoformat(stretch),
            "reminder_email": f"{username}@mail.example",
            "reminder_email_confirmed": True,
            **fields,
        }
    )
    return user


def send_at(moment):
    """Run `send_reminders --once` with the clock at `moment`; the command's output."""
    out = io.StringIO()
    with time_machine.travel(moment, tick=False):
        call_command("send_reminders", "--once", stdout=out)
    return out.getvalue()


def berlin(*args):
    return datetime(*args, tzinfo=BERLIN)


def profile_post(**changes):
    data = {"time_zone": "Europe/Berlin", "fluid_unit": "ml", "theme": "auto", **changes}
    return {key: value for key, value in data.items() if value is not None}


# The profile: choosing reminders, and confirming the address.


def test_the_profile_form_has_the_reminder_fields_by_their_contract_names(owner_client):
    page = Page(owner_client.get("/accounts/profile/"))

    assert page.by_id("id_checkin_reminder_at")["attrs"]["name"] == "checkin_reminder_at"
    assert page.by_id("id_checkin_reminder_at")["attrs"]["type"] == "time"
    assert page.by_id("id_stretch_reminder_at")["attrs"]["name"] == "stretch_reminder_at"
    assert page.by_id("id_reminder_email")["attrs"]["type"] == "email"
    assert [e["attrs"]["value"] for e in page.all_with("input", name="quiet_days")] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
        "sat",
        "sun",
    ]


def test_saving_an_address_sends_a_confirmation_link_and_nothing_else(
    owner_client, owner, mailoutbox
):
    response = owner_client.post(
        "/accounts/profile/",
        profile_post(
            checkin_reminder_at="07:30",
            stretch_reminder_at="21:45",
            reminder_email="ana@mail.example",
            quiet_days=["sat", "sun"],
        ),
        follow=True,
    )

    profile = Profile.objects.get(user=owner)
    assert response.redirect_chain == [("/accounts/profile/", 302)]
    assert (profile.checkin_reminder_at, profile.stretch_reminder_at) == (time(7, 30), time(21, 45))
    assert profile.quiet_days == ["sat", "sun"]
    assert profile.reminder_email == "ana@mail.example"
    assert profile.reminder_email_confirmed is False
    assert "We sent a link to ana@mail.example" in response.content.decode()
    assert "Not confirmed yet" in Page(response).text_of("id_reminder_email_helptext")
    [mail] = mailoutbox
    assert mail.to == ["ana@mail.example"]
    assert mail.subject == "Confirm the address for your cramplog reminders"
    assert LINK.search(mail.body)


def test_saving_the_profile_again_sends_no_second_link(owner_client, owner, mailoutbox):
    data = profile_post(reminder_email="ana@mail.example", checkin_reminder_at="07:30")
    owner_client.post("/accounts/profile/", data)
    owner_client.post("/accounts/profile/", {**data, "stretch_reminder_at": "22:00"})

    assert len(mailoutbox) == 1


def test_the_link_opens_a_page_that_changes_nothing_and_its_button_confirms(
    client, owner_client, owner, mailoutbox
):
    owner_client.post("/accounts/profile/", profile_post(reminder_email="ana@mail.example"))
    owner_client.logout()
    path = LINK.search(mailoutbox[0].body).group(1)

    opened = client.get(path)
    assert opened.status_code == 200
    assert Profile.objects.get(user=owner).reminder_email_confirmed is False
    assert "Yes, this is my address" in opened.content.decode()

    confirmed = client.post(path)
    assert confirmed.status_code == 200
    assert Profile.objects.get(user=owner).reminder_email_confirmed is True
    assert "reminders can now go to" in confirmed.content.decode()


def test_a_link_for_an_earlier_address_confirms_nothing(client, owner_client, owner, mailoutbox):
    owner_client.post("/accounts/profile/", profile_post(reminder_email="old@mail.example"))
    owner_client.post("/accounts/profile/", profile_post(reminder_email="new@mail.example"))
    old_link = LINK.search(mailoutbox[0].body).group(1)

    response = client.post(old_link)

    assert response.status_code == 400
    assert "no longer the one in the profile" in response.content.decode()
    assert Profile.objects.get(user=owner).reminder_email_confirmed is False


def test_changing_a_confirmed_address_needs_a_new_confirmation(owner_client, owner, mailoutbox):
    Profile.objects.filter(user=owner).update(
        reminder_email="ana@mail.example", reminder_email_confirmed=True
    )

    owner_client.post("/accounts/profile/", profile_post(reminder_email="ana@other.example"))

    assert Profile.objects.get(user=owner).reminder_email_confirmed is False
    assert mailoutbox[0].to == ["ana@other.example"]


def test_a_confirmation_link_expires_after_three_days(client, owner, mailoutbox):
    Profile.objects.filter(user=owner).update(reminder_email="ana@mail.example")
    token = reminders.confirmation_token(Profile.objects.get(user=owner))

    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1)):
        response = client.post(f"/reminders/confirm/{token}/")

    assert response.status_code == 400
    assert "too old" in response.content.decode()
    assert Profile.objects.get(user=owner).reminder_email_confirmed is False


def test_a_made_up_or_altered_link_is_not_found(client, owner):
    Profile.objects.filter(user=owner).update(reminder_email="ana@mail.example")
    forged = signing.dumps([owner.pk, "ana@mail.example"], key="not the secret key", salt="x")
    token = reminders.confirmation_token(Profile.objects.get(user=owner))

    assert client.post(f"/reminders/confirm/{forged}/").status_code == 404
    assert client.post(f"/reminders/confirm/{token[:-2]}xx/").status_code == 404
    assert client.post(f"/reminders/unsubscribe/{token}/").status_code == 404
    assert Profile.objects.get(user=owner).reminder_email_confirmed is False


@override_settings(CRAMPLOG_CONFIRMATIONS_PER_HOUR=2)
def test_changing_the_address_back_and_forth_cannot_flood_a_mailbox(
    owner_client, owner, mailoutbox
):
    for address in ("a@mail.example", "b@mail.example"):
        owner_client.post("/accounts/profile/", profile_post(reminder_email=address))

    response = owner_client.post("/accounts/profile/", profile_post(reminder_email="c@x.example"))

    assert response.status_code == 200
    assert "enough confirmation links" in Page(response).field_error("reminder_email")
    assert Profile.objects.get(user=owner).reminder_email == "b@mail.example"
    assert len(mailoutbox) == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"checkin_reminder_at": "7.30"}, "checkin_reminder_at", "HH:MM on a 24-hour clock"),
        ({"stretch_reminder_at": "25:00"}, "stretch_reminder_at", "HH:MM on a 24-hour clock"),
        ({"stretch_reminder_at": "9pm"}, "stretch_reminder_at", "HH:MM on a 24-hour clock"),
        ({"reminder_email": "not an address"}, "reminder_email", "valid email address"),
        ({"pause_days": "366"}, "pause_days", "less than or equal to 365"),
        ({"pause_days": "-1"}, "pause_days", "greater than or equal to 0"),
    ],
)
def test_bad_reminder_settings_are_refused_next_to_the_field(
    owner_client, owner, mailoutbox, changes, field, message
):
    response = owner_client.post(
        "/accounts/profile/",
        profile_post(
            **{"checkin_reminder_at": "07:30", "reminder_email": "a@b.example", **changes}
        ),
    )

    assert response.status_code == 200
    assert message in Page(response).field_error(field)
    profile = Profile.objects.get(user=owner)
    assert (profile.checkin_reminder_at, profile.reminder_email) == (None, "")
    assert mailoutbox == []


def test_an_unknown_quiet_day_is_refused(owner_client, owner):
    response = owner_client.post("/accounts/profile/", profile_post(quiet_days=["funday"]))

    assert response.status_code == 200
    assert "funday is not one of the available choices" in response.content.decode()
    assert Profile.objects.get(user=owner).quiet_days == []


def test_a_pause_lasts_the_days_asked_for_and_zero_ends_it(owner_client, owner):
    with time_machine.travel(berlin(2026, 12, 1, 20, 0), tick=False):
        response = owner_client.post(
            "/accounts/profile/", profile_post(pause_days="3"), follow=True
        )
    assert Profile.objects.get(user=owner).reminders_paused_until == date(2026, 12, 4)
    assert "start again on Friday 4 December 2026" in response.content.decode()

    owner_client.post("/accounts/profile/", profile_post(pause_days="0"))
    assert Profile.objects.get(user=owner).reminders_paused_until is None


def test_the_reminder_pages_need_no_sign_in_and_the_profile_does(client, owner):
    token = reminders.unsubscribe_token(owner.pk, "stretch")

    assert client.get("/accounts/profile/").status_code == 302
    assert client.get(f"/reminders/unsubscribe/{token}/").status_code == 200


def test_the_profile_page_takes_the_same_queries_however_long_the_diary(
    owner_client, owner, django_assert_num_queries
):
    with django_assert_num_queries(PROFILE_QUERIES):
        owner_client.get("/accounts/profile/")
    EpisodeFactory.create_batch(30, user=owner)
    Reminder.objects.bulk_create(
        Reminder(user=owner, kind="checkin", day=date(2026, 1, n), due_at=timezone.now(),
                 next_try_at=timezone.now())
        for n in range(1, 31)
    )  # fmt: skip
    with django_assert_num_queries(PROFILE_QUERIES):
        owner_client.get("/accounts/profile/")


# Sending: due in each person's own time, once.


def test_the_morning_reminder_is_sent_at_its_local_time_and_once(db, mailoutbox):
    person("ana", checkin="07:30")

    send_at(berlin(2026, 12, 2, 7, 29))
    assert mailoutbox == []
    send_at(berlin(2026, 12, 2, 7, 30))
    send_at(berlin(2026, 12, 2, 7, 31))
    send_at(berlin(2026, 12, 2, 9, 0))

    [mail] = mailoutbox
    assert mail.to == ["ana@mail.example"]
    assert mail.subject == "How was your night? Your check-in is waiting"
    assert "http://127.0.0.1:8000/diary/checkin/2026-12-01/" in mail.body
    assert "night of Tuesday 1 December" in mail.body
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.day, reminder.attempts) == (
        ReminderStatus.SENT,
        date(2026, 12, 2),
        1,
    )
    assert reminder.sent_at == berlin(2026, 12, 2, 7, 30)


def test_each_person_gets_theirs_at_their_own_local_time(db, mailoutbox):
    person("tokyo", zone="Asia/Tokyo", checkin="07:30")
    person("la", zone="America/Los_Angeles", checkin="07:30")

    # 07:30 in Tokyo on 2 December is 22:30 UTC on 1 December; in Los Angeles, 15:30 UTC.
    send_at(datetime(2026, 12, 1, 22, 30, tzinfo=UTC))
    assert [m.to for m in mailoutbox] == [["tokyo@mail.example"]]
    send_at(datetime(2026, 12, 2, 15, 29, tzinfo=UTC))
    assert len(mailoutbox) == 1
    send_at(datetime(2026, 12, 2, 15, 30, tzinfo=UTC))
    assert [m.to for m in mailoutbox] == [["tokyo@mail.example"], ["la@mail.example"]]


def every_ten_minutes(first, last):
    moment = first
    while moment <= last:
        yield moment
        moment += timedelta(minutes=10)


@pytest.mark.parametrize(
    ("day", "at", "sent_utc"),
    [
        # Clocks go forward at 02:00 on 29 March 2026 in Berlin: 07:30 is 05:30 UTC, not 06:30.
        (date(2026, 3, 29), "07:30", datetime(2026, 3, 29, 5, 30, tzinfo=UTC)),
        # 02:30 does not happen that night: sent when it would have, 03:30 summer time.
        (date(2026, 3, 29), "02:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
        # Clocks go back at 03:00 on 25 October 2026: 07:30 is 06:30 UTC.
        (date(2026, 10, 25), "07:30", datetime(2026, 10, 25, 6, 30, tzinfo=UTC)),
        # 02:30 happens twice that night: sent at the first, not again an hour later.
        (date(2026, 10, 25), "02:30", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ],
)
def test_on_daylight_saving_days_a_reminder_is_sent_once_at_its_local_time(
    db, mailoutbox, day, at, sent_utc
):
    person("ana", checkin=None, stretch=at)
    start = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=3)

    for moment in every_ten_minutes(start, start + timedelta(hours=30)):
        send_at(moment)

    sent = dict(Reminder.objects.filter(status=ReminderStatus.SENT).values_list("day", "sent_at"))
    assert sent[day] == sent_utc
    # One a day: the rows are unique per day, and there were as many mails as rows.
    assert len(mailoutbox) == len(sent) == Reminder.objects.count()


def test_no_morning_reminder_when_last_night_has_its_check_in(db, mailoutbox):
    ana = person("ana", checkin="07:30")
    CheckIn.objects.create(user=ana, night=date(2026, 12, 1))

    send_at(berlin(2026, 12, 2, 7, 30))

    assert mailoutbox == []
    assert Reminder.objects.get().status == ReminderStatus.SKIPPED


def test_the_evening_reminder_carries_the_stretch_tip_and_no_health_details(knowledge, mailoutbox):
    ana = person("ana", checkin=None, stretch="21:45")
    EpisodeFactory(
        user=ana,
        started_at=berlin(2026, 12, 2, 3, 0),
        intensity=9,
        notes="private: after the party",
    )
    CheckIn.objects.create(user=ana, night=date(2026, 12, 1), unlogged_cramps=4)

    send_at(berlin(2026, 12, 2, 21, 45))

    [mail] = mailoutbox
    assert mail.subject == "Time for your evening stretch"
    assert "especially before bed, reduce how often cramps happen" in mail.body
    assert "http://127.0.0.1:8000/knowledge/tips/stretch-routine/" in mail.body
    text = re.sub(r"http\S+", "", f"{mail.subject}\n{mail.body}")
    for detail in ("party", "private", "4", "9", "pain", "cramp count"):
        assert detail not in text


def test_every_reminder_mail_has_a_one_click_unsubscribe(db, mailoutbox):
    ana = person("ana", checkin="07:30")

    send_at(berlin(2026, 12, 2, 7, 30))

    headers = mailoutbox[0].extra_headers
    token = reminders.unsubscribe_token(ana.pk, "checkin")
    assert headers["List-Unsubscribe"] == (
        f"<http://127.0.0.1:8000/reminders/unsubscribe/{token}/>"
    )
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"/reminders/unsubscribe/{token}/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"reminder_email_confirmed": False}, "an unconfirmed address"),
        ({"quiet_days": ["wed"]}, "a quiet Wednesday"),
        ({"reminders_paused_until": date(2026, 12, 3)}, "paused until Thursday"),
    ],
)
def test_nothing_is_sent_to_an_unconfirmed_address_on_quiet_days_or_while_paused(
    db, mailoutbox, fields, why
):
    person("ana", checkin="07:30", stretch="21:00", **fields)

    send_at(berlin(2026, 12, 2, 7, 30))  # a Wednesday
    send_at(berlin(2026, 12, 2, 21, 0))

    assert mailoutbox == [], why
    assert not Reminder.objects.exists()


def test_a_pause_ends_on_the_day_it_names(db, mailoutbox):
    person("ana", checkin="07:30", reminders_paused_until=date(2026, 12, 3))

    send_at(berlin(2026, 12, 3, 7, 30))

    assert len(mailoutbox) == 1


def test_a_reminder_the_sender_missed_by_hours_is_not_sent_late(db, mailoutbox):
    person("ana", checkin="07:30")

    send_at(berlin(2026, 12, 2, 9, 31))

    assert mailoutbox == []


def test_a_late_evening_reminder_is_still_sent_just_after_midnight(db, mailoutbox):
    person("ana", checkin=None, stretch="23:55")

    send_at(berlin(2026, 12, 3, 0, 10))

    assert len(mailoutbox) == 1
    assert Reminder.objects.get().day == date(2026, 12, 2)


def test_turning_a_reminder_off_stops_it_even_once_due(db, mailoutbox):
    ana = person("ana", checkin="07:30")
    with time_machine.travel(berlin(2026, 12, 2, 7, 30), tick=False):
        Reminder.objects.make_due(timezone.now())
    Profile.objects.filter(user=ana).update(checkin_reminder_at=None)

    send_at(berlin(2026, 12, 2, 7, 31))

    assert mailoutbox == []
    assert Reminder.objects.get().status == ReminderStatus.SKIPPED


def test_a_deleted_account_takes_its_reminders_with_it(db, mailoutbox):
    ana = person("ana", checkin="07:30")
    with time_machine.travel(berlin(2026, 12, 2, 7, 30), tick=False):
        Reminder.objects.make_due(timezone.now())

    Profile.objects.get(user=ana).delete_account()

    assert not Reminder.objects.exists()


# Unsubscribing in one click, signed out (RFC 8058).


def test_one_click_unsubscribe_turns_that_reminder_off_without_signing_in(client, db):
    ana = person("ana", checkin="07:30", stretch="21:00")
    token = reminders.unsubscribe_token(ana.pk, "stretch")

    response = client.post(
        f"/reminders/unsubscribe/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    profile = Profile.objects.get(user=ana)
    assert (profile.stretch_reminder_at, profile.checkin_reminder_at) == (None, time(7, 30))


def test_a_mail_provider_unsubscribes_with_no_cookie_and_no_csrf_token(db):
    ana = person("ana", checkin="07:30")
    provider = Client(enforce_csrf_checks=True)

    response = provider.post(
        f"/reminders/unsubscribe/{reminders.unsubscribe_token(ana.pk, 'checkin')}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert Profile.objects.get(user=ana).checkin_reminder_at is None


def test_the_confirmation_button_works_in_a_browser_that_checks_csrf(owner):
    Profile.objects.filter(user=owner).update(reminder_email="ana@mail.example")
    path = f"/reminders/confirm/{reminders.confirmation_token(Profile.objects.get(user=owner))}/"
    browser = Client(enforce_csrf_checks=True)

    page = Page(browser.get(path))
    [token] = [e["attrs"]["value"] for e in page.all_with("input", name="csrfmiddlewaretoken")]
    assert browser.post(path).status_code == 403
    response = browser.post(path, {"csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert Profile.objects.get(user=owner).reminder_email_confirmed is True


def test_opening_the_unsubscribe_link_asks_first_and_changes_nothing(client, db):
    ana = person("ana", checkin="07:30")
    token = reminders.unsubscribe_token(ana.pk, "checkin")

    response = client.get(f"/reminders/unsubscribe/{token}/")

    assert response.status_code == 200
    assert "Stop the morning check-in reminder?" in response.content.decode()
    form = Page(response).all_with("form", method="post")
    assert [f["attrs"]["action"] for f in form] == [f"/reminders/unsubscribe/{token}/"]
    assert Profile.objects.get(user=ana).checkin_reminder_at == time(7, 30)


def test_the_unsubscribe_button_works_signed_in_as_someone_else(client, db):
    ana = person("ana", checkin="07:30")
    client.force_login(UserFactory(username="stranger"), backend=BACKEND)

    response = client.post(
        f"/reminders/unsubscribe/{reminders.unsubscribe_token(ana.pk, 'checkin')}/"
    )

    assert response.status_code == 200
    assert Profile.objects.get(user=ana).checkin_reminder_at is None
    assert "The morning check-in reminder is off" in response.content.decode()


def test_the_reminder_pages_take_the_same_queries_for_everyone(
    client, db, django_assert_num_queries
):
    ana = person("ana", checkin="07:30")
    Profile.objects.filter(user=ana).update(reminder_email_confirmed=False)
    EpisodeFactory.create_batch(10, user=ana)
    unsubscribe = f"/reminders/unsubscribe/{reminders.unsubscribe_token(ana.pk, 'checkin')}/"
    confirm = f"/reminders/confirm/{reminders.confirmation_token(Profile.objects.get(user=ana))}/"

    for path in (unsubscribe, confirm):
        with django_assert_num_queries(PAGE_QUERIES):
            assert client.get(path).status_code == 200
