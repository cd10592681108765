import secrets
from datetime import date, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.sessions.models import Session
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Avg, Count, Min, Q, Sum
from django.http import Http404, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from knowledge.models import RedFlag
from limits import rates

from . import advice, csvio, patterns
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
    SignupForm,
    YearCompareForm,
)
from .models import Episode, Location, PendingImport, Profile

EPISODES_PER_PAGE = 25


def month_start(day, months_back=0):
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


@login_not_required
def home(request):
    if not request.user.is_authenticated:
        return render(request, "home_visitor.html")
    episodes = Episode.objects.owned_by(request.user)
    today = timezone.localdate()
    this_month, last_month = month_start(today), month_start(today, 1)
    counts = episodes.filter(local_date__gte=last_month).aggregate(
        this_month=Count("pk", filter=Q(local_date__gte=this_month)),
        last_month=Count("pk", filter=Q(local_date__lt=this_month)),
    )
    profile = Profile.objects.for_user(request.user)
    month_ago = today - timedelta(days=30)
    recent_advice = advice.for_period(list(episodes.filter(local_date__gt=month_ago)), profile)
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
        if not rates.take(rates.LOGIN_FAILURES, rates.address(request)):
            return rates.too_many(request, rates.LOGIN_FAILURES)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        rates.give_back(rates.LOGIN_FAILURES, rates.address(self.request))
        return super().form_valid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, within the hourly allowance of requests from one address.

    Each account also gets at most that many mails an hour (PasswordResetForm).
    """

    form_class = PasswordResetForm

    def post(self, request, *args, **kwargs):
        if not rates.take(rates.RESETS, rates.address(request)):
            return rates.too_many(request, rates.RESETS)
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
    if counted and not rates.take(rates.SIGNUPS, rates.address(request)):
        return rates.too_many(request, rates.SIGNUPS)
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


def as_rows(episodes):
    return [patterns.Row(*(getattr(e, name) for name in patterns.ROW_FIELDS)) for e in episodes]


# The calendar of December 9999 would run into year 10000, past what Python dates hold.
FIRST_YEAR, LAST_YEAR = 1900, 9998


def month_or_none(year, month):
    """The first day of a month the diary can show, or None beyond its years."""
    return date(year, month, 1) if FIRST_YEAR <= year <= LAST_YEAR else None


def month(request, year, month):
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise Http404("No such month.")
    start, end = patterns.month_bounds(year, month)
    prev_start, prev_end = patterns.month_bounds(*patterns.shift_month(year, month, -1))
    episodes = list(
        Episode.objects.owned_by(request.user).between(prev_start, end).order_by("started_at")
    )
    current = [episode for episode in episodes if episode.local_date >= start]
    previous = as_rows(episode for episode in episodes if episode.local_date < start)
    today = timezone.localdate()
    figures = patterns.figures(as_rows(current), start, end, today)
    figures["changes"] = patterns.compare(
        figures["totals"], patterns.totals(previous, prev_start, prev_end, today)
    )
    warnings = dict(figures["warnings"])
    red_flags = RedFlag.objects.published().filter(slug__in=warnings) if warnings else []
    return render(
        request,
        "diary/month.html",
        {
            "start": start,
            "end": end,
            "previous_month": prev_start,
            "previous_link": month_or_none(prev_start.year, prev_start.month),
            "next_month": month_or_none(*patterns.shift_month(year, month, 1)),
            "is_future": start > today,
            "figures": figures,
            "advice": advice.for_period(current, Profile.objects.for_user(request.user)),
            "red_flags": [(flag, warnings[flag.slug]) for flag in red_flags],
            "calendar": patterns.month_calendar(as_rows(current), year, month),
            "weekday_names": patterns.WEEKDAYS,
            "hour_bars": patterns.bars([(label[:2], n) for label, n in figures["hours"]["blocks"]]),
            "weekday_bars": patterns.bars([(name[:3], n) for name, n in figures["weekdays"]]),
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
        comparison = compare_around(episodes, form.cleaned_data["since"])
    return render(
        request,
        "diary/year.html",
        {
            "year": year,
            "previous_year": year - 1 if year > FIRST_YEAR else None,
            "next_year": year + 1 if year < LAST_YEAR else None,
            "months": months,
            "month_bars": patterns.bars(
                [(row["month"].strftime("%b"), row["episodes"]) for row in months]
            ),
            "total": sum(row["episodes"] for row in months),
            "form": form,
            "comparison": comparison,
        },
    )


def compare_around(episodes, change):
    """Cramps per week and mean pain over equal windows before and after a change."""
    first_day = episodes.aggregate(first=Min("local_date"))["first"]
    before_start, change, after_end, days = patterns.comparison_windows(
        change, timezone.localdate(), first_day
    )
    if days < 7:
        return {"days": days}
    figures = episodes.filter(local_date__gte=before_start, local_date__lt=after_end).aggregate(
        before=Count("pk", filter=Q(local_date__lt=change)),
        after=Count("pk", filter=Q(local_date__gte=change)),
        before_pain=Avg("intensity", filter=Q(local_date__lt=change)),
        after_pain=Avg("intensity", filter=Q(local_date__gte=change)),
    )
    weeks = days / 7
    return {
        "days": days,
        "before_start": before_start,
        "change": change,
        "after_end": after_end - timedelta(days=1),
        "before": figures["before"],
        "after": figures["after"],
        "before_per_week": round(figures["before"] / weeks, 1),
        "after_per_week": round(figures["after"] / weeks, 1),
        "before_pain": round(figures["before_pain"], 1) if figures["before_pain"] else None,
        "after_pain": round(figures["after_pain"], 1) if figures["after_pain"] else None,
    }


def report(request):
    form = ReportForm(request.GET or None)
    if not form.is_valid():
        return render(
            request, "diary/report_form.html", {"form": form}, status=400 if request.GET else 200
        )
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    episodes = list(
        Episode.objects.owned_by(request.user).between(start, end).order_by("started_at")
    )
    figures = patterns.figures(as_rows(episodes), start, end, timezone.localdate())
    return render(
        request,
        "diary/report.html",
        {
            "start": start,
            "end": end,
            "profile": Profile.objects.for_user(request.user),
            "figures": figures,
            "episodes": episodes,
            "hour_bars": patterns.bars([(label[:2], n) for label, n in figures["hours"]["blocks"]]),
            "generated": timezone.localtime(),
        },
    )


def account_export(request):
    """Everything the person has given us, as one JSON file they can keep or take elsewhere."""
    user = request.user
    profile = Profile.objects.for_user(user)
    profile_fields = [f.name for f in Profile._meta.concrete_fields if f.name not in {"id", "user"}]
    episode_fields = [f.name for f in Episode._meta.concrete_fields if f.name != "user"]
    data = {
        "exported_at": timezone.now(),
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": user.date_joined,
        },
        "profile": {name: getattr(profile, name) for name in profile_fields},
        "episodes": list(
            Episode.objects.owned_by(user).order_by("started_at", "pk").values(*episode_fields)
        ),
    }
    filename = f"cramplog-{user.get_username()}-{timezone.localdate():%Y-%m-%d}.json"
    return JsonResponse(
        data,
        json_dumps_params={"indent": 2, "ensure_ascii": False},
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


def account_delete(request):
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if form.is_valid():
        logout(request)
        delete_account(user)
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


def delete_account(user):
    """Delete the person, everything theirs, and every session still signed in as them.

    Profile and episodes go by cascade. Sessions are not linked to users in the database,
    so the live ones are decoded to find theirs.
    """
    user_id = str(user.pk)
    live = Session.objects.filter(expire_date__gt=timezone.now())
    theirs = [
        session.pk
        for session in live.iterator(chunk_size=500)
        if session.get_decoded().get(SESSION_KEY) == user_id
    ]
    username = user.get_username()
    with transaction.atomic():
        Session.objects.filter(pk__in=theirs).delete()
        for login_record in (AccessAttempt, AccessFailureLog, AccessLog):
            login_record.objects.filter(username=username).delete()
        user.delete()
    if connection.vendor == "sqlite" and not connection.is_in_memory_db():
        # Until a checkpoint, SQLite's write-ahead log keeps the pages as they were before
        # the delete, notes and all; TRUNCATE copies the log into the database and empties it.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def episode_export(request):
    form = ExportRangeForm(request.GET)
    if not form.is_valid():
        return render(request, "diary/episode_export_invalid.html", {"form": form}, status=400)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    episodes = Episode.objects.owned_by(request.user)
    if start:
        episodes = episodes.filter(local_date__gte=start)
    if end:
        episodes = episodes.filter(local_date__lte=end)
    rows = (
        episodes.order_by("started_at", "pk")
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
        result.rows,
        taken_start_times(request.user, [values["started_at"] for _line, values in result.rows]),
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


def taken_start_times(user, starts):
    """The start times among the person's cramps from the first to the last of these."""
    if not starts:
        return set()
    return set(
        Episode.objects.owned_by(user)
        .filter(started_at__gte=min(starts), started_at__lte=max(starts))
        .values_list("started_at", flat=True)
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
        taken = taken_start_times(user, [episode.started_at for episode in episodes])
        episodes = [episode for episode in episodes if episode.started_at not in taken]
        for episode in episodes:
            # bulk_create skips save(), which fills these.
            episode.set_local_fields()
        Episode.objects.bulk_create(episodes, batch_size=500)
    count = len(episodes)
    messages.success(request, f"Imported {count} cramp{'' if count == 1 else 's'}.")
    return redirect("episode_list")
