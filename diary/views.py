import secrets
from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from . import advice, csvio, limits, patterns
from .forms import (
    DeleteAccountForm,
    EpisodeFilterForm,
    EpisodeForm,
    ExportRangeForm,
    ImportForm,
    PasswordResetForm,
    ProfileForm,
    QuickLogForm,
    ReportForm,
    ShareForm,
    SignupForm,
    YearCompareForm,
)
from .models import Episode, PendingImport, Profile, ShareLink
from .vocabulary import FIRST_YEAR, LAST_YEAR, NOTES_CUT, Location, night

EPISODES_PER_PAGE = 25


@login_not_required
def home(request):
    if not request.user.is_authenticated:
        return render(request, "home_visitor.html")
    episodes = Episode.objects.owned_by(request.user)
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = date(*patterns.shift_month(today.year, today.month, -1), 1)
    counts = episodes.filter(local_date__gte=last_month).aggregate(
        this_month=Count("pk", filter=Q(local_date__gte=this_month)),
        last_month=Count("pk", filter=Q(local_date__lt=this_month)),
    )
    profile = Profile.objects.for_user(request.user)
    since = today - timedelta(days=29)
    recent_advice = advice.for_period(list(episodes.between(since)), since, today, today, profile)
    return render(
        request,
        "home.html",
        {
            "advice": recent_advice,
            "quick_form": QuickLogForm(),
            "locations": Location.choices,
            "recent": episodes[:5],
            "counts": counts,
            "this_month": this_month,
            "last_month": last_month,
        },
    )


class LoginView(auth_views.LoginView):
    """Django's login, within the hourly allowance of failed logins from one address.

    The allowance is taken before the password is checked, which is the costly part, and
    given back when the login succeeds.
    """

    def post(self, request, *args, **kwargs):
        if not limits.take(limits.LOGIN_FAILURES, limits.address(request)):
            return limits.too_many(request, limits.LOGIN_FAILURES)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        limits.give_back(limits.LOGIN_FAILURES, limits.address(self.request))
        return super().form_valid(form)


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
        Profile.objects.create(user=user)
        login(request, user, backend="diary.backends.ProfileModelBackend")
        messages.success(
            request, "Welcome! Set your time zone so cramps are logged at the right time."
        )
        return redirect("profile")
    return render(request, "registration/signup.html", {"form": form})


def profile(request):
    form = ProfileForm(request.POST or None, instance=Profile.objects.for_user(request.user))
    if form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(request, "diary/profile_form.html", {"form": form})


@require_POST
def quick_log(request):
    form = QuickLogForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick which foot and where the cramp is, then try again.")
        return redirect("home")
    episode = form.save(request.user, Profile.objects.for_user(request.user))
    messages.success(
        request,
        f"Cramp logged at {timezone.localtime(episode.started_at):%H:%M}. "
        "Add how long it lasted and what you were doing, if you can.",
    )
    return redirect("episode_update", pk=episode.pk)


def episode_list(request):
    filters = EpisodeFilterForm(request.GET or None)
    episodes = Episode.objects.owned_by(request.user)
    if filters.is_valid():
        episodes = filters.filter(episodes)
    page = Paginator(episodes, EPISODES_PER_PAGE).get_page(request.GET.get("page"))
    top = advice.top_causes(page.object_list, Profile.objects.for_user(request.user))
    rows = [(episode, top[episode.pk]) for episode in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "diary/episode_list.html",
        {"filters": filters, "page": page, "rows": rows, "query": query.urlencode()},
    )


def episode_detail(request, pk):
    episode = get_object_or_404(Episode.objects.owned_by(request.user), pk=pk)
    # Checked after the lookup, so someone else's episode is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    profile = Profile.objects.for_user(request.user)
    return render(
        request,
        "diary/episode_detail.html",
        {
            "episode": episode,
            "fluids": profile.format_fluids(episode.fluid_ml),
            "advice": advice.for_episode(episode, profile),
        },
    )


