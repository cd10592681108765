"""On a 390x844 phone the advice pages stay short enough to read: measured in chromium.

A busy diary (a cramp most days for two months), and a cramp with five matched causes, two
red flags and notes. Disclosures stay closed, as a person first sees the page.
"""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import EpisodeFactory, UserFactory
from tests.sitepages import session_cookie

from .conftest import PHONE, open_page

pytestmark = pytest.mark.browser

PHONE_390 = {**PHONE, "viewport": {"width": 390, "height": 844}}
# The limits of issue 15, in CSS pixels at 390 px wide.
EPISODE_MAX = 2000
HOME_MAX = 1600
MONTH_MAX = 3500

ACTIVITIES = ["sleeping", "sitting", "standing", "walking", "running", "sport", "resting"]
TRIGGERS = ["cold", "tight_footwear", "long_sitting", "heavy_sweating", "intense_exercise", ""]
NOTES = ["Long day on my feet.", "", "Woke me at three.", "", "After a hot run."]


def busy_diary(user, now):
    """About one and a half cramps a day for the last 70 days, the same every run."""
    rng = random.Random(15)
    for day in range(70):
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            trigger = rng.choice(TRIGGERS)
            EpisodeFactory(
                user=user,
                started_at=now - timedelta(days=day, hours=rng.randrange(24)),
                foot=rng.choice(["left", "right", "both"]),
                locations=rng.sample(["toes", "arch", "calf", "heel"], rng.choice([1, 2])),
                duration_seconds=rng.choice([30, 90, 240, 600]),
                intensity=rng.randrange(2, 10),
                fluid_ml=rng.choice([None, 800, 1500, 2200]),
                activity=rng.choice(ACTIVITIES),
                triggers=[trigger] if trigger else [],
                symptoms=rng.choice([[], [], ["woke_me"]]),
                relief=rng.choice([[], ["stretch"], ["massage", "walk"]]),
                relief_helped=rng.choice(["", "yes", "partly"]),
                notes=rng.choice(NOTES),
            )


def heavy_cramp(user, started_at):
    """Five causes (dehydration, minerals, exercise, cold, tired muscles) and two red flags
    (a 40-minute cramp, numbness), with notes."""
    return EpisodeFactory(
        user=user,
        started_at=started_at,
        foot="right",
        locations=["calf"],
        duration_seconds=40 * 60,
        intensity=8,
        fluid_ml=700,
        activity="running",
        triggers=["heavy_sweating", "intense_exercise", "cold"],
        symptoms=["numbness_tingling"],
        relief=["stretch", "massage"],
        relief_helped="partly",
        notes="Calf locked up at the end of a long, hot run in the cold wind. It took ages to go.",
    )


@pytest.fixture
def busy(knowledge, live_server):
    person, runner = UserFactory(username="busy"), UserFactory(username="runner")
    now = timezone.now()
    busy_diary(person, now - timedelta(hours=2))
    return {
        "person": person,
        "runner": runner,
        # The runner's only two cramps, so no warning about frequent cramps adds a third.
        "old": heavy_cramp(runner, now - timedelta(days=3)),
        "fresh": heavy_cramp(runner, now - timedelta(minutes=10)),
        "last_month": timezone.localdate().replace(day=1) - timedelta(days=1),
    }


def page_height(browser, live_server, user, url):
    context, page, watch = open_page(browser, live_server, PHONE_390)
    context.add_cookies([session_cookie(user, live_server.url)])
    response = page.goto(url)
    assert response.status == 200, url
    height = page.evaluate("document.documentElement.scrollHeight")
    context.close()
    watch.check()
    return height


def test_the_phone_pages_fit_their_heights_with_disclosures_closed(browser, live_server, busy):
    person, runner = busy["person"], busy["runner"]
    heights = {
        "episode, 3 days ago": page_height(
            browser, live_server, runner, busy["old"].get_absolute_url()
        ),
        "episode, 10 minutes ago": page_height(
            browser, live_server, runner, busy["fresh"].get_absolute_url()
        ),
        "home": page_height(browser, live_server, person, "/"),
        "month": page_height(browser, live_server, person, f"/diary/{busy['last_month']:%Y/%m}/"),
    }
    print("Page heights at 390x844:", heights)

    assert heights["episode, 3 days ago"] <= EPISODE_MAX, heights
    assert heights["episode, 10 minutes ago"] <= EPISODE_MAX, heights
    assert heights["home"] <= HOME_MAX, heights
    assert heights["month"] <= MONTH_MAX, heights


def test_the_month_pages_tables_are_behind_disclosures_on_screen_and_open_on_paper(
    browser, live_server, busy
):
    context, page, watch = open_page(browser, live_server, PHONE_390)
    context.add_cookies([session_cookie(busy["person"], live_server.url)])
    page.goto(f"/diary/{busy['last_month']:%Y/%m}/")
    tables = page.locator("details table")

    on_screen = [tables.nth(n).is_visible() for n in range(tables.count())]
    page.emulate_media(media="print")
    on_paper = [tables.nth(n).is_visible() for n in range(tables.count())]

    assert len(on_screen) >= 5
    assert not any(on_screen)
    assert all(on_paper)
    context.close()
    watch.check()
