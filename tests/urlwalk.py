"""Every URL in the URLconf that belongs to a person, found by walking the resolver.

A new URL is checked by the privacy and CSRF tests without anyone listing it; public ones
are named here as exceptions.
"""

import re
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.utils import timezone

from diary.converters import (
    EpisodeIdConverter,
    MonthConverter,
    NightConverter,
    ShareIdConverter,
    YearConverter,
)
from diary.models import (
    AuthenticatorApp,
    CheckIn,
    Episode,
    Experiment,
    Passkey,
    Profile,
    RecoveryCode,
    ShareLink,
)
from diary.vocabulary import night_of

from .factories import PASSWORD

OWNER_NOTE = "owner-secret-note-7f3a: calf after the long walk"

# URLs anyone may open, by name (or whole namespace). Everything else in the URLconf belongs
# to a person.
PUBLIC_NAMES = {
    "home",
    "login",
    "passkey_login",
    "login_two_step",
    "passkey_options",
    "logout",
    "signup",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "admin_login",
    # A report for whoever holds the link; tests/test_share_links.py checks what it shows.
    "share",
    "web_manifest",
    "service_worker",
    "offline",
    # The links in reminder mail: the signed token in them is the proof, not a sign-in.
    "reminder_confirm",
    "reminder_unsubscribe",
}
PUBLIC_NAMESPACES = {"knowledge"}
# The admin is for staff only; test_privacy checks it on its own.
STAFF_NAMESPACES = {"admin"}
STAFF_NAMES = {"admin_view_on_site"}
# Personal URLs that are actions: they answer a GET with 405.
POST_ONLY = {
    "diary/quick/",
    "diary/shares/<share:pk>/revoke/",
    "diary/<episode:pk>/undo/",
    "diary/experiments/<int:pk>/stop/",
    "diary/experiments/<int:pk>/report/",
    "accounts/security/confirm/",
    "accounts/security/passkeys/options/",
    "accounts/security/passkeys/add/",
    "accounts/security/two-step/on/",
    "accounts/security/recovery-codes/",
    "reminders/push/",
}
# Personal URLs whose GET answers otherwise for someone signed in a while ago who has set up
# no passkey or app: the app's set-up asks them to confirm it is them first, there is no app
# to remove, and the episode's id that fill() puts in names no passkey.
GET_ANSWERS = {
    "accounts/security/app/": 302,
    "accounts/security/app/remove/": 404,
    "accounts/security/passkeys/<int:pk>/remove/": 404,
}
ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(
                pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace
            )
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.name, namespace, pattern.pattern


def personal_routes():
    routes = []
    for route, name, namespace, pattern in walk(get_resolver().url_patterns):
        full_name = f"{namespace}:{name}" if namespace else name
        if (
            namespace in PUBLIC_NAMESPACES | STAFF_NAMESPACES
            or full_name in PUBLIC_NAMES | STAFF_NAMES
        ):
            continue
        # Only path() routes can be filled in; a re_path() here would need handling.
        assert hasattr(pattern, "converters"), f"cannot fill in the regex route {route}"
        routes.append((route, dict(pattern.converters)))
    return routes


PERSONAL_ROUTES = personal_routes()


def owners_experiment(episode):
    """An experiment of the episode's owner under the episode's id, so fill() names it too."""
    return Experiment.objects.create(
        pk=episode.pk,
        user=episode.user,
        change=OWNER_NOTE,
        period_nights=7,
        starts_on=night_of(episode.local_date, episode.local_hour),
    )


def fill(route, converters, episode):
    """The route with the owner's episode, and its year and month, filled in; a share link's
    id is one of the owner's, made for the route if they have none."""
    values = {
        EpisodeIdConverter: episode.pk,
        IntConverter: episode.pk,
        YearConverter: f"{episode.local_date.year:04d}",
        MonthConverter: f"{episode.local_date.month:02d}",
        NightConverter: night_of(episode.local_date, episode.local_hour).isoformat(),
    }

    if ShareIdConverter in {type(converter) for converter in converters.values()}:
        link = ShareLink.objects.owned_by(episode.user).first()
        if link is None:
            day = episode.local_date
            link, _token = ShareLink.objects.issue(
                user=episode.user, start=day, end=day, expires_in_days=7
            )
        values[ShareIdConverter] = link.pk

    def value(match):
        converter = type(converters[match["name"]])
        assert converter in values, f"add a value for {converter.__name__} in {route}"
        return str(values[converter])

    return "/" + ROUTE_PARAMETER.sub(value, route)


def get_answer(route):
    """The status of a GET of a personal route, as fill() fills it, by its owner."""
    return GET_ANSWERS.get(route, 405 if route in POST_ONLY else 200)


def names_an_object(converters):
    return any(
        isinstance(c, EpisodeIdConverter | ShareIdConverter | IntConverter)
        for c in converters.values()
    )


def post_data(episode):
    """A plausible, valid submission for any personal form, naming the owner's things."""
    return {
        "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "duration": "2 min",
        "foot": "right",
        "locations": ["toes"],
        "intensity": "3",
        "notes": "changed by someone else",
        "time_zone": "Asia/Tokyo",
        "fluid_unit": "floz",
        "theme": "dark",
        "password": PASSWORD,
        "old_password": PASSWORD,
        "new_password1": "a brand new long password",
        "new_password2": "a brand new long password",
        "start": "2000-01-01",
        "expires_in_days": "7",
        "end": timezone.localdate().isoformat(),
        "since": (timezone.localdate() - timedelta(days=30)).isoformat(),
        "unlogged_cramps": "7",
        "sleep_disturbance": "9",
        "factors": ["alcohol"],
        "pk": episode.pk,
        "user": episode.user_id,
    }


def query_for(episode):
    return (
        f"?start=2000-01-01&end={timezone.localdate().isoformat()}"
        f"&since={(episode.local_date - timedelta(days=1)).isoformat()}"
    )


def snapshot(owner):
    user_model = get_user_model()
    return {
        "owner": list(user_model.objects.filter(pk=owner.pk).values()),
        "profile": list(Profile.objects.filter(user=owner).values()),
        "episodes": list(Episode.objects.filter(user=owner).values()),
        "checkins": list(CheckIn.objects.filter(user=owner).values()),
        "share_links": list(ShareLink.objects.filter(user=owner).values()),
        "experiments": list(Experiment.objects.filter(user=owner).values()),
        "sign-in": [
            list(model.objects.filter(user=owner).values())
            for model in (Passkey, AuthenticatorApp, RecoveryCode)
        ],
        "counts": (
            user_model.objects.count(),
            Profile.objects.count(),
            Episode.objects.count(),
        ),
    }


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()
