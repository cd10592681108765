import functools
import hashlib
import json
import secrets
import time
from datetime import date, timedelta

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.formats import date_format
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import ngettext
from django.views import csrf
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from knowledge.models import ContentVersion

from . import (
    advice,
    csvio,
    experiments,
    limits,
    nights,
    passkeys,
    patterns,
    push,
    reminders,
    stats,
    taps,
)
from .forms import (
    AuthenticatorAppForm,
    CheckInForm,
    ConfirmForm,
    DeleteAccountForm,
    EpisodeFilterForm,
    EpisodeForm,
    ExperimentForm,
    ExportRangeForm,
    ImportForm,
    LoginForm,
    NightForm,
    PasskeyForm,
    PasswordResetForm,
    ProfileForm,
    PushSubscriptionForm,
    QuickLogForm,
    ReportForm,
    SecondStepForm,
    ShareForm,
    SignupForm,
    YearCompareForm,
)
from .middleware import keep_signed_in
from .models import (
    AuthenticatorApp,
    CheckIn,
    Episode,
    Experiment,
    Passkey,
    PendingImport,
    Profile,
    PushSubscription,
    RecoveryCode,
    ShareLink,
)
from .vocabulary import (
    FIRST_NIGHT,
    FIRST_YEAR,
    LAST_YEAR,
    NOTES_CUT,
    UNDO_WINDOW,
    Factor,
    Location,
    ReminderKind,
    history_ends,
    last_night,
    night,
    night_under_way,
)

EPISODES_PER_PAGE = 25
# A kept page or figure (kept) is keyed by the hour, so it lives no longer.
KEPT_PAGE_SECONDS = 60 * 60
# What is counted over a person's history (kept_history) is keyed by where it ends, which
# moves a week at a time.
KEPT_HISTORY_SECONDS = 7 * 24 * 60 * 60
HISTORY_KEY_PREFIX = "diary-history:"
# A full log kept while signed out that no longer passes the form waits here to be corrected.
UNSAVED_FORM = "unsaved_episode_form"
# The logging forms, whose taps are kept through an expired session or a replaced CSRF token.
LOGGING_FORMS = {"quick_log", "episode_create"}


@login_not_required
@require_safe
def home(request):
    if not request.user.is_authenticated:
        return render(request, "home_visitor.html")
    episodes = Episode.objects.owned_by(request.user)
    last = last_night(timezone.localdate())
    streak = CheckIn.objects.owned_by(request.user).streak(last)
    return render(
        request,
        "home.html",
        {
            "checkin_prompt": {
                "night": last,
                "streak": streak,
                # Only asked while the check-in is to do: it names the cramps it adds to.
                "logged": None
                if streak.last_night_done
                else episodes.in_nights(last, last).count(),
            },
            "quick_form": QuickLogForm(user=request.user),
            "locations": Location.choices,
            "latest": kept_content(request, "home", lambda: home_latest(request.user)),
        },
    )


def home_latest(user):
    """The home page's latest cramps, this month's count and the last 30 days' causes."""
    episodes = Episode.objects.owned_by(user)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = date(*patterns.shift_month(today.year, today.month, -1), 1)
    counts = episodes.filter(local_date__gte=last_month).aggregate(
        this_month=Count("pk", filter=Q(local_date__gte=this_month)),
        last_month=Count("pk", filter=Q(local_date__lt=this_month)),
    )
    since = today - timedelta(days=29)
    profile = Profile.objects.for_user(user)
    return "home_latest.html", {
        "advice": advice.for_period(list(episodes.between(since)), since, today, today, profile),
        "recent": episodes[:5],
        "counts": counts,
        "this_month": this_month,
        "last_month": last_month,
    }


BACKEND = "diary.backends.ProfileModelBackend"
# Session keys: when this session last proved who it is (a sign-in or a confirmation), and a
# password accepted whose second step is still to come.
SIGNED_IN_AT = "signed_in_at"
SECOND_STEP = "second_step"
# Adding a way to sign in needs a sign-in or a confirmation this recent (seconds), so that a
# session left open on a shared computer cannot add someone else's passkey.
RECENT_SIGN_IN = 15 * 60
# How long a password accepted waits for its second step (seconds).
SECOND_STEP_WAIT = 10 * 60


def sign_in(request, user, remember):
    """Sign the person in with a new session id, for as long as they chose, and save the cramps
    they logged while signed out.

    Every way in goes through here: password, passkey, second step and sign-up. "Keep me signed
    in" keeps the session for SESSION_COOKIE_AGE from its last day of use; without it the
    session ends when the browser closes (diary.middleware). Returns where to see the last
    cramp saved from before the sign-in, or None.
    """
    login(request, user, backend=BACKEND)
    keep_signed_in(request, remember)
    request.session[SIGNED_IN_AT] = time.time()
    request.session.pop(SECOND_STEP, None)
    return save_kept_taps(request)


def recently_signed_in(request):
    return time.time() - request.session.get(SIGNED_IN_AT, 0) < RECENT_SIGN_IN


def safe_next(request, url):
    """The page to go to after signing in, if it is on this site; else home."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's login, within the hourly allowance of failed logins from one address.

    The allowance is taken before the password is checked, which is the costly part, and
    given back when the password is right. Someone who asked for two-step sign-in goes on to
    the second step instead of being signed in.
    """

    form_class = LoginForm

    def post(self, request, *args, **kwargs):
        if not limits.take(limits.LOGIN_FAILURES, limits.address(request)):
            return limits.too_many(request, limits.LOGIN_FAILURES)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {**context, "passkey_support": passkeys.support(self.request)}

    def form_valid(self, form):
        request = self.request
        limits.give_back(limits.LOGIN_FAILURES, limits.address(request))
        user, remember = form.get_user(), form.cleaned_data["remember"]
        if Profile.objects.for_user(user).two_step:
            # A new session id, so that one planted before the password cannot be used.
            request.session.cycle_key()
            request.session[SECOND_STEP] = {
                "user": user.pk,
                "remember": remember,
                "next": self.get_success_url(),
                "since": time.time(),
            }
            return redirect("login_two_step")
        return redirect(sign_in(request, user, remember) or self.get_success_url())


def second_step_user(request):
    """The person whose password this session gave, if their second step is still awaited."""
    waiting = request.session.get(SECOND_STEP)
    if not waiting or time.time() - waiting["since"] > SECOND_STEP_WAIT:
        return None
    return get_user_model()._default_manager.filter(pk=waiting["user"], is_active=True).first()


@login_not_required
def login_two_step(request):
    """The second step after a right password: a passkey, an app's code or a recovery code.

    Each try uses one of the address's allowance of failed logins and one of the account's
    allowance of wrong codes, both given back when it passes; django-axes counts failures
    per username and address as it does for passwords.
    """
    user = second_step_user(request)
    if user is None:
        messages.info(request, "Please sign in again: the second step waits 10 minutes at most.")
        return redirect("login")
    form = SecondStepForm(request.POST or None, request=request, user=user)
    if request.method == "POST":
        address, account = limits.address(request), f"account {user.pk}"
        if not limits.take(limits.LOGIN_FAILURES, address):
            return limits.too_many(request, limits.LOGIN_FAILURES)
        if not limits.take(limits.SECOND_STEP_FAILURES, account):
            return limits.too_many(request, limits.SECOND_STEP_FAILURES)
        if limits.locked_out(request, user.get_username()):
            return limits.lockout(request, user.get_username())
        if form.is_valid():
            limits.give_back(limits.LOGIN_FAILURES, address)
            limits.give_back(limits.SECOND_STEP_FAILURES, account)
            waiting = request.session[SECOND_STEP]
            saved_at = sign_in(request, user, waiting["remember"])
            if form.used == "recovery code":
                left = RecoveryCode.objects.filter(user=user).count()
                messages.warning(
                    request,
                    f"You used a recovery code; {left} left. Each works once: you can get new "
                    "ones on your security page.",
                )
            return redirect(saved_at or waiting["next"])
        if form.failed():
            limits.record_failure(request, user.get_username())
    return render(
        request,
        "registration/login_two_step.html",
        {
            "form": form,
            "has_passkeys": Passkey.objects.owned_by(user).exists(),
            "passkey_support": passkeys.support(request),
        },
    )


