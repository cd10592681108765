"""A small, realistic site and the list of its pages, for the accessibility and HTML checks.

One person with cramps over two months and four weeks of morning check-ins, the shipped
knowledge base, a content editor and drafts waiting for review: every page template is
rendered with real content, signed in and signed out.
"""

import importlib
import time
from datetime import timedelta

import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.test import Client, override_settings
from django.utils import timezone

from diary import reminders
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
from diary.views import SIGNED_IN_AT
from diary.vocabulary import last_night, night_of
from knowledge.models import Article, Cause, MatchRule, RedFlag, Revision, Tip

from .conftest import BACKEND
from .factories import PASSWORD, EpisodeFactory, UserFactory

editors_migration = importlib.import_module("knowledge.migrations.0002_content_editors_group")
MISSING_PAGE = "/this-page-does-not-exist/"
# Unknown, expired and revoked share links all answer with this one page.
MISSING_SHARE = f"/share{MISSING_PAGE}"
reviewers_migration = importlib.import_module("knowledge.migrations.0006_reviewers_group")


def group(name, codenames):
    """A group the migrations make; a transactional test's flush empties it, so make it again."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="knowledge", codename__in=codenames)
        )
    return group


def content_editors():
    codenames = [
        f"{action}_{model}"
        for model in editors_migration.MODELS
        for action in ("add", "change", "delete", "view")
    ] + [f"view_{model}" for model in editors_migration.HISTORICAL]
    return group(editors_migration.GROUP, codenames + reviewers_migration.EDITOR_CODENAMES)


def reviewers():
    return group(reviewers_migration.REVIEWERS, reviewers_migration.REVIEWER_CODENAMES)


def make_editor(username="editor", reviewer=False):
    editor = UserFactory(username=username, is_staff=True)
    editor.groups.add(content_editors(), *([reviewers()] if reviewer else []))
    return editor


def make_reviewer(username="reviewer"):
    reviewer = UserFactory(username=username, is_staff=True)
    reviewer.groups.add(reviewers())
    return reviewer


def cold_feet_rule():
    return MatchRule.objects.get(cause__slug="cold-exposure", fact="trigger_any", value="cold")


def make_drafts(author):
    """Drafts waiting for review: a tip's new wording, and a rule's weight lowered."""
    tip = Tip.objects.order_by("slug").first()
    Revision.objects.save_draft(
        Tip,
        tip.pk,
        author,
        {"summary": "Try this first.", "body": f"{tip.body}\nDrink a glass of water before bed."},
        note="Adds a bedtime habit.",
        submit=True,
    )
    Revision.objects.save_draft(
        MatchRule, cold_feet_rule().pk, author, {"weight": 10}, typo=True, submit=True
    )


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
    # Logged with a quick tap in the night: how long and how much it hurt not given.
    episodes.append(
        EpisodeFactory(
            user=user,
            started_at=now - timedelta(hours=3),
            foot="left",
            locations=["heel"],
            duration_seconds=None,
            intensity=None,
            fluid_ml=None,
            activity="",
        )
    )
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
    make_checkins(user)
    make_experiment(user)
    return [*episodes, newest]


def make_experiment(user):
    """An experiment under way: stretching, begun on the check-ins three weeks back."""
    if not Experiment.objects.filter(user=user).exists():
        Experiment.objects.create(
            user=user,
            change="Stretch feet and calves before bed",
            factor="stretched",
            period_nights=7,
            starts_on=last_night(timezone.localdate()) - timedelta(days=20),
        )


def make_checkins(user, nights=28):
    """Check-ins for the last four weeks but two, after alcohol every third night."""
    last = last_night(timezone.localdate())
    CheckIn.objects.bulk_create(
        [
            CheckIn(
                user=user,
                night=last - timedelta(days=n),
                unlogged_cramps=1 if n % 3 == 0 else 0,
                sleep_disturbance=n % 4 if n % 2 else None,
                factors=["alcohol", "cold"] if n % 3 == 0 else ["stretched"] * (n % 2),
            )
            for n in range(nights)
            if n not in (4, 11)
        ],
        # The demo people of the screenshots have check-ins already.
        ignore_conflicts=True,
    )


# The token of the owner's share link, known here so the anonymous pages can name it.
SHARE_TOKEN = "sitepages-share-token-made-for-the-page-checks"


def build_site(owner):
    """Fill the owner's diary, share two months of it and ask for reminders to an address
    waiting for its link; returns the newest episode. The knowledge base is loaded already."""
    newest = make_diary(owner)[-1]
    today = timezone.localdate()
    ShareLink.objects.create(
        user=owner,
        token_hash=ShareLink.digest(SHARE_TOKEN),
        start=today - timedelta(days=60),
        end=today,
        name="Ana",
        full_notes=True,
        expires_at=timezone.now() + timedelta(days=7),
    )
    Profile.objects.filter(user=owner).update(
        checkin_reminder_at="07:30",
        stretch_reminder_at="21:45",
        reminder_email=f"{owner.username}@mail.example",
        quiet_days=["sun"],
    )
    return newest


def reminder_pages(owner):
    """The confirmation and unsubscribe links' pages, which need no sign-in."""
    profile = Profile.objects.get(user=owner)
    return [
        f"/reminders/confirm/{reminders.confirmation_token(profile)}/",
        f"/reminders/unsubscribe/{reminders.unsubscribe_token(owner.pk, 'stretch')}/",
    ]


