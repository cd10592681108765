from . import taps
from .models import Profile
from .vocabulary import Theme


def person(request):
    """What every page needs of the person: light or dark, their zone, and their owner token.

    The token tells the page's script whose the phone's queue of taps is (static/js/app.js).
    """
    # A request refused before the middleware ran (a bad Host header) has no user.
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"theme": Theme.AUTO, "tap_owner": ""}
    profile = Profile.objects.for_user(user)
    return {"theme": profile.theme, "zone": profile.time_zone, "tap_owner": taps.owner_token(user)}
