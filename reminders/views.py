from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from diary.models import Profile

from . import tokens
from .models import Kind


@login_not_required
def confirm(request, token):
    """The link in the confirmation mail: a page with a button, which confirms the address.

    Opening the link changes nothing, so a mail scanner that follows links confirms nothing.
    """
    try:
        user_id, address = tokens.read_confirmation(token)
    except signing.SignatureExpired:
        return render(request, "reminders/confirm.html", {"expired": True}, status=400)
    except signing.BadSignature as error:
        raise Http404("No such link.") from error
    profile = Profile.objects.filter(user_id=user_id, reminder_email=address).first()
    if profile is None:
        return render(request, "reminders/confirm.html", {"replaced": True}, status=400)
    if request.method == "POST" and not profile.reminder_email_confirmed:
        profile.reminder_email_confirmed = True
        profile.save(update_fields=["reminder_email_confirmed"])
    return render(request, "reminders/confirm.html", {"profile": profile})


# RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" with no session and no CSRF
# token; the signed token in the address is what proves the request came from the message.
@csrf_exempt
@login_not_required
def unsubscribe(request, token):
    """GET asks to confirm and changes nothing; POST turns that reminder off."""
    try:
        user_id, kind = tokens.read_unsubscribe(token)
    except signing.BadSignature as error:
        raise Http404("No such link.") from error
    profile = Profile.objects.filter(user_id=user_id).first()
    if profile is None or kind not in Kind.values:
        raise Http404("No such link.")
    done = request.method == "POST"
    if done and profile.reminder_at(kind) is not None:
        profile.turn_off_reminder(kind)
    return render(
        request,
        "reminders/unsubscribe.html",
        {"kind": Kind(kind).label.lower(), "done": done, "token": token},
    )