def add_sign_in_methods(user):
    """A passkey, an authenticator app and two-step sign-in, as the security pages show them."""
    Passkey.objects.create(
        user=user,
        name="my phone",
        credential_id="bXkgcGhvbmU",
        public_key=b"a public key",
        user_handle=b"a handle",
        last_used_at=timezone.now(),
    )
    AuthenticatorApp.objects.create(user=user, secret=AuthenticatorApp.new_secret())
    Profile.objects.filter(user=user).update(two_step=True)
    RecoveryCode.objects.replace(user)


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
    tapped = Episode.objects.filter(user=episode.user, intensity__isnull=True).first()
    return [
        "/",
        "/diary/",
        "/diary/new/",
        f"/diary/{tapped.pk}/",
        f"/diary/{episode.pk}/",
        f"/diary/{episode.pk}/logged/",
        f"/diary/{episode.pk}/edit/",
        f"/diary/{episode.pk}/delete/",
        f"/diary/{month:%Y/%m}/",
        f"/diary/{previous:%Y/%m}/",
        f"/diary/{month:%Y}/",
        "/diary/report/",
        f"/diary/report/?start={today - timedelta(days=60)}&end={today}",
        f"/diary/report/?start={today - timedelta(days=60)}&end={today}&name=Ana&full_notes=on",
        "/diary/shares/",
        "/diary/checkin/",
        f"/diary/checkin/{night_of(episode.local_date, episode.local_hour)}/",
        f"/diary/checkin/{last_night(today) - timedelta(days=4)}/",
        "/diary/insights/",
        "/diary/experiments/",
        "/diary/experiments/new/",
        Experiment.objects.filter(user=episode.user).first().get_absolute_url(),
        "/diary/import/",
        "/accounts/profile/",
        "/accounts/password_change/",
        "/accounts/password_change/done/",
        "/accounts/delete/",
        *reminder_pages(episode.user),
        *security_pages(episode.user),
        *knowledge_pages(),
    ]


def expected_status(url):
    """What each listed page answers: 200, and 404 for those that do not exist."""
    return 404 if url in {MISSING_PAGE, MISSING_SHARE} else 200


def security_pages(user):
    """The security pages of someone with add_sign_in_methods() done."""
    passkey = Passkey.objects.filter(user=user).first()
    return [
        "/accounts/security/",
        f"/accounts/security/passkeys/{passkey.pk}/remove/",
        "/accounts/security/app/remove/",
        "/accounts/security/two-step/off/",
    ]


def anonymous_pages():
    return [
        "/",
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/MQ/set-password/",
        "/accounts/reset/done/",
        "/offline/",
        MISSING_PAGE,
        f"/share/{SHARE_TOKEN}/",
        MISSING_SHARE,
        *knowledge_pages(),
    ]


def admin_pages():
    """The admin as a content editor who is also a reviewer sees it, after make_drafts()."""
    tip = Tip.objects.order_by("slug").first()
    tip_draft = Revision.objects.of(Tip, tip.pk).get()
    rule_draft = Revision.objects.of(MatchRule, cold_feet_rule().pk).get()
    return [
        "/admin/",
        f"/admin/knowledge/tip/{tip.pk}/change/",
        f"/admin/knowledge/tip/{tip.pk}/history/{tip.history.earliest('history_date').pk}/",
        f"/admin/knowledge/matchrule/{rule_draft.object_id}/change/",
        "/admin/knowledge/revision/",
        f"/admin/knowledge/revision/{tip_draft.pk}/change/",
        f"/admin/knowledge/revision/{rule_draft.pk}/change/",
        f"/admin/knowledge/revision/{tip_draft.pk}/preview/",
    ]


