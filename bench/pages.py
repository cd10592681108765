"""Which pages the benchmark drives, as whom and on which server; pages not built yet are listed."""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

WRITERS = 8
# Who a page is measured as: the demo person it signs in as, and how the report names them.
PEOPLE = {"decade": "demo-decade", "year": "demo-year"}
SIGNED_IN_AS = {
    None: "nobody",
    "decade": "ten-year person",
    "year": "one-year person",
    "writers": f"{WRITERS} month people",
}


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str | None  # None when the seeded data has nothing to show on it
    who: str | None  # a key of SIGNED_IN_AS
    server: str = "app"  # a name from bench.load.start_servers


@dataclass(frozen=True)
class Plan:
    pages: list[Page]  # driven by wrk, in this order
    writers: Page | None  # episode creation, driven by the writer threads; None if missing
    missing: list[tuple[str, str]]  # (label, why) of pages not measured
    login_path: str
    writer_names: list[str]


def plan(decade_episodes):
    """The pages to measure, each with the person it is measured as; missing ones listed."""
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    pages, missing = [], []
    for page in candidates(decade_episodes):
        if page.path is None:
            missing.append((page.label, "nothing to show it for (no data)"))
            continue
        if page.server != "hello":
            try:
                resolve(urlsplit(page.path).path)
            except Resolver404:
                missing.append((page.label, f"{page.path} does not resolve yet"))
                continue
        pages.append(page)
    writers = None
    try:
        label = f"Episode creation, {WRITERS} concurrent writers"
        writers = Page("writers", label, reverse("episode_create"), "writers")
    except NoReverseMatch:
        missing.append(("Episode creation", "episode_create does not resolve"))
    return Plan(
        pages=pages,
        writers=writers,
        missing=missing,
        login_path=reverse("login"),
        writer_names=[f"demo-month-{n:06d}" for n in range(1, WRITERS + 1)],
    )


def candidates(decade_episodes):
    """Every page the benchmark knows; path None when the seeded data has nothing to show."""
    from diary.models import Episode
    from diary.views import EPISODES_PER_PAGE
    from knowledge.models import Cause

    today = date.today()
    month = date(today.year, today.month, 1) - timedelta(days=1)
    night_episodes = {
        who: Episode.objects.filter(user__username=username)
        .filter(activity="sleeping", local_hour__in=[22, 23, 0, 1, 2, 3, 4, 5])
        .order_by("-started_at")
        .first()
        for who, username in PEOPLE.items()
    }
    night_episode, year_night_episode = night_episodes["decade"], night_episodes["year"]
    cause = Cause.objects.published().order_by("title").first()
    month_path = f"/diary/{month:%Y}/{month:%m}/"
    last_page = -(-decade_episodes // EPISODES_PER_PAGE)
    year_path = f"/diary/{month:%Y}/"
    return [
        Page("hello", "Bare WSGI app (gunicorn)", "/", None, server="hello"),
        Page(
            "plaintext_none",
            "Django fixed response, no middleware",
            "/bench/plaintext/",
            None,
            server="plaintext_none",
        ),
        Page(
            "plaintext_stock",
            "Django fixed response, startproject's 7 middleware",
            "/bench/plaintext/",
            None,
            server="plaintext_stock",
        ),
        Page("plaintext", "Django fixed response, full middleware", "/bench/plaintext/", None),
        Page(
            "plaintext_signed_in",
            "Django fixed response, full middleware, signed in",
            "/bench/plaintext-signed-in/",
            "decade",
        ),
        Page("fortunes", "Fortunes: 12 rows through a template", "/bench/fortunes/", None),
        Page("fortunes_signed_in", "Fortunes, signed in", "/bench/fortunes/", "decade"),
        Page("home", "Home, repeat view", "/", "decade"),
        Page("home_first", "Home, first view after a change", "/", "decade", server="first_view"),
        Page("list", "Diary list, repeat view", "/diary/", "decade"),
        Page(
            "list_first",
            "Diary list, first view after a change",
            "/diary/",
            "decade",
            server="first_view",
        ),
        Page(
            "list_last",
            "Diary list, last page, ten-year person",
            f"/diary/?page={last_page}" if last_page > 1 else None,
            "decade",
        ),
        Page(
            "detail",
            "Episode detail with matches, repeat view",
            f"/diary/{night_episode.pk}/" if night_episode else None,
            "decade",
        ),
        Page(
            "detail_first",
            "Episode detail with matches, first view after a change",
            f"/diary/{night_episode.pk}/" if night_episode else None,
            "decade",
            server="first_view",
        ),
        Page(
            "detail_year",
            "Episode detail with matches, one-year person, first view after a change",
            f"/diary/{year_night_episode.pk}/" if year_night_episode else None,
            "year",
            server="first_view",
        ),
        Page(
            "month_first",
            f"Month page {month:%Y-%m}, ten-year person, first view after a change",
            month_path,
            "decade",
            server="first_view",
        ),
        Page(
            "month_year",
            f"Month page {month:%Y-%m}, one-year person, first view after a change",
            month_path,
            "year",
            server="first_view",
        ),
        Page(
            "month_decade",
            f"Month page {month:%Y-%m}, ten-year person, repeat view",
            month_path,
            "decade",
        ),
        Page(
            "year_first",
            f"Year page {month:%Y}, ten-year person, first view after a change",
            year_path,
            "decade",
            server="first_view",
        ),
        Page(
            "year_decade",
            f"Year page {month:%Y}, ten-year person, repeat view",
            year_path,
            "decade",
        ),
        Page(
            "checkin",
            "Check-in for the night under way, ten-year person",
            "/diary/checkin/",
            "decade",
        ),
        Page(
            "insights",
            "Insights, ten years of nightly check-ins, repeat view",
            "/diary/insights/",
            "decade",
        ),
        Page(
            "insights_first",
            "Insights, ten years of nightly check-ins, first view after a change",
            "/diary/insights/",
            "decade",
            server="first_view",
        ),
        Page(
            "insights_year",
            "Insights, one year of nightly check-ins, first view after a change",
            "/diary/insights/",
            "year",
            server="first_view",
        ),
        Page(
            "insights_history",
            "Insights, ten years of nightly check-ins, first view after a change to their history",
            "/diary/insights/",
            "decade",
            server="history_changed",
        ),
        Page(
            "cause",
            f"Knowledge cause page ({cause.slug})" if cause else "Knowledge cause page",
            f"/knowledge/causes/{cause.slug}/" if cause else None,
            "decade",
        ),
        Page(
            "export",
            f"CSV export, ten years ({decade_episodes:,} rows)",
            "/diary/export.csv",
            "decade",
        ),
        Page("rows", "Same rows read with values_list", "/bench/rows/", "decade"),
    ]
