from datetime import date

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .forms import EpisodeFilterForm, EpisodeForm, ProfileForm, QuickLogForm, SignupForm
from .models import Episode, Location, Profile

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
    return render(
        request,
        "home.html",
        {
            "quick_form": QuickLogForm(),
            "locations": Location.choices,
            "recent": episodes[:5],
            "counts": counts,
            "this_month": this_month,
            "last_month": last_month,
        },
    )


@login_not_required
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if form.is_valid():
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
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "diary/episode_list.html",
        {"filters": filters, "page": page, "query": query.urlencode()},
    )


def episode_detail(request, pk):
    episode = get_object_or_404(Episode.objects.owned_by(request.user), pk=pk)
    fluids = Profile.objects.for_user(request.user).format_fluids(episode.fluid_ml)
    return render(request, "diary/episode_detail.html", {"episode": episode, "fluids": fluids})


def episode_create(request):
    profile = Profile.objects.for_user(request.user)
    form = EpisodeForm(request.POST or None, profile=profile, instance=Episode(user=request.user))
    if form.is_valid():
        episode = form.save()
        messages.success(request, "Cramp logged.")
        return redirect(episode)
    return render(request, "diary/episode_form.html", {"form": form})


def episode_update(request, pk):
    episode = get_object_or_404(Episode.objects.owned_by(request.user), pk=pk)
    profile = Profile.objects.for_user(request.user)
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
