"""The reminder and confirmation mails. They carry no health details, only what to do next.

Links are absolute, from the site's address: the request's in the profile view, and
settings.CRAMPLOG_BASE_URL in the sender, which has no request.
"""

from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format

from knowledge.models import Tip

from . import tokens

# The shipped tip whose short text the evening reminder carries (an editor may reword it).
STRETCH_TIP = "stretch-routine"
SUBJECTS = {
    "checkin": "How was your night? Your check-in is waiting",
    "stretch": "Time for your evening stretch",
}


def reminder_email(reminder, profile, base_url):
    unsubscribe = base_url + reverse(
        "reminders:unsubscribe", args=[tokens.unsubscribe_token(profile.user_id, reminder.kind)]
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
        body=render_to_string(f"reminders/email_{reminder.kind}.txt", context),
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
    link = base_url + reverse("reminders:confirm", args=[tokens.confirmation_token(profile)])
    return EmailMessage(
        subject="Confirm the address for your cramplog reminders",
        body=render_to_string(
            "reminders/email_confirm.txt",
            {"link": link, "days": tokens.CONFIRMATION_DAYS, "address": profile.reminder_email},
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
