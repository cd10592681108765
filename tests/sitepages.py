"""A small, realistic site and the list of its pages, for the accessibility and HTML checks.

One person with cramps over two months, the shipped knowledge base and a content editor: every
page template is rendered with real content, signed in and signed out.
"""

import importlib
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from knowledge.models import Article, Cause, RedFlag, Tip

from .conftest import BACKEND
from .factories import EpisodeFactory, UserFactory

editors_migration = importlib.import_module("knowledge.migrations.0002_content_editors_group")
MISSING_PAGE = "/this-page-does-not-exist/"


def make_editor(username="editor"):
    editor = UserFactory(username=username, is_staff=True)
    editor.groups.add(Group.objects.get(name=editors_migration.GROUP))
    return editor


def make_diary(user, now=None):
    """Cramps on several days of this month and the month before, the newest with causes."""
    now = now or timezone.now()
    first_of_month = timezone.localtime(now).replace(day=1, hour=9, minute=0)
    earlier = [
        first_of_month - timedelta(days=days, hours=hours) for days, hours in ((3, 0), (9, 14))
    ]
    earlier += [first_of_month + timedelta(hours=12 * n) for n in range(3)]
    episodes = [
        EpisodeFactory(
            user=user,
            started_at=started_at,
            foot="left" if n % 2 else "both",
            locations=["toes"] if n % 2 else ["calf", "arch"],
            activity="walking",
            fluid_ml=2000,
        )
        for n, started_at in enumerate(started for started in earlier if started < now)
    ]
    newest = EpisodeFactory(
        user=user,
        started_at=now - timedelta(hours=1),
        foot="right",
        locations=["arch", "calf"],
        duration_seconds=240,
        intensity=8,
        fluid_ml=700,
        activity="running",
        triggers=["heavy_sweating", "intense_exercise"],
        symptoms=["woke_me", "numbness_tingling"],
        relief=["stretch"],
        relief_helped="yes",
        notes="Calf locked up at the end of a hot run.",
    )
    return [*episodes, newest]


def build_site(owner):
    """Fill the owner's diary; returns the newest episode. The knowledge base is loaded already."""
    return make_diary(owner)[-1]


def knowledge_pages():
    return [
        "/knowledge/",
        "/knowledge/search/?q=stretch",
        Cause.objects.order_by("slug").first().get_absolute_url(),
        Tip.objects.order_by("slug").first().get_absolute_url(),
        RedFlag.objects.order_by("slug").first().get_absolute_url(),
        Article.objects.order_by("slug").first().get_absolute_url(),
    ]


def signed_in_pages(episode):
    today = timezone.localdate()
    month = episode.local_date
    previous = month.replace(day=1) - timedelta(days=1)
    return [
        "/",
        "/diary/",
        "/diary/new/",
        f"/diary/{episode.pk}/",
        f"/diary/{episode.pk}/edit/",
        f"/diary/{episode.pk}/delete/",
        f"/diary/{month:%Y/%m}/",
        f"/diary/{previous:%Y/%m}/",
        f"/diary/{month:%Y}/",
        "/diary/report/",
        f"/diary/report/?start={today - timedelta(days=60)}&end={today}",
        "/diary/import/",
        "/accounts/profile/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
        "/accounts/delete/",
        *knowledge_pages(),
    ]


def expected_status(url):
    """What each listed page answers: 200, and 404 for the one that does not exist."""
    return 404 if url == MISSING_PAGE else 200


def anonymous_pages():
    return [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
        MISSING_PAGE,
        *knowledge_pages(),
    ]


def admin_pages():
    return ["/admin/", f"/admin/knowledge/tip/{Tip.objects.order_by('slug').first().pk}/change/"]


def session_cookie(user, base_url):
    """A signed-in session for `user`, as a cookie a browser context can take."""
    client = Client()
    client.force_login(user, backend=BACKEND)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}
