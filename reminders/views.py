import json

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from diary.models import Profile

from . import tokens
from .forms import PushSubscriptionForm
from .models import Kind, PushSubscription


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


@require_POST
def push_subscribe(request):
    """Keep the installed app's push subscription (JSON, as PushSubscription.toJSON() gives).

    An endpoint belongs to one browser: subscribed again by whoever is signed in there now,
    it becomes theirs.
    """
    try:
        data = json.loads(request.body)
        fields = {"endpoint": data["endpoint"], **data["keys"]}
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"errors": {"__all__": ["Send the subscription as JSON."]}}, status=400)
    form = PushSubscriptionForm(fields)
    if not form.is_valid():
        return JsonResponse({"errors": form.errors}, status=400)
    endpoint = form.cleaned_data.pop("endpoint")
    PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": request.user, **form.cleaned_data}
    )
    return JsonResponse({"subscribed": True}, status=201)
