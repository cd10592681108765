from django.utils import timezone

from .models import Profile


class TimezoneMiddleware:
    """Show and read every date and time in the signed-in person's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            timezone.activate(Profile.objects.for_user(request.user).zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


# In a session whose person ticked "Keep me signed in": the day it was last moved forward.
KEPT_SIGNED_IN = "kept_signed_in_on"


def keep_signed_in(request, remember):
    """At sign-in (diary.views.sign_in): a session for SESSION_COOKIE_AGE, moved forward on
    use, or one that ends with the browser."""
    request.session.set_expiry(None if remember else 0)
    if remember:
        request.session[KEPT_SIGNED_IN] = timezone.localdate().isoformat()
    else:
        request.session.pop(KEPT_SIGNED_IN, None)


class KeepSignedInMiddleware:
    """Move a kept session's end forward on the first request of each day it is used.

    Saving the session sets its expiry (and the cookie's) a whole SESSION_COOKIE_AGE from
    now; doing it once a day, not on every request, spares a database write per page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        day = request.session.get(KEPT_SIGNED_IN)
        today = timezone.localdate().isoformat()
        if day is not None and day != today and request.user.is_authenticated:
            request.session[KEPT_SIGNED_IN] = today
        return self.get_response(request)