def episode_create(request):
    profile = Profile.objects.for_user(request.user)
    form = EpisodeForm(request.POST or None, profile=profile, instance=Episode(user=request.user))
    if form.is_valid():
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


def month(request, year, month):
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise Http404("No such month.")
    start, end = patterns.month_bounds(year, month)
    prev_start, prev_end = patterns.month_bounds(*patterns.shift_month(year, month, -1))
    episodes = list(
        Episode.objects.owned_by(request.user).between(prev_start, end).order_by("started_at")
    )
    current = [episode for episode in episodes if episode.local_date >= start]
    previous = [episode for episode in episodes if episode.local_date < start]
    today = timezone.localdate()
    figures = patterns.figures(current, start, end, today, night())
    figures["changes"] = patterns.compare(
        figures["totals"], patterns.totals(previous, prev_start, prev_end, today)
    )
    profile = Profile.objects.for_user(request.user)
    return render(
        request,
        "diary/month.html",
        {
            "start": start,
            "end": end,
            "previous_month": prev_start,
            "previous_link": month_or_none(prev_start.year, prev_start.month),
            "next_month": month_or_none(*patterns.shift_month(year, month, 1), today),
            "is_future": start > today,
            "figures": figures,
            "advice": advice.for_period(current, start, end, today, profile),
            "profile": profile,
            "low_fluid_ml": patterns.LOW_FLUID_ML,
            "calendar": patterns.month_calendar(current, year, month),
            "weekday_names": patterns.WEEKDAYS,
        },
    )


def year(request, year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("No such year.")
    episodes = Episode.objects.owned_by(request.user)
    day_rows = (
        episodes.between(date(year, 1, 1), date(year, 12, 31))
        .values("local_date")
        .annotate(count=Count("pk"), intensity=Sum("intensity"))
        .values_list("local_date", "count", "intensity")
        .order_by()
    )
    months = patterns.year_months(day_rows, year)
    form = YearCompareForm(request.GET or None)
    comparison = None
    if form.is_valid():
        comparison = episodes.compare_around(form.cleaned_data["since"], timezone.localdate())
    return render(
        request,
        "diary/year.html",
        {
            "year": year,
            "previous_year": year - 1 if year > FIRST_YEAR else None,
            "next_year": year + 1 if year < min(LAST_YEAR, timezone.localdate().year) else None,
            "months": months,
            "month_bars": patterns.bars(
                [(row["month"].strftime("%b"), row["episodes"]) for row in months]
            ),
            "total": sum(row["episodes"] for row in months),
            "form": form,
            "comparison": comparison,
        },
    )


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

    The summary is in the order of page one: its figures, then the advice on them. A new
    section of the summary (check-ins, a self-experiment) is one more key here.
    """
    zone = profile.zone
    today = timezone.localdate(timezone=zone)
    episodes = list(
        Episode.objects.owned_by(profile.user).between(start, end).order_by("started_at", "pk")
    )
    return {
        "start": start,
        "end": end,
        "period_days": (end - start).days + 1,
        "profile": profile,
        "age": profile.age_on(end),
        "summary": patterns.summary(episodes, start, end, today, night()),
        "advice": advice.for_period(episodes, start, end, today, profile),
        "episodes": episodes,
        "notes_cut": NOTES_CUT,
        "cut_notes": [e for e in episodes if len(e.notes) > NOTES_CUT] if full_notes else None,
        "low_fluid_ml": patterns.LOW_FLUID_ML,
        "generated": timezone.localtime(timezone=zone),
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
            "backup_days": settings.CRAMPLOG_BACKUP_KEEP_DAYS,
        },
    )


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
    starts = [values["started_at"] for _line, values in result.rows]
    new, duplicates = csvio.split_duplicates(
        result.rows, Episode.objects.owned_by(request.user).start_times_among(starts)
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
        episodes = [Episode(user=user, **csvio.from_stored(row)) for row in pending.rows]
        taken = Episode.objects.owned_by(user).start_times_among([e.started_at for e in episodes])
        episodes = [episode for episode in episodes if episode.started_at not in taken]
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