@login_not_required
@require_POST
def passkey_options(request):
    """Options for navigator.credentials.get(), as JSON: a challenge, and which passkeys may answer.

    To sign in, any of this site's; for the second step, the person's whose password was just
    given; to confirm a change, the signed-in person's, less one being removed.
    """
    purpose = request.POST.get("purpose")
    if not passkeys.work_here(request):
        return JsonResponse({"error": "Passkeys do not work at this address."}, status=400)
    if purpose == passkeys.SIGN_IN:
        allowed = []
    elif purpose == passkeys.SECOND_STEP and (user := second_step_user(request)):
        allowed = Passkey.objects.owned_by(user)
    elif purpose == passkeys.CONFIRM and request.user.is_authenticated:
        allowed = Passkey.objects.owned_by(request.user)
        exclude = request.POST.get("exclude", "")
        if exclude.isdigit():
            allowed = allowed.exclude(pk=exclude)
    else:
        return JsonResponse({"error": "Sign in again, then try once more."}, status=400)
    if purpose != passkeys.SIGN_IN and not allowed.exists():
        # An empty list would let the browser offer any passkey of this site.
        return JsonResponse({"error": "None of your passkeys can be used here."}, status=400)
    return HttpResponse(
        passkeys.authentication_options(request, purpose, allowed), content_type="application/json"
    )


@login_not_required
@require_POST
def passkey_login(request):
    """Sign in with a passkey alone, from the login page: no username, no password.

    Counted like a password: within the address's allowance of failed logins, and a passkey
    that fails counts against its account in django-axes, whose pause applies here too.
    """
    address = limits.address(request)
    if not limits.take(limits.LOGIN_FAILURES, address):
        return limits.too_many(request, limits.LOGIN_FAILURES)
    next_url, answer = request.POST.get("next", ""), request.POST.get("credential", "")
    candidates = Passkey.objects.filter(user__is_active=True)
    account = passkeys.claimed_account(answer, candidates)
    if account and limits.locked_out(request, account.get_username()):
        return limits.lockout(request, account.get_username())
    try:
        passkey = passkeys.verify_authentication(request, passkeys.SIGN_IN, answer, candidates)
    except passkeys.PasskeyError as error:
        if error.passkey:
            limits.record_failure(request, error.passkey.user.get_username())
        messages.error(request, str(error))
        return render(
            request,
            "registration/login.html",
            {
                "form": LoginForm(request),
                "next": next_url,
                "passkey_support": passkeys.support(request),
                "unknown_passkey": error.unknown_id,
            },
        )
    limits.give_back(limits.LOGIN_FAILURES, address)
    saved_at = sign_in(request, passkey.user, bool(request.POST.get("remember")))
    return redirect(saved_at or safe_next(request, next_url))


class LogoutView(auth_views.LogoutView):
    """Django's sign-out, asking the browser to drop its cache of the person's pages.

    The page's script also empties the service worker's copy of the home page, forgets whose
    the phone's queue is, and drops the browser's push subscription, sending its endpoint
    here so that the person's reminders are not pushed to this device again
    (static/js/app.js).
    """

    def post(self, request, *args, **kwargs):
        endpoint = request.POST.get("push_endpoint")
        if endpoint and request.user.is_authenticated:
            request.user.push_subscriptions.filter(endpoint=endpoint).delete()
        response = super().post(request, *args, **kwargs)
        response.headers["Clear-Site-Data"] = '"cache"'
        return response


def save_kept_taps(request):
    """Save the logging forms kept while the person was signed out (diary.taps).

    Each is saved once, at the time of its tap, and the person is told; returns where to go
    to see the last one saved, or None.
    """
    user = request.user
    profile = Profile.objects.for_user(user)
    go_to = None
    with timezone.override(profile.zone):
        for form_name, data, posted_at in taps.take(request):
            episode = Episode.objects.owned_by(user).with_client_id(data.get("client_id"))
            if form_name == "quick":
                form = QuickLogForm(data, user=user, tapped_at=posted_at)
            else:
                form = EpisodeForm(data, profile=profile, instance=Episode(user=user))
            if episode is None and form.is_valid():
                episode = form.save()
            if episode is not None:
                when = f"{episode.local_started_at:%H:%M}"
                messages.success(request, f"Saved the cramp you logged at {when}.")
                go_to = episode_after_tap(episode, form_name)
            elif form_name == "full" and not form.has_error("owner"):
                request.session[UNSAVED_FORM] = dict(data.lists())
                messages.warning(
                    request, "The cramp you logged while signed out needs a correction."
                )
                go_to = reverse("episode_create")
            else:
                error = next(iter(form.errors.values()))[0]
                messages.error(request, f"A cramp you logged while signed out: {error}")
    return go_to


def episode_after_tap(episode, form_name):
    if form_name == "quick":
        return reverse("quick_logged", args=[episode.pk])
    return episode.get_absolute_url()


def wants_json(request):
    """A tap sent by the page's script (static/js/taps.js) rather than by the form itself."""
    return request.headers.get("Accept", "").startswith("application/json")


def keep_until_signed_in(request, form_name, next_url):
    """A logging form posted after the session ended: kept until the person signs in."""
    if wants_json(request):
        # The script keeps the tap on the phone and posts the form itself, to come here.
        return JsonResponse({"login": resolve_url(settings.LOGIN_URL)}, status=401)
    if request.method == "POST":
        if taps.keep(request, form_name):
            messages.info(
                request,
                "You were signed out, so your cramp is not in your diary yet. It is kept: "
                "sign in and it is saved at the time you logged it.",
            )
        else:
            messages.warning(
                request, "You were signed out, so your cramp was not saved. Sign in and log it."
            )
    return redirect_to_login(next_url)


