"""An experiment on a phone: started from its form, followed through a check-in, its answer
read with the timeline; light and dark, at 390 × 844 with touch."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import CheckIn, Experiment
from diary.vocabulary import last_night
from tests.factories import UserFactory
from tests.sitepages import session_cookie

from .conftest import open_page
from .test_accessibility import WCAG_21_AA, axe, describe
from .test_checkin_journey import PHONE_390, assert_no_sideways_scroll

pytestmark = pytest.mark.browser


@pytest.fixture(params=["light", "dark"])
def phone(request, browser, live_server, db):
    options = {**PHONE_390, "color_scheme": request.param}
    context, page, watch = open_page(browser, live_server, options)
    person = UserFactory(username="tester")
    context.add_cookies([session_cookie(person, live_server.url)])
    yield page, person
    context.close()
    watch.check()


def assert_accessible(page):
    assert_no_sideways_scroll(page)
    violations = axe.run(page, options=WCAG_21_AA).response["violations"]
    assert not violations, "\n".join(describe(page.url, violations))


def test_a_person_starts_an_experiment_checks_in_and_reads_where_it_stands(phone):
    page, person = phone
    page.goto("/diary/experiments/")
    page.get_by_role("link", name="Start an experiment").tap()

    page.get_by_label("The change you want to try").fill("Stretch before bed")
    page.get_by_label("7 nights", exact=True).check()
    assert_accessible(page)
    page.get_by_role("button", name="Draw the schedule and start").tap()

    expect(page).to_have_url(re.compile(r"/diary/experiments/\d+/$"))
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "running")
    expect(page.get_by_role("img", name=re.compile("Cramps each night"))).to_be_visible()
    assert_accessible(page)
    experiment = Experiment.objects.get(user=person)
    assert experiment.period_nights == 7


def test_the_check_in_asks_whether_the_change_was_done_in_one_tap(phone):
    page, person = phone
    last = last_night(timezone.localdate())
    experiment = Experiment.objects.create(
        user=person,
        change="Magnesium at bedtime",
        period_nights=7,
        starts_on=last - timedelta(days=15),
        order="wnwnwn",
    )
    page.goto(f"/diary/checkin/{last}/")

    page.get_by_role("button", name=re.compile("No cramps, and I did it")).tap()

    expect(page.locator(".messages")).to_contain_text("Check-in saved")
    assert CheckIn.objects.get(user=person, night=last).experiment_done is True
    page.goto(experiment.get_absolute_url())
    assert_accessible(page)
