"""Reminders: when they fall due, the signed links in their mail, and the mail itself.

When a reminder falls due is worked out in the person's own time zone, as pure functions of
the time. The links to confirm an address and to unsubscribe in one click are signed with the
secret key, so nobody can make one for another person; neither needs the person to be signed
in, because the mailbox they reach is the proof. The reminder and confirmation mails carry no
health details, only what to do next; their links are absolute, from the site's address: the
request's in the profile view, and settings.CRAMPLOG_BASE_URL in the sender, which has no
request.
"""

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format

from knowledge.models import Tip

# When a reminder falls due: pure functions of the time, nothing here reads the database.

# A reminder more than this late (the sender was down, or the mail server kept failing) is
# dropped: a stretch reminder at 3 a.m. or a check-in reminder after noon helps nobody.
STALE_AFTER = timedelta(hours=2)
# Waits after each failed attempt; after the last, the reminder is given up.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))


def due_at(day, at, zone):
    """The moment the clocks in `zone` show `at` on `day`.

    When clocks go back, the repeated time's first occurrence; when they go forward over it,
    the moment just as far past the jump (02:30 skipped becomes 03:30), so every day has
    exactly one.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def due_days(now, at, zone):
    """[(local date, due moment)] of the reminder at local time `at` that are due at `now`.

    Yesterday is looked at too, so a 23:55 reminder is still sent if the sender only gets to
    it after midnight.
    """
    today = now.astimezone(zone).date()
    days = (today - timedelta(days=1), today)
    return [
        (day, moment)
        for day in days
        if (moment := due_at(day, at, zone)) <= now < moment + STALE_AFTER
    ]


def next_try(attempts, due, now):
    """When to try again after `attempts` failed ones, or None to give up."""
    if attempts > len(RETRY_DELAYS):
        return None
    later = now + RETRY_DELAYS[attempts - 1]
    return later if later < due + STALE_AFTER else None


# The signed links in reminder mail: confirming an address, and unsubscribing in one click.

CONFIRMATION_DAYS = 3
CONFIRMATION_MAX_AGE = timedelta(days=CONFIRMATION_DAYS)
CONFIRM_SALT = "reminders.confirm"
UNSUBSCRIBE_SALT = "reminders.unsubscribe"


def confirmation_token(profile):
    """Names the person and the address, so a link for an earlier address confirms nothing."""
    return signing.dumps([profile.user_id, profile.reminder_email], salt=CONFIRM_SALT)


def read_confirmation(token):
    """(user id, address); raises signing.SignatureExpired or signing.BadSignature."""
    user_id, address = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRMATION_MAX_AGE)
    return user_id, address


def unsubscribe_token(user_id, kind):
    """The same for every message, and never expires: an unsubscribe link in an old message
    must still work (RFC 8058)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object([user_id, kind])


def read_unsubscribe(token):
    """(user id, kind); raises signing.BadSignature."""
    user_id, kind = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(token)
    return user_id, kind


# The messages.

# The shipped tip whose short text the evening reminder carries (an editor may reword it).
STRETCH_TIP = "stretch-routine"
SUBJECTS = {
    "checkin": "How was your night? Your check-in is waiting",
    "stretch": "Time for your evening stretch",
}


def reminder_email(reminder, profile, base_url):
    unsubscribe = base_url + reverse(
        "reminder_unsubscribe", args=[unsubscribe_token(profile.user_id, reminder.kind)]
    )
    context = {
        "reminder": reminder,
        "profile_url": base_url + reverse("profile"),
        "unsubscribe_url": unsubscribe,
    }
    if reminder.kind == "checkin":
        context["night"] = date_format(reminder.night, "l j F")
        context["checkin_url"] = base_url + reverse("checkin_night", args=[reminder.night])
    else:
        tip = Tip.objects.published().filter(shipped_key=STRETCH_TIP).first()
        context["tip"] = tip
        context["tip_url"] = base_url + (tip.get_absolute_url() if tip else reverse("home"))
    return EmailMessage(
        subject=SUBJECTS[reminder.kind],
        body=render_to_string(f"diary/reminder_email_{reminder.kind}.txt", context),
        to=[profile.reminder_email],
        headers={
            # RFC 8058: mail providers show an unsubscribe button that POSTs
            # "List-Unsubscribe=One-Click" to this address, without signing in.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def confirmation_email(profile, base_url):
    link = base_url + reverse("reminder_confirm", args=[confirmation_token(profile)])
    return EmailMessage(
        subject="Confirm the address for your cramplog reminders",
        body=render_to_string(
            "diary/reminder_email_confirm.txt",
            {"link": link, "days": CONFIRMATION_DAYS, "address": profile.reminder_email},
        ),
        to=[profile.reminder_email],
        headers={"Auto-Submitted": "auto-generated"},
    )


PUSH_TEXT = {
    "checkin": "Your check-in for last night is waiting: one tap if nothing happened.",
    "stretch": "A few minutes for your feet and calves before bed.",
}


def push_message(reminder):
    """What a phone shows: a title, a line and where a tap leads. No health details."""
    if reminder.kind == "checkin":
        url = reverse("checkin_night", args=[reminder.night])
    else:
        tip = Tip.objects.published().filter(shipped_key=STRETCH_TIP).first()
        url = tip.get_absolute_url() if tip else reverse("home")
    return {"title": SUBJECTS[reminder.kind], "body": PUSH_TEXT[reminder.kind], "url": url}