@login_not_required
def csrf_failure(request, reason=""):
    """Django's refusal of a form without a valid CSRF token, but never for a tap.

    Signing in again in another tab replaces the token that a page left open overnight
    holds. For the two logging forms, the browser's own word that the post comes from a page
    of this site stands in for the token: Django has checked the Origin header, and
    Sec-Fetch-Site is set by the browser, which no page can change. Every other form, and
    every browser that does not send both, gets the refusal.
    """
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if (
        match is not None
        and match.url_name in LOGGING_FORMS
        and reason.startswith(("CSRF cookie", "CSRF token"))
        and "Origin" in request.headers
        and request.headers.get("Sec-Fetch-Site") == "same-origin"
    ):
        return match.func(request, *match.args, **match.kwargs)
    return csrf.csrf_failure(request, reason)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, within the hourly allowance of requests from one address.

    Each account also gets at most that many mails an hour (PasswordResetForm).
    """

    form_class = PasswordResetForm

    def post(self, request, *args, **kwargs):
        if not limits.take(limits.RESETS, limits.address(request)):
            return limits.too_many(request, limits.RESETS)
        return super().post(request, *args, **kwargs)


@login_not_required
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    valid = form.is_valid()
    # A new account and "that username is taken" both count, so that the answer cannot be
    # used to list the usernames.
    counted = valid or form.has_error("username", "unique")
    if counted and not limits.take(limits.SIGNUPS, limits.address(request)):
        return limits.too_many(request, limits.SIGNUPS)
    if valid:
        user = form.save()
        zone = form.cleaned_data["time_zone"]
        Profile.objects.create(user=user, time_zone=zone)
        sign_in(request, user, remember=True)
        messages.success(
            request,
            f"Welcome! Cramps are logged in {zone.replace('_', ' ')} time; your profile can "
            "change that, and add what helps match your cramps to their causes.",
        )
        return redirect("profile")
    return render(request, "registration/signup.html", {"form": form})


def profile(request):
    form = ProfileForm(request.POST or None, instance=Profile.objects.for_user(request.user))
    if form.is_valid():
        confirm = form.needs_confirmation()
        if confirm and not limits.take(limits.CONFIRMATIONS, f"account {request.user.pk}"):
            form.add_error(
                "reminder_email",
                "We have sent enough confirmation links for this hour. Try again later.",
            )
            return render(
                request,
                "diary/profile_form.html",
                {"form": form, "push_key": push.application_server_key()},
            )
        profile = form.save()
        messages.success(request, "Your profile is saved.")
        if confirm:
            reminders.confirmation_email(profile, request.build_absolute_uri("/")[:-1]).send()
            messages.info(
                request,
                f"We sent a link to {profile.reminder_email}: open it to confirm the address. "
                "No reminder goes to it until then.",
            )
        return redirect("profile")
    return render(
        request,
        "diary/profile_form.html",
        {"form": form, "push_key": push.application_server_key()},
    )


@login_not_required
def quick_log(request):
    if not request.user.is_authenticated:
        return keep_until_signed_in(request, "quick", reverse("home"))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    # A tap saved before (a double tap, a retry, a replay) is answered as it was the first time.
    episode = Episode.objects.owned_by(request.user).with_client_id(request.POST.get("client_id"))
    if episode is None:
        form = QuickLogForm(request.POST, user=request.user)
        if not form.is_valid():
            return refuse_tap(request, form)
        episode = form.save()
    url = reverse("quick_logged", args=[episode.pk])
    if wants_json(request):
        return JsonResponse({"episode": episode.pk, "url": url})
    return redirect(url)


def refuse_tap(request, form):
    if "logged_at" in form.errors or "owner" in form.errors:
        message = (form.errors.get("owner") or form.errors["logged_at"])[0]
    else:
        message = "Pick which foot and where the cramp is, then try again."
    if wants_json(request):
        # 409: the tap is fine but belongs to another account; the phone keeps it for them.
        return JsonResponse({"error": message}, status=409 if form.has_error("owner") else 400)
    messages.error(request, message)
    return redirect("home")


def quick_logged(request, pk):
    """One screen after a quick log: what was logged and when, undo, details, relief now."""
    episode = get_object_or_404(Episode.objects.owned_by(request.user), pk=pk)
    profile = Profile.objects.for_user(request.user)
    return render(
        request,
        "diary/quick_logged.html",
        {
            "episode": episode,
            "undo_until": episode.created_at + UNDO_WINDOW if episode.undoable() else None,
            "tips": advice.relief_now(episode, profile),
        },
    )


def episode_undo(request, pk):
    episode = get_object_or_404(Episode.objects.owned_by(request.user), pk=pk)
    # Checked after the lookup, so someone else's episode is a 404 whatever the method.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not episode.undoable():
        messages.info(
            request,
            f"It is more than {UNDO_WINDOW.seconds // 60} minutes since this cramp was logged, "
            "so it cannot be undone. You can delete it here.",
        )
        return redirect("episode_delete", pk=pk)
    episode.delete()
    messages.success(request, "Undone: that cramp is not in your diary.")
    return redirect("home")


# An id no episode has, standing in for each row's own in one reversed address.
ANY_EPISODE = 999_999_999_999_999_999


def episode_url_maker():
    """A function from an episode's id to its page's address, with one reverse() for a page
    of rows instead of one a row (they were a third of a row's cost)."""
    prefix, _any, suffix = reverse("episode_detail", args=[ANY_EPISODE]).partition(str(ANY_EPISODE))
    return lambda pk: f"{prefix}{pk}{suffix}"


@functools.cache
def unfiltered_form():
    """The filter form as everyone first sees it, rendered once per process: its widgets'
    templates cost as much as a third of the page's rows."""
    return render_to_string("diary/includes/episode_filters.html", {"filters": EpisodeFilterForm()})


@require_safe
def episode_list(request):
    filters = EpisodeFilterForm(request.GET or None)
    episodes = Episode.objects.owned_by(request.user)
    if filters.is_valid():
        episodes = filters.filter(episodes)
    # The count query settles the page number first, so that ?page=999 finds the last page's
    # kept content instead of keeping another copy of it.
    page = Paginator(episodes, EPISODES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    filtered_by = query.urlencode()
    content = kept_content(
        request,
        ("list", filtered_by, page.number),
        lambda: episode_list_content(request, filters, page, filtered_by),
    )
    return render(request, "diary/episode_list.html", {"content": content})


def episode_list_content(request, filters, page, query):
    rows_shown = list(page.object_list)
    top = advice.top_causes(rows_shown, Profile.objects.for_user(request.user))
    cause_urls = {cause: cause.get_absolute_url() for cause in set(top.values()) if cause}
    detail_url = episode_url_maker()
    rows = [
        (episode, detail_url(episode.pk), top[episode.pk], cause_urls.get(top[episode.pk]))
        for episode in rows_shown
    ]
    return "diary/episode_list_content.html", {
        "filters": filters,
        "unfiltered_form": unfiltered_form(),
        "page": page,
        "rows": rows,
        "query": query,
    }


def episode_detail(request, pk):
    episode = get_object_or_404(Episode.objects.owned_by(request.user), pk=pk)
    # Checked after the lookup, so someone else's episode is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    content = kept_content(
        request, ("episode", episode.pk), lambda: episode_detail_content(request, episode)
    )
    return render(request, "diary/episode_detail.html", {"episode": episode, "content": content})


def episode_detail_content(request, episode):
    profile = Profile.objects.for_user(request.user)
    return "diary/episode_detail_content.html", {
        "episode": episode,
        "fluids": profile.format_fluids(episode.fluid_ml),
        "advice": advice.for_episode(episode, profile),
        "own_links": own_links(request, episode),
    }


def own_links(request, episode):
    """Factors of this cramp's night that the person's own check-ins link to more cramps.

    The factors are the cramp's triggers that a check-in can name, and the night's
    check-in's; the person's whole history is read only when there is one to look up.
    """
    checkin = CheckIn.objects.owned_by(request.user).filter(night=episode.night).first()
    present = (set(episode.triggers) & set(Factor.values)) | set(checkin.factors if checkin else [])
    if not present:
        return []
    links = kept_factor_links(request)
    return [link for link in links if link.factor in present and link.verdict == stats.MORE]


@login_not_required
def episode_create(request):
    if not request.user.is_authenticated:
        return keep_until_signed_in(request, "full", reverse("episode_create"))
    profile = Profile.objects.for_user(request.user)
    # A form kept while signed out that needs a correction comes back with its errors.
    unsaved = request.session.pop(UNSAVED_FORM, None) if request.method == "GET" else None
    data = request.POST if request.method == "POST" else unsaved and taps.form_data(unsaved)
    form = EpisodeForm(data or None, profile=profile, instance=Episode(user=request.user))
    if request.method == "POST" and form.is_valid():
        episode = form.save()
        messages.success(request, "Cramp logged.")
        return redirect(episode)
    return render(request, "diary/episode_form.html", {"form": form})


def episode_update(request, pk):
    episodes = Episode.objects.owned_by(request.user)
    if request.method == "POST":
        # Locked from reading to saving, so a save from another tab cannot slip in between
        # the form's check of the version and this save.
        episodes = episodes.select_for_update()
    profile = Profile.objects.for_user(request.user)
    with transaction.atomic():
        episode = get_object_or_404(episodes, pk=pk)
        form = EpisodeForm(request.POST or None, profile=profile, instance=episode)
        if form.is_valid():
            form.save()
            messages.success(request, "Your changes are saved.")
            return redirect(episode)
    return render(request, "diary/episode_form.html", {"form": form, "episode": episode})


def episode_delete(request, pk):
    episode = get_object_or_404(Episode.objects.owned_by(request.user), pk=pk)
    if request.method == "POST":
        episode.delete()
        messages.success(request, "The cramp was deleted from your diary.")
        return redirect("episode_list")
    return render(request, "diary/episode_confirm_delete.html", {"episode": episode})


def month_or_none(year, month, today=None):
    """The first day of a month the diary can show, or None beyond its years or, given
    today, after the current month: the diary has nothing to show of the future."""
    first = date(year, month, 1) if FIRST_YEAR <= year <= LAST_YEAR else None
    if first is None or (today is not None and first > today):
        return None
    return first


@require_safe
def month(request, year, month):
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise Http404("No such month.")
    content = kept_content(
        request, ("month", year, month), lambda: month_content(request.user, year, month)
    )
    start = date(year, month, 1)
    return render(request, "diary/month.html", {"start": start, "content": content})


def month_content(user, year, month):
    start, end = patterns.month_bounds(year, month)
    today = timezone.localdate()
    prev_start, prev_end = patterns.previous_stretch(year, month, today)
    episodes = list(Episode.objects.owned_by(user).between(prev_start, end).order_by("started_at"))
    current = [episode for episode in episodes if episode.local_date >= start]
    previous = [episode for episode in episodes if episode.local_date <= prev_end]
    month_nights, previous_nights = month_summaries(user, start, end, prev_start, today)
    figures = patterns.figures(current, night())
    figures["totals"]["cramp_free_nights"] = month_nights.cramp_free
    previous_totals = {**patterns.totals(previous), "cramp_free_nights": previous_nights.cramp_free}
    figures["changes"] = patterns.compare(figures["totals"], previous_totals)
    profile = Profile.objects.for_user(user)
    return "diary/month_content.html", {
        "start": start,
        "end": end,
        "previous_month": prev_start,
        "previous_end": prev_end,
        "previous_cut": prev_end < patterns.month_bounds(prev_start.year, prev_start.month)[1],
        "previous_link": month_or_none(prev_start.year, prev_start.month),
        "next_month": month_or_none(*patterns.shift_month(year, month, 1), today),
        "is_future": start > today,
        "figures": figures,
        "nights": month_nights,
        "previous_nights": previous_nights,
        "advice": advice.for_period(current, start, end, today, profile),
        "profile": profile,
        "low_fluid_ml": patterns.LOW_FLUID_ML,
        "calendar": patterns.month_calendar(current, year, month),
        "weekday_names": patterns.WEEKDAYS,
    }


def kept(request, name, compute):
    """What compute() gives for one of the person's pages, kept in the cache while nothing it
    reads has changed: `name`, their profile, whose diary_version moves with every change to
    their episodes and check-ins, and the day and hour in their time zone, which decide the
    night under way and what is "so far".

    The versions are read before the rows, so a value is never kept under a version newer
    than what it shows. The account's creation time is in the key because SQLite can give a
    deleted account's id to the next one.
    """
    user = request.user
    profile = Profile.objects.for_user(user)
    key_parts = (
        name,
        user.pk,
        user.date_joined,
        [getattr(profile, field.attname) for field in Profile._meta.concrete_fields],
        timezone.get_current_timezone_name(),
        timezone.localtime().strftime("%Y-%m-%d %H"),
    )
    return cached("diary-page:", key_parts, compute, KEPT_PAGE_SECONDS)


def kept_history(request, name, compute):
    """What compute() counts over the person's nights before a vocabulary.history_ends
    (which `name` gives), kept while their history_version stays: logging, checking in and
    editing the last week do not move it, so they are not counted again."""
    user = request.user
    profile = Profile.objects.for_user(user)
    key_parts = (name, user.pk, user.date_joined, profile.history_version)
    return cached(HISTORY_KEY_PREFIX, key_parts, compute, KEPT_HISTORY_SECONDS)


def cached(prefix, key_parts, compute, seconds):
    key = prefix + hashlib.sha256(repr(key_parts).encode()).hexdigest()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def kept_content(request, name, build):
    """The rendered content block of a page, kept (see kept) while the advice's version is
    the same too; never a form's CSRF token. `build` gives the template and context when it
    has to be rendered again."""
    return kept(
        request,
        (name, ContentVersion.current()),
        lambda: render_to_string(*build(), request),
    )


def month_summaries(user, start, end, prev_start, today):
    """nights.Summary of a month's nights so far, and of as many first nights of the month
    before (all of them once the month is over): two queries."""
    last = min(end, last_night(today))
    count = max((last - start).days + 1, 0)
    checkins = list(CheckIn.objects.owned_by(user).between(prev_start, last).rows())
    per_night = Episode.objects.owned_by(user).per_night(prev_start, last)
    prev_end = start - timedelta(days=1)
    prev_last = prev_end if last == end else min(prev_start + timedelta(days=count - 1), prev_end)
    return (
        nights.summary(nights.every_night(start, last, per_night, checkins)),
        nights.summary(nights.every_night(prev_start, prev_last, per_night, checkins)),
    )


@require_safe
def year(request, year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("No such year.")
    form = YearCompareForm(request.GET or None)
    if form.is_bound:
        # A comparison is asked for one date at a time: only the plain year page is kept.
        content = render_to_string(*year_content(request.user, year, form), request)
    else:
        content = kept_content(
            request, ("year", year), lambda: year_content(request.user, year, form)
        )
    return render(request, "diary/year.html", {"year": year, "content": content})


def year_content(user, year, form):
    episodes = Episode.objects.owned_by(user)
    day_rows = (
        episodes.between(date(year, 1, 1), date(year, 12, 31))
        .values("local_date")
        .annotate(count=Count("pk"), pains=Count("intensity"), intensity=Sum("intensity"))
        .values_list("local_date", "count", "pains", "intensity")
        .order_by()
    )
    months = patterns.year_months(day_rows, year)
    first, last = date(year, 1, 1), min(date(year, 12, 31), last_night(timezone.localdate()))
    every = nights.every_night(
        first,
        last,
        episodes.per_night(first, last),
        CheckIn.objects.owned_by(user).between(first, last).rows(),
    )
    for row in months:
        row["nights"] = nights.summary([n for n in every if n.night.month == row["month"].month])
    comparison = None
    if form.is_valid():
        comparison = episodes.compare_around(form.cleaned_data["since"], timezone.localdate())
    return "diary/year_content.html", {
        "year": year,
        "previous_year": year - 1 if year > FIRST_YEAR else None,
        "next_year": year + 1 if year < min(LAST_YEAR, timezone.localdate().year) else None,
        "months": months,
        "month_bars": patterns.bars(
            [(row["month"].strftime("%b"), row["episodes"]) for row in months]
        ),
        "total": sum(row["episodes"] for row in months),
        "nights": nights.summary(every),
        "form": form,
        "comparison": comparison,
    }


@require_safe
def report(request):
    form = ReportForm(request.GET or None)
    if not form.is_valid():
        return render(
            request, "diary/report_form.html", {"form": form}, status=400 if request.GET else 200
        )
    data = form.cleaned_data
    profile = Profile.objects.for_user(request.user)
    context = report_context(profile, data["start"], data["end"], data["full_notes"])
    context.update(form=form, who=data["name"], share_query=request.GET.urlencode())
    return render(request, "diary/report.html", context)


def report_context(profile, start, end, full_notes):
    """What a report shows, for its owner and for a share link alike: a fixed number of
    queries, however many cramps.

    The summary is in the order of page one: its figures, then the advice on them. Weeks and
    nights are the diary's (diary.nights): noon to noon, with the check-ins where there are
    some, and only the nights that have ended.
    """
    user = profile.user
    today = timezone.localdate(timezone=profile.zone)
    episodes = list(Episode.objects.owned_by(user).between(start, end).order_by("started_at", "pk"))
    last = min(end, last_night(today))
    every = nights.every_night(
        start,
        last,
        Episode.objects.owned_by(user).per_night(start, last),
        CheckIn.objects.owned_by(user).between(start, last).rows(),
    )
    weeks = nights.weeks(every)
    # The weeks end with the last night; the nights before the first whole week are left out
    # of the weekly chart and summed up beside it.
    before_weeks = [n for n in every if not weeks or n.night < weeks[0].first]
    return {
        "start": start,
        "end": end,
        "period_days": (end - start).days + 1,
        "profile": profile,
        "age": profile.age_on(end),
        "summary": patterns.summary(episodes, weeks, start, end, today, night()),
        "nights": nights.summary(every),
        "before_weeks": nights.summary(before_weeks) if before_weeks else None,
        "unlogged_cramps": sum(n.unlogged for n in every),
        "advice": advice.for_period(episodes, start, end, today, profile),
        "episodes": episodes,
        "notes_cut": NOTES_CUT,
        "cut_notes": [e for e in episodes if len(e.notes) > NOTES_CUT] if full_notes else None,
        "low_fluid_ml": patterns.LOW_FLUID_ML,
        "generated": timezone.localtime(timezone=profile.zone),
        "experiment_summaries": report_experiments(user, today),
    }


# The new link's token goes back to the person's own browser in a short-lived signed cookie,
# read once by the page the form redirects to: shown once, never stored on the server, and
# a reload does not make another link.
NEW_SHARE_COOKIE = "new_share"
NEW_SHARE_SALT = "diary.views.shares"
NEW_SHARE_SECONDS = 300


def shares(request):
    """The person's share links, and a form for a new one."""
    links = ShareLink.objects.owned_by(request.user)
    form = ShareForm(request.POST or None, initial=request.GET.dict())
    if form.is_valid():
        _link, token = ShareLink.objects.issue(user=request.user, **form.cleaned_data)
        response = redirect("shares")
        response.set_signed_cookie(
            NEW_SHARE_COOKIE,
            token,
            salt=NEW_SHARE_SALT,
            max_age=NEW_SHARE_SECONDS,
            path=reverse("shares"),
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Strict",
        )
        return response
    token = request.get_signed_cookie(
        NEW_SHARE_COOKIE, default=None, salt=NEW_SHARE_SALT, max_age=NEW_SHARE_SECONDS
    )
    new_link = None
    if token and links.find(token):
        new_link = request.build_absolute_uri(reverse("share", args=[token]))
    response = render(
        request,
        "diary/shares.html",
        {"form": form, "links": links, "new_link": new_link, "now": timezone.now()},
        status=400 if form.errors else 200,
    )
    if token:
        response.delete_cookie(NEW_SHARE_COOKIE, path=reverse("shares"))
    return response


def share_revoke(request, pk):
    link = get_object_or_404(ShareLink.objects.owned_by(request.user), pk=pk)
    # Checked after the lookup, so someone else's link is a 404 whatever the method.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    link.revoke()
    messages.success(request, "The link is revoked: it no longer opens your report.")
    return redirect("shares")


def unlisted(response):
    """Headers for a share link's answers: not cached, not indexed, the link never passed on."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_not_required
@require_safe
def share(request, token):
    """A report shown to whoever holds the link. Unknown, expired and revoked links answer
    alike: one query, the same page."""
    if not limits.take(limits.SHARE_VIEWS, limits.address(request)):
        return unlisted(limits.too_many(request, limits.SHARE_VIEWS))
    link = ShareLink.objects.find(token)
    if link is None:
        return unlisted(render(request, "diary/share_missing.html", status=404))
    link.record_opening()
    profile = Profile.objects.for_user(link.user)
    context = report_context(profile, link.start, link.end, link.full_notes)
    context.update(link=link, who=link.name or "a cramplog user")
    return unlisted(render(request, "diary/share.html", context))


@require_safe
def account_export(request):
    """Everything the person has given us, as one JSON file they can keep or take elsewhere."""
    filename = f"cramplog-{request.user.get_username()}-{timezone.localdate():%Y-%m-%d}.json"
    return JsonResponse(
        Profile.objects.for_user(request.user).to_dict(),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def account_delete(request):
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if form.is_valid():
        logout(request)
        Profile.objects.for_user(user).delete_account()
        messages.success(request, "Your account and your whole diary are deleted.")
        return redirect("home")
    return render(
        request,
        "diary/account_delete.html",
        {
            "form": form,
            "episode_count": Episode.objects.owned_by(user).count(),
            "checkin_count": CheckIn.objects.owned_by(user).count(),
            "backup_days": settings.CRAMPLOG_BACKUP_KEEP_DAYS,
        },
    )


# How the person signs in: passkeys, an authenticator app, two-step sign-in


@require_safe
def security(request):
    return render_security(request, ConfirmForm(request=request, passkeys=Passkey.objects.none()))


def render_security(request, confirm_form):
    user = request.user
    return render(
        request,
        "diary/security.html",
        {
            "passkey_list": Passkey.objects.owned_by(user),
            "app": AuthenticatorApp.objects.filter(user=user).first(),
            "recovery_codes_left": RecoveryCode.objects.filter(user=user).count(),
            "profile": Profile.objects.for_user(user),
            "recent": recently_signed_in(request),
            "confirm_form": confirm_form,
            "passkey_form": PasskeyForm(request=request),
            "passkey_support": passkeys.support(request),
        },
    )


@require_POST
def security_confirm(request):
    """Confirm it is still the person, with their password or a passkey, to change sign-in."""
    form = ConfirmForm(
        request.POST, request=request, passkeys=Passkey.objects.owned_by(request.user)
    )
    if not form.is_valid():
        return render_security(request, form)
    request.session[SIGNED_IN_AT] = time.time()
    return redirect("security")


def not_recent(request):
    messages.info(request, "Confirm it is you first: it has been a while since you signed in.")
    return redirect("security")


@require_POST
def passkey_register_options(request):
    """Options for navigator.credentials.create(), as JSON."""
    if not passkeys.work_here(request):
        return JsonResponse({"error": "Passkeys do not work at this address."}, status=400)
    if not recently_signed_in(request):
        return JsonResponse({"error": "Confirm it is you first: reload the page."}, status=403)
    return HttpResponse(
        passkeys.registration_options(request, request.user), content_type="application/json"
    )


@require_POST
def passkey_add(request):
    if not recently_signed_in(request):
        return not_recent(request)
    form = PasskeyForm(request.POST, request=request)
    if form.is_valid():
        form.save()
        messages.success(request, f"Your passkey “{form.cleaned_data['name']}” is added.")
    else:
        problems = [error for errors in form.errors.values() for error in errors]
        messages.error(request, "The passkey was not added. " + " ".join(problems))
    return redirect("security")


def passkey_remove(request, pk):
    passkey = get_object_or_404(Passkey.objects.owned_by(request.user), pk=pk)
    others = Passkey.objects.owned_by(request.user).exclude(pk=passkey.pk)
    allowed = Profile.objects.for_user(request.user).keeps_a_second_step_without(passkey=passkey)
    form = ConfirmForm(request.POST or None, request=request, passkeys=others)
    if allowed and form.is_valid():
        passkey.delete()
        messages.success(
            request,
            f"The passkey “{passkey.name}” is removed. Your phone or password manager may still "
            "list it: you can delete it there too.",
        )
        return redirect("security")
    return render(
        request,
        "diary/passkey_remove.html",
        {
            "passkey": passkey,
            "form": form,
            "allowed": allowed,
            "others": others.exists(),
            "passkey_support": passkeys.support(request),
        },
    )


# The key of an authenticator app being set up, kept in the session until its first code.
APP_SECRET = "authenticator_app_secret"  # noqa: S105 (a session key's name)


def authenticator_app(request):
    """Set up an authenticator app: a QR code and the key as text, then a code from the app."""
    if AuthenticatorApp.objects.filter(user=request.user).exists():
        return redirect("security")
    if not recently_signed_in(request):
        return not_recent(request)
    secret = request.session.setdefault(APP_SECRET, AuthenticatorApp.new_secret())
    app = AuthenticatorApp(user=request.user, secret=secret)
    form = AuthenticatorAppForm(request.POST or None, app=app)
    if form.is_valid():
        form.save()
        request.session.pop(APP_SECRET, None)
        messages.success(
            request,
            "Your authenticator app is set up."
            + ("" if request.user.profile.two_step else " Turn on two-step sign-in to use it."),
        )
        return redirect("security")
    uri = app.setup_uri()
    return render(
        request,
        "diary/authenticator_app.html",
        {
            "form": form,
            "uri": uri,
            "qr_code": segno.make(uri, error="m").svg_data_uri(scale=5, light="#fff"),
            "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        },
    )


def authenticator_app_remove(request):
    app = get_object_or_404(AuthenticatorApp, user=request.user)
    allowed = Profile.objects.for_user(request.user).keeps_a_second_step_without(app=True)
    form = ConfirmForm(
        request.POST or None, request=request, passkeys=Passkey.objects.owned_by(request.user)
    )
    if allowed and form.is_valid():
        app.delete()
        messages.success(
            request, "The authenticator app is removed. You can delete cramplog from it too."
        )
        return redirect("security")
    return render(
        request,
        "diary/authenticator_app_remove.html",
        {"form": form, "allowed": allowed, "passkey_support": passkeys.support(request)},
    )


def show_recovery_codes(request, codes):
    text = "cramplog recovery codes for {}\n{}\n\nEach code works once.\n".format(
        request.user.get_username(), "\n".join(codes)
    )
    return render(request, "diary/recovery_codes.html", {"codes": codes, "text": text})


@require_POST
def two_step_on(request):
    """Turn on two-step sign-in, and show ten new recovery codes, once."""
    profile = Profile.objects.for_user(request.user)
    if not recently_signed_in(request):
        return not_recent(request)
    if profile.two_step:
        # A second click while the first was under way: its codes were never seen.
        messages.info(
            request, "Two-step sign-in is on. If you have no recovery codes, get new ones."
        )
        return redirect("security")
    if not (
        Passkey.objects.owned_by(request.user).exists()
        or AuthenticatorApp.objects.filter(user=request.user).exists()
    ):
        messages.error(request, "Add a passkey or an authenticator app first.")
        return redirect("security")
    with transaction.atomic():
        profile.two_step = True
        profile.save(update_fields=["two_step"])
        codes = RecoveryCode.objects.replace(request.user)
    return show_recovery_codes(request, codes)


@require_POST
def recovery_codes(request):
    """Ten new recovery codes in place of the old ones, shown once."""
    if not recently_signed_in(request):
        return not_recent(request)
    if not Profile.objects.for_user(request.user).two_step:
        return redirect("security")
    return show_recovery_codes(request, RecoveryCode.objects.replace(request.user))


def two_step_off(request):
    profile = Profile.objects.for_user(request.user)
    form = ConfirmForm(
        request.POST or None, request=request, passkeys=Passkey.objects.owned_by(request.user)
    )
    if profile.two_step and form.is_valid():
        with transaction.atomic():
            profile.two_step = False
            profile.save(update_fields=["two_step"])
            RecoveryCode.objects.filter(user=request.user).delete()
        messages.success(request, "Two-step sign-in is off: your password alone signs you in.")
        return redirect("security")
    return render(
        request,
        "diary/two_step_off.html",
        {"form": form, "profile": profile, "passkey_support": passkeys.support(request)},
    )


@require_safe
def episode_export(request):
    form = ExportRangeForm(request.GET)
    if not form.is_valid():
        return render(request, "diary/episode_export_invalid.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    rows = (
        Episode.objects.owned_by(request.user)
        .between(start, end)
        .order_by("started_at", "pk")
        .values_list(*csvio.EXPORT_FIELDS)
        .iterator(chunk_size=2000)
    )
    filename = (
        f"cramplog-{request.user.get_username()}-{start or 'all'}-{end or timezone.localdate()}.csv"
    )
    return StreamingHttpResponse(
        csvio.write_csv(rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


IMPORT_PREVIEW_ROWS = 100
IMPORT_ERRORS_SHOWN = 200


def episode_import(request):
    if request.method == "POST" and "confirm" in request.POST:
        return episode_import_confirm(request)
    # Coming back here cancels the person's waiting import; everyone's stale ones go too.
    PendingImport.objects.filter(user=request.user).delete()
    PendingImport.objects.expired().delete()
    profile = Profile.objects.for_user(request.user)
    if request.method != "POST":
        return render(request, "diary/episode_import.html", {"form": ImportForm(profile=profile)})
    form = ImportForm(request.POST, request.FILES, profile=profile)
    if not form.is_valid():
        return render(request, "diary/episode_import.html", {"form": form})
    result = form.cleaned_data["file"]
    new, duplicates = csvio.split_duplicates(
        result.rows, known_rows(request.user, [values for _line, values in result.rows])
    )
    token = None
    if new and not result.errors:
        token = secrets.token_urlsafe(16)
        PendingImport.objects.create(
            user=request.user, token=token, rows=[csvio.to_stored(values) for values in new]
        )
    return render(
        request,
        "diary/episode_import.html",
        {
            "form": ImportForm(profile=profile),
            "result": result,
            "errors": result.errors[:IMPORT_ERRORS_SHOWN],
            "new_count": len(new),
            "duplicate_count": len(duplicates),
            "preview": [Episode(**values) for values in new[:IMPORT_PREVIEW_ROWS]],
            "token": token,
        },
    )


def known_rows(user, rows):
    """The person's episodes that rows of an import may repeat, as CSV columns."""
    starts = [values["started_at"] for values in rows]
    client_ids = [values["client_id"] for values in rows if values["client_id"]]
    return (
        Episode.objects.owned_by(user)
        .may_repeat(starts, client_ids)
        .values(*csvio.COLUMNS)
        .iterator(chunk_size=2000)
    )


def episode_import_confirm(request):
    user = request.user
    with transaction.atomic():
        # Locked and deleted here, so of two confirmations at once (a double click) the
        # second finds nothing left to import.
        pending = (
            PendingImport.objects.fresh()
            .select_for_update()
            .filter(user=user, token=request.POST.get("token", ""))
            .first()
        )
        if pending is None:
            messages.info(
                request,
                "Nothing is waiting to be imported: it was imported already, or you uploaded "
                "another file since. Check your diary, and upload the file again if cramps are "
                "missing.",
            )
            return redirect("episode_list")
        pending.delete()
        rows = [csvio.from_stored(row) for row in pending.rows]
        new, _duplicates = csvio.split_duplicates(enumerate(rows), known_rows(user, rows))
        episodes = [Episode(user=user, **values) for values in new]
        for episode in episodes:
            # bulk_create skips save(), which fills these.
            episode.set_local_fields()
        Episode.objects.bulk_create(episodes, batch_size=500)
    count = len(episodes)
    messages.success(
        request,
        ngettext("Imported %(count)d cramp.", "Imported %(count)d cramps.", count)
        % {"count": count},
    )
    return redirect("episode_list")


def checkin_latest(request):
    """The check-in for the night under way (before noon, last night), or for ?night=."""
    if "night" not in request.GET:
        return checkin(request, night_under_way(timezone.localtime()))
    chooser = NightForm(request.GET, zone=Profile.objects.for_user(request.user).zone)
    if chooser.is_valid():
        return redirect("checkin_night", chooser.cleaned_data["night"])
    return render(request, "diary/checkin.html", {"chooser": chooser}, status=400)


def checkin(request, night):
    profile = Profile.objects.for_user(request.user)
    chooser = NightForm({"night": night}, zone=profile.zone)
    if not chooser.is_valid():
        return render(request, "diary/checkin.html", {"chooser": chooser}, status=400)
    saved = CheckIn.objects.owned_by(request.user).filter(night=night).first()
    form = CheckInForm(
        request.POST or None,
        instance=saved or CheckIn(user=request.user, night=night),
        profile=profile,
        experiment=Experiment.objects.owned_by(request.user).covering(night),
    )
    if form.is_valid():
        form.save()
        messages.success(request, f"Check-in saved for the night of {date_format(night, 'l j F')}.")
        return redirect("home")
    after = night + timedelta(days=1)
    return render(
        request,
        "diary/checkin.html",
        {
            "chooser": NightForm(initial={"night": night}, zone=profile.zone),
            "form": form,
            "night": night,
            "saved": saved,
            "logged": Episode.objects.owned_by(request.user)
            .in_nights(night, night)
            .order_by("started_at"),
            "previous_night": night - timedelta(days=1) if night > FIRST_NIGHT else None,
            "next_night": after if after <= night_under_way(timezone.localtime()) else None,
            # A saved night's form holds the person's answers: kept no longer than a page.
            "kept_seconds": KEPT_PAGE_SECONDS,
        },
    )


def kept_factor_links(request):
    """stats.links of every factor over the person's checked nights that have ended, kept
    (see kept)."""
    checkins = CheckIn.objects.owned_by(request.user)
    last = last_night(timezone.localdate())

    def tallies(first, last):
        return checkins.between(first, last).tallies()

    return kept(
        request,
        "factor-links",
        lambda: stats.links(counted(request, "factor-tallies", tallies, last), Factor.choices),
    )


def counted(request, name, rows, last):
    """rows(first, last), counts that add up across nights, for the nights up to last (None
    for all). Counting a whole history costs more than the rest of a page, so the rows of
    the nights before vocabulary.history_ends are kept apart (kept_history): a first view
    after a cramp or a check-in counts only the last two or three weeks again."""
    ends = history_ends(timezone.localdate())
    history = kept_history(
        request, (name, ends), lambda: list(rows(None, ends - timedelta(days=1)))
    )
    return [*history, *rows(ends, last)]


@require_safe
def insights(request):
    content = kept(
        request, "insights", lambda: render_to_string(*insights_content(request), request)
    )
    return render(request, "diary/insights.html", {"content": content})


def insights_content(request):
    last = last_night(timezone.localdate())
    first = last - timedelta(days=7 * nights.WEEKS_SHOWN - 1)
    checkins = CheckIn.objects.owned_by(request.user)
    episodes = Episode.objects.owned_by(request.user)
    recent = nights.every_night(
        first, last, episodes.per_night(first, last), checkins.between(first, last).rows()
    )
    weeks = nights.weeks(recent)
    trend = nights.weekly_trend(weeks)
    links = kept_factor_links(request)

    def relief_rows(first, last):
        return episodes.in_nights(first, last).relief_rows()

    return "diary/insights_content.html", {
        "links": links,
        "tested": sum(1 for link in links if link.tested),
        "checked": links[0].nights_with + links[0].nights_without,
        "weeks": weeks,
        "recent": nights.summary(recent),
        "trend": trend,
        "chart": nights.chart(weeks, trend),
        "relief": patterns.ranked_relief(
            patterns.relief_tally(counted(request, "relief", relief_rows, None))
        ),
        "min_nights": stats.MIN_NIGHTS,
        "false_discovery_rate": stats.FALSE_DISCOVERY_RATE,
    }


@require_safe
def insights_csv(request):
    links = kept_factor_links(request)
    filename = (
        f"cramplog-{request.user.get_username()}-insights-{timezone.localdate():%Y-%m-%d}.csv"
    )
    return HttpResponse(
        csvio.links_csv(links),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


@require_safe
def checkin_export(request):
    rows = (
        CheckIn.objects.owned_by(request.user)
        .order_by("night")
        .values_list(*csvio.CHECKIN_COLUMNS)
        .iterator(chunk_size=2000)
    )
    filename = (
        f"cramplog-{request.user.get_username()}-checkins-{timezone.localdate():%Y-%m-%d}.csv"
    )
    return StreamingHttpResponse(
        csvio.write_checkins(rows),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


# Static files the service worker keeps, so the home page works without a connection.
OFFLINE_FILES = [
    "bootstrap/css/bootstrap.min.css",
    "bootstrap/js/bootstrap.bundle.min.js",
    "css/app.css",
    "css/print.css",
    "js/theme.js",
    "js/taps.js",
    "js/app.js",
    "img/favicon.svg",
    "img/icon-192.png",
]


@login_not_required
@require_safe
def web_manifest(request):
    """What a phone needs to put cramplog on its home screen and open it like an app."""
    icons = [
        {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {
            "src": static("img/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ]
    manifest = {
        "name": "cramplog: foot cramp diary",
        "short_name": "cramplog",
        "description": "A private diary for foot cramps: log one in two taps, day or night.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "icons": icons,
    }
    return JsonResponse(
        manifest,
        content_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


@login_not_required
@require_safe
def service_worker(request):
    """The service worker (static/js/worker.js), from the site's root so it serves every page.

    Written here so that it names the static files by their hashed names: a release that
    changes any of them changes this script, and browsers then install the new worker.
    """
    lines = [
        "// cramplog's service worker; diary.views.service_worker writes these lines.",
        f"const OFFLINE_FILES = {json.dumps([static(name) for name in OFFLINE_FILES])};",
        f"const OFFLINE_PAGE = {json.dumps(reverse('offline'))};",
        # push-worker.js shows the reminders' notifications (issue 19).
        "importScripts({});".format(
            ", ".join(
                json.dumps(static(name))
                for name in ("js/taps.js", "js/worker.js", "js/push-worker.js")
            )
        ),
    ]
    return HttpResponse(
        "\n".join(lines) + "\n",
        content_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


@login_not_required
@require_safe
def offline(request):
    """What the service worker shows for a page it cannot fetch or keep: the same for everyone."""
    return render(request, "offline.html")


def experiment_nights(user, chosen, today):
    """{experiment: its experiments.Night list up to last night} for these experiments.

    Two queries however many experiments and nights: the check-ins and the cramps per night
    over the span of them all.
    """
    last = last_night(today)
    spans = {
        experiment: (experiment.starts_on, min(experiment.ends_on, last)) for experiment in chosen
    }
    if not spans:
        return {}
    first, end = min(s for s, _e in spans.values()), max(e for _s, e in spans.values())
    checkins = list(CheckIn.objects.owned_by(user).between(first, end))
    per_night = Episode.objects.owned_by(user).per_night(first, end)
    rows = [(c.night, c.unlogged_cramps, c.sleep_disturbance, c.factors) for c in checkins]
    known = {n.night: n for n in nights.every_night(first, end, per_night, rows)}
    return {
        experiment: experiments.plan(
            experiment.schedule, stop, known, experiment.done_by_night(checkins)
        )
        for experiment, (_start, stop) in spans.items()
    }


def experiment_summary(experiment, nights_of_it, today):
    """What the pages say of an experiment: its result, verdict and where it stands."""
    result = experiments.analyse(nights_of_it, experiment.design)
    running = experiment.running(today)
    verdict = experiments.RUNNING if running else result.verdict
    return {
        "experiment": experiment,
        "result": result,
        "verdict": verdict,
        "verdict_label": experiments.VERDICTS[verdict],
        "running": running,
        "checked": sum(1 for night in nights_of_it if night.checked),
        "counted": sum(1 for night in nights_of_it if night.counted),
        "tonight": experiment.period_on(today) if running else None,
    }


def report_experiments(user, today):
    """experiment_summary of each experiment the person added to the doctor's report, in
    three queries however many: for diary/includes/report_experiments.html."""
    chosen = list(Experiment.objects.owned_by(user).for_report())
    found = experiment_nights(user, chosen, today)
    return [experiment_summary(e, found[e], today) for e in chosen]


@require_safe
def experiment_list(request):
    today = timezone.localdate()
    chosen = list(Experiment.objects.owned_by(request.user))
    found = experiment_nights(request.user, chosen, today)
    summaries = [experiment_summary(e, found[e], today) for e in chosen]
    return render(
        request,
        "diary/experiment_list.html",
        {
            "running": next((s for s in summaries if s["running"]), None),
            "summaries": summaries,
        },
    )


def experiment_create(request):
    today = timezone.localdate()
    form = ExperimentForm(
        request.POST or None,
        instance=Experiment(user=request.user),
        initial={"starts_on": today},
    )
    if form.is_valid():
        try:
            with transaction.atomic():
                Experiment.objects.owned_by(request.user).close_finished(today)
                experiment = form.save()
        except IntegrityError:
            # Another experiment was started at the same moment (a double tap).
            form.add_error(None, "You already have an experiment running.")
        else:
            messages.success(request, "Your experiment is set up: its schedule is below.")
            return redirect(experiment)
    return render(
        request,
        "diary/experiment_form.html",
        {
            "form": form,
            "baseline_nights": experiments.BASELINE_NIGHTS,
            "pairs": experiments.PAIRS,
            "wash_in": experiments.WASH_IN_NIGHTS,
        },
    )


def experiment_detail(request, pk):
    experiment = get_object_or_404(Experiment.objects.owned_by(request.user), pk=pk)
    today = timezone.localdate()
    found = experiment_nights(request.user, [experiment], today)[experiment]
    summary = experiment_summary(experiment, found, today)
    return render(
        request,
        "diary/experiment_detail.html",
        {
            "summary": summary,
            "experiment": experiment,
            "running": summary["running"],
            "nights": found,
            "periods": experiments.counts_by_period(experiment.schedule, found),
            "timeline": experiments.timeline(found, experiment.schedule),
            "wash_in": experiments.WASH_IN_NIGHTS,
        },
    )


def experiment_nights_csv(request, pk):
    experiment = get_object_or_404(Experiment.objects.owned_by(request.user), pk=pk)
    found = experiment_nights(request.user, [experiment], timezone.localdate())[experiment]
    filename = f"cramplog-{request.user.get_username()}-experiment-{experiment.pk}-nights.csv"
    return HttpResponse(
        csvio.experiment_nights_csv(found),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def experiment_stop(request, pk):
    experiment = get_object_or_404(Experiment.objects.owned_by(request.user), pk=pk)
    # Checked after the lookup, so someone else's experiment is a 404 whatever the method.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    today = timezone.localdate()
    if experiment.running(today):
        experiment.ended_on = max(experiment.starts_on, last_night(today))
        experiment.save(update_fields=["ended_on"])
        messages.success(request, "Experiment stopped. Its result counts the nights until now.")
    return redirect(experiment)


def experiment_report(request, pk):
    experiment = get_object_or_404(Experiment.objects.owned_by(request.user), pk=pk)
    # Checked after the lookup, so someone else's experiment is a 404 whatever the method.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    experiment.in_report = request.POST.get("in_report") == "yes"
    experiment.save(update_fields=["in_report"])
    if experiment.in_report:
        messages.success(request, "Its result is in your doctor’s report.")
    else:
        messages.success(request, "Its result is no longer in your doctor’s report.")
    return redirect(experiment)


@login_not_required
def reminder_confirm(request, token):
    """The link in the confirmation mail: a page with a button, which confirms the address.

    Opening the link changes nothing, so a mail scanner that follows links confirms nothing.
    """
    try:
        user_id, address = reminders.read_confirmation(token)
    except signing.SignatureExpired:
        return render(request, "diary/reminder_confirm.html", {"expired": True}, status=400)
    except signing.BadSignature as error:
        raise Http404("No such link.") from error
    profile = Profile.objects.filter(user_id=user_id, reminder_email=address).first()
    if profile is None:
        return render(request, "diary/reminder_confirm.html", {"replaced": True}, status=400)
    if request.method == "POST" and not profile.reminder_email_confirmed:
        profile.reminder_email_confirmed = True
        profile.save(update_fields=["reminder_email_confirmed"])
    return render(request, "diary/reminder_confirm.html", {"profile": profile})


# RFC 8058: the mail provider POSTs "List-Unsubscribe=One-Click" with no session and no CSRF
# token; the signed token in the address is what proves the request came from the message.
@csrf_exempt
@login_not_required
def reminder_unsubscribe(request, token):
    """GET asks to confirm and changes nothing; POST turns that reminder off."""
    try:
        user_id, kind = reminders.read_unsubscribe(token)
    except signing.BadSignature as error:
        raise Http404("No such link.") from error
    profile = Profile.objects.filter(user_id=user_id).first()
    if profile is None or kind not in ReminderKind.values:
        raise Http404("No such link.")
    done = request.method == "POST"
    if done and profile.reminder_at(kind) is not None:
        profile.turn_off_reminder(kind)
    return render(
        request,
        "diary/reminder_unsubscribe.html",
        {"kind": ReminderKind(kind).label.lower(), "done": done, "token": token},
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
