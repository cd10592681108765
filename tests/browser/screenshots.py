"""`make screenshots`: the main pages on a phone (light and dark) and a desktop, into
docs/screenshots/.

Not part of the test suite (the file name does not start with test_): the Makefile names it.
It runs in pytest for the live server and a throw-away database holding the demo diaries, the
shipped knowledge base and a content editor.
"""

import shutil
import subprocess
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from diary.models import Episode, Experiment
from diary.vocabulary import night_of
from knowledge.models import Cause
from tests.factories import UserFactory
from tests.reportdiary import three_months
from tests.sitepages import make_diary, make_editor, session_cookie

from .conftest import DESKTOP, PHONE, open_page

pytestmark = pytest.mark.browser

FOLDER = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOOKS = {
    "phone": {**PHONE, "color_scheme": "light"},
    "phone-dark": {**PHONE, "color_scheme": "dark"},
    "desktop": {**DESKTOP, "color_scheme": "light"},
}
# 64 colours keep a long page's screenshot under 200 KB in the repository, and text sharp.
COLOURS = 64


def save_small(png, path):
    image = Image.open(BytesIO(png)).convert("RGB")
    image.quantize(COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )


@pytest.fixture
def demo(db, live_server):
    call_command("seed_demo", month_people=0, stdout=StringIO())
    person = Episode.objects.filter(user__username="demo-year").first().user
    diary = make_diary(person)
    tapped = next(episode for episode in diary if episode.intensity is None)
    # Ten years of nightly check-ins: enough for the insights to find the planted effects.
    decade = Episode.objects.filter(user__username="demo-decade").first().user
    return {
        "person": person,
        "decade": decade,
        "episode": diary[-1],
        "tapped": tapped,
        "editor": make_editor(),
    }


def pages(demo):
    episode = demo["episode"]
    cause = Cause.objects.get(slug="dehydration")
    return [
        ("home", "/", demo["person"]),
        ("tap", f"/diary/{demo['tapped'].pk}/logged/", demo["person"]),
        ("log-form", "/diary/new/", demo["person"]),
        ("episode", episode.get_absolute_url(), demo["person"]),
        ("month", f"/diary/{episode.local_date:%Y/%m}/", demo["person"]),
        ("year", f"/diary/{episode.local_date:%Y}/", demo["person"]),
        (
            "checkin",
            f"/diary/checkin/{night_of(episode.local_date, episode.local_hour)}/",
            demo["person"],
        ),
        ("insights", "/diary/insights/", demo["decade"]),
        (
            "experiment",
            Experiment.objects.get(user=demo["person"]).get_absolute_url(),
            demo["person"],
        ),
        ("knowledge-cause", cause.get_absolute_url(), demo["person"]),
        ("admin", "/admin/", demo["editor"]),
    ]


@pytest.mark.parametrize("look", LOOKS)
def test_take_screenshots(browser, live_server, demo, look):
    FOLDER.mkdir(parents=True, exist_ok=True)
    for name, url, user in pages(demo):
        # A British locale shows the date field in 24-hour time, as the rest of the site does.
        options = {**LOOKS[look], "locale": "en-GB"}
        context, page, watch = open_page(browser, live_server, options)
        context.add_cookies([session_cookie(user, live_server.url)])
        response = page.goto(url)
        assert response.status == 200, url
        png = page.screenshot(full_page=True, animations="disabled")
        save_small(png, FOLDER / f"{name}-{look}.png")
        context.close()
        watch.check()


def test_print_page_one_of_the_report(browser, live_server, demo, tmp_path):
    """Page one of three months' report as Chromium prints it on A4, rasterised by poppler."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is missing: apt-get install poppler-utils")
    person = UserFactory(username="ines")
    last_day = timezone.localdate() - timezone.timedelta(days=1)
    first_day = three_months(person, last_day)
    context, page, watch = open_page(browser, live_server, {"locale": "en-GB"})
    context.add_cookies([session_cookie(person, live_server.url)])
    page.goto(f"/diary/report/?start={first_day}&end={last_day}&name=Ines+Moreau")
    (tmp_path / "report.pdf").write_bytes(page.pdf(format="A4"))
    context.close()
    watch.check()
    pdf, png = tmp_path / "report.pdf", tmp_path / "page-one"
    command = ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*command, str(pdf), str(png)], check=True)
    save_small((tmp_path / "page-one.png").read_bytes(), FOLDER / "report-page-one.png")
