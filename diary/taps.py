"""Taps that must not be lost: whose they are, and those kept while the person is signed out.

A page made for someone carries their owner token, and a tap posted from it is saved into that
person's diary only. A logging form posted after the session ended (a page left open
overnight) is kept in the new, anonymous session and saved when its owner signs in again, at
the time of the tap.
"""

from datetime import datetime

from django.core import signing
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

OWNER_SALT = "cramplog.diary.taps.owner"
KEPT = "kept_taps"
# Enough for a bad night, and a bound on what a signed-out session can be made to hold.
MAX_KEPT = 20


def owner_token(user):
    """Names the account a page was made for, in that page and in the phone's queue.

    The same for every page of one account (no timestamp), so the phone can compare them.
    """
    return signing.Signer(salt=OWNER_SALT).sign(str(user.pk)) if user.is_authenticated else ""


def owner_of(token):
    """The account id a token names, or None for an empty or forged one."""
    try:
        return int(signing.Signer(salt=OWNER_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def check_owner(token, user):
    """Refuse a tap made on a page of another account; a post without a token is the user's."""
    if token and owner_of(token) != user.pk:
        raise ValidationError(
            "This cramp was tapped on a page of another account, so it was not saved in yours. "
            "Sign in to that account to save it.",
            code="other_account",
        )


def keep(request, form_name):
    """Keep a logging form posted while signed out; False when it cannot be kept.

    Only a post from a page made for someone (a valid owner token) is kept, at most MAX_KEPT.
    """
    data = request.POST.copy()
    data.pop("csrfmiddlewaretoken", None)
    kept = request.session.get(KEPT, [])
    if owner_of(data.get("owner", "")) is None or len(kept) >= MAX_KEPT:
        return False
    posted = {"form": form_name, "data": dict(data.lists()), "at": timezone.now().isoformat()}
    request.session[KEPT] = [*kept, posted]
    return True


def take(request):
    """The kept forms, removed from the session: (form name, data, when it was posted)."""
    return [
        (posted["form"], form_data(posted["data"]), datetime.fromisoformat(posted["at"]))
        for posted in request.session.pop(KEPT, [])
    ]


def form_data(lists):
    """A form's data as it was posted, from the {name: [values]} a session can hold."""
    data = QueryDict(mutable=True)
    for name, values in lists.items():
        data.setlist(name, values)
    return data