def refusal_pages(owner, episode):
    """The pages that refuse a request, as (name, response), each got the way a visitor would.

    They answer a POST, so they are not in the lists of addresses above; the browser tests
    reach the 429 and two-tabs pages through their forms (tests/browser/test_refusal_pages.py).
    """
    visitor = Client()
    too_large = visitor.generic(
        "POST", "/diary/import/", CONTENT_LENGTH=str(settings.REQUEST_MAX_BYTES + 1)
    )
    with override_settings(CRAMPLOG_LOGIN_FAILURES_PER_HOUR=1):
        for _ in range(2):
            too_many = visitor.post("/accounts/login/", {"username": "x", "password": "wrong"})
    owner_client = Client()
    owner_client.force_login(owner, backend=BACKEND)
    stale_tab = owner_client.post(
        f"/diary/{episode.pk}/edit/",
        {
            "version": "2000-01-01T00:00:00+00:00",
            "started_at": f"{timezone.localtime(episode.started_at):%Y-%m-%dT%H:%M}",
            "duration": "90",
            "foot": "left",
            "locations": ["arch"],
            "intensity": "3",
            "notes": "from a stale tab",
        },
    )
    night = last_night(timezone.localdate())
    checkin_errors = owner_client.post(
        f"/diary/checkin/{night}/",
        {"unlogged_cramps": "51", "sleep_disturbance": "11", "factors": ["dancing"]},
    )
    future_night = owner_client.get(f"/diary/checkin/{night + timedelta(days=2)}/")
    reminder_errors = owner_client.post(
        "/accounts/profile/",
        {
            "time_zone": "Europe/Berlin",
            "fluid_unit": "ml",
            "checkin_reminder_at": "7.30",
            "reminder_email": "not an address",
            "pause_days": "400",
        },
    )
    profile = Profile.objects.get(user=owner)
    stale_link = visitor.get(f"/reminders/confirm/{stale_confirmation_token(profile)}/")
    statuses = [r.status_code for r in (too_large, too_many, stale_tab, checkin_errors)]
    statuses += [r.status_code for r in (future_night, reminder_errors, stale_link)]
    assert statuses == [413, 429, 200, 200, 400, 200, 400]
    return [
        ("413", too_large),
        ("429", too_many),
        ("two-tabs", stale_tab),
        ("checkin-errors", checkin_errors),
        ("future-night", future_night),
        ("reminder-errors", reminder_errors),
        ("stale-confirmation", stale_link),
    ]


def stale_confirmation_token(profile):
    """A confirmation link that has outlived its days."""
    with time_machine.travel(timezone.now() - reminders.CONFIRMATION_MAX_AGE - timedelta(hours=1)):
        return reminders.confirmation_token(profile)


def signed_in_client(user):
    """A client at http://localhost (where passkeys work) signed in as `user` just now."""
    client = Client(HTTP_HOST="localhost")
    client.force_login(user, backend=BACKEND)
    session = client.session
    session[SIGNED_IN_AT] = time.time()
    session.save()
    return client


def session_cookie(user, base_url):
    """A signed-in session for `user`, as a cookie a browser context can take."""
    client = signed_in_client(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}


def sign_in_step_pages(owner):
    """Sign-in pages reached in the middle of something, as (name, response).

    The owner has add_sign_in_methods() done: the second step after their password, the
    recovery codes shown once, the security page a while after signing in, a passkey refused
    at the login page, and the authenticator app's set-up for someone without one.
    """
    # From an address of their own: refusal_pages() spends the allowance of 127.0.0.1.
    visitor = Client(HTTP_HOST="localhost", REMOTE_ADDR="192.0.2.10")
    visitor.post("/accounts/login/", {"username": owner.get_username(), "password": PASSWORD})
    second_step = visitor.get("/accounts/login/two-step/")
    owner_client = signed_in_client(owner)
    codes = owner_client.post("/accounts/security/recovery-codes/")
    session = owner_client.session
    session[SIGNED_IN_AT] = 0
    session.save()
    confirm_first = owner_client.get("/accounts/security/")
    stranger = Client(HTTP_HOST="localhost", REMOTE_ADDR="192.0.2.11")
    stranger.post("/accounts/passkeys/options/", {"purpose": "sign-in"})
    refused = stranger.post("/accounts/login/passkey/", {"credential": "{}"})
    app_setup = signed_in_client(UserFactory(username="newcomer")).get("/accounts/security/app/")
    pages = [
        ("second-step", second_step),
        ("recovery-codes", codes),
        ("security-confirm-first", confirm_first),
        ("passkey-refused", refused),
        ("app-setup", app_setup),
    ]
    assert {name: response.status_code for name, response in pages} == dict.fromkeys(
        (name for name, _ in pages), 200
    )
    return pages
