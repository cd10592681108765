"""3 a.m. on a phone, in chromium at 390 x 844 with touch: a cramp logged in two taps is never
lost (signed out, signed in again elsewhere, tapped twice, offline), the app installs and works
without a connection, pages are dark when the phone is, and every target is big enough."""

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import expect

from diary.models import Episode, Profile, PushSubscription
from tests.factories import PASSWORD, EpisodeFactory, UserFactory
from tests.sitepages import build_site

from .conftest import PHONE, PHONE_390, open_page
from .test_passkeys import NO_AUTOFILL, VirtualAuthenticator, add_passkey

pytestmark = pytest.mark.browser

SAVED_OFFLINE = "Saved on this phone — will be sent when you are online."
# Chromium's own console lines for requests made without a connection, and for the 401
# that tells the page's script the session has ended: what the test provokes, not a fault.
EXPECTED_CONSOLE = ("ERR_INTERNET_DISCONNECTED", "status of 401")


@pytest.fixture
def phone(browser, live_server):
    """A 390 x 844 touch screen in a fresh browser context, watched like every page."""
    context, page, watch = open_page(browser, live_server, {**PHONE_390, "locale": "en-GB"})
    # The service worker and the queue take their time on a busy test machine.
    context.set_default_timeout(30_000)
    yield page
    context.close()
    watch.problems = [
        problem
        for problem in watch.problems
        if not any(expected in problem for expected in EXPECTED_CONSOLE)
    ]
    watch.check()


@pytest.fixture
def ana(db):
    return UserFactory(username="ana")


def log_in(page, username="ana", keep=False):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    if keep:
        page.get_by_label("Keep me signed in").check()
    page.get_by_role("button", name="Log in").click()


def sign_in_at_home(page, username="ana"):
    page.goto("/accounts/login/")
    log_in(page, username)
    expect(page.get_by_role("heading", name="Log a cramp now")).to_be_visible()


def tap_cramp(page, foot="Left", place="Heel"):
    page.get_by_text(foot, exact=True).tap()
    page.get_by_role("button", name=place, exact=True).tap()


def wait_for_offline_home(page):
    """Until the service worker runs the page and keeps the home page for offline use, and the
    phone knows whose it is."""
    active = page.evaluate(
        """() => Promise.race([
            navigator.serviceWorker.ready.then(() => true),
            new Promise(resolve => setTimeout(() => resolve(false), 15000)),
        ])"""
    )
    if not active or not page.evaluate("() => navigator.serviceWorker.controller !== null"):
        # A worker that takes over while the page after signing in is loading controls the
        # pages loaded after it, not that one; one whose install failed (a static file that
        # did not come in time on a busy machine) is installed again on the next page load.
        # Either way the next load is the worker's, as on a phone opened again.
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    until(
        page,
        """async () => {
            const taps = window.CramplogTaps;
            const kept = await (await caches.open(taps.PAGES)).match(taps.HOME);
            const owner = await taps.owner();
            // The same test the worker makes offline: the kept page is this account's.
            return Boolean(kept && owner) && owner === document.body.dataset.owner
                && (await taps.pageOwner(kept)) === owner;
        }""",
    )


def until(page, script, timeout=30):
    """Evaluate an async script until it answers true. wait_for_function cannot do this: it
    takes the promise an async function returns for a true answer and stops at once."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"Still false after {timeout} s: {script}"
        page.wait_for_timeout(100)


def queued(page):
    return page.evaluate("async () => (await window.CramplogTaps.all()).length")


def count_settles(user, expected):
    """Whether the person's cramps number `expected` once the live server's last write shows
    in this thread, which can come a moment after the browser heard the answer."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if Episode.objects.filter(user=user).count() == expected:
            return True
        time.sleep(0.1)
    return Episode.objects.filter(user=user).count() == expected


# Never lose a tap


def test_a_tap_on_a_page_left_open_after_the_session_ended_is_saved_after_signing_in(phone, ana):
    sign_in_at_home(phone)
    # The night passes: the session ends on the server, the page stays open.
    Session.objects.all().delete()

    tap_cramp(phone)

    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(phone.get_by_role("status").first).to_contain_text(
        "You were signed out, so your cramp is not in your diary yet. It is kept"
    )
    assert not Episode.objects.exists()
    log_in(phone)
    expect(phone).to_have_url(re.compile(r"/diary/\d+/logged/$"))
    assert count_settles(ana, 1)
    episode = Episode.objects.get(user=ana)
    expect(phone.get_by_role("status").first).to_contain_text(
        f"Saved the cramp you logged at {episode.local_started_at:%H:%M}."
    )
    expect(phone.get_by_role("heading", level=1)).to_have_text("Logged: left foot, heel")
    # The copy in the phone's queue is sent too, and saves nothing new.
    until(phone, "async () => (await window.CramplogTaps.all()).length === 0")
    assert count_settles(ana, 1)
    assert timezone.now() - episode.started_at < timedelta(minutes=2)


def test_a_tap_after_the_session_ended_is_saved_after_signing_in_with_a_passkey(phone, ana):
    phone.add_init_script(NO_AUTOFILL)
    VirtualAuthenticator(phone)
    sign_in_at_home(phone)
    add_passkey(phone, "my phone")
    phone.goto("/")
    Session.objects.all().delete()

    tap_cramp(phone)
    expect(phone).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    phone.get_by_role("button", name="Sign in with a passkey").click()

    expect(phone).to_have_url(re.compile(r"/diary/\d+/logged/$"))
    assert count_settles(ana, 1)
    episode = Episode.objects.get(user=ana)
    expect(phone.get_by_role("status").first).to_contain_text(
        f"Saved the cramp you logged at {episode.local_started_at:%H:%M}."
    )


def test_a_tap_after_signing_in_again_in_another_tab_is_saved_at_once(phone, ana):
    sign_in_at_home(phone)
    Session.objects.all().delete()
    other_tab = phone.context.new_page()
    other_tab.goto("/accounts/login/")
    # Signing in again replaces the CSRF token the first tab's form holds.
    log_in(other_tab)
    expect(other_tab.get_by_role("heading", name="Log a cramp now")).to_be_visible()

    tap_cramp(phone, "Right", "Arch")

    expect(phone).to_have_url(re.compile(r"/diary/\d+/logged/$"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Logged: right foot, arch")
    assert count_settles(ana, 1)


@pytest.mark.parametrize("signed_in_elsewhere", [False, True], ids=["signed out", "other tab"])
def test_without_scripts_a_tap_after_the_night_is_saved_too(
    browser, live_server, ana, signed_in_elsewhere
):
    options = {**PHONE_390, "java_script_enabled": False}
    context, page, watch = open_page(browser, live_server, options)
    sign_in_at_home(page)
    Session.objects.all().delete()
    if signed_in_elsewhere:
        other_tab = context.new_page()
        other_tab.goto("/accounts/login/")
        log_in(other_tab)

    # The form posts itself: a stale token or no session at all.
    page.get_by_text("Right", exact=True).tap()
    page.get_by_role("button", name="Ankle").tap()
    if not signed_in_elsewhere:
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
        log_in(page)

    expect(page).to_have_url(re.compile(r"/diary/\d+/logged/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Logged: right foot, ankle")
    assert count_settles(ana, 1)
    context.close()
    watch.check()


def test_a_double_tap_logs_one_cramp(phone, ana):
    sign_in_at_home(phone)
    phone.get_by_text("Left", exact=True).tap()

    phone.get_by_role("button", name="Toes").evaluate(
        "button => { button.click(); button.click(); }"
    )

    expect(phone).to_have_url(re.compile(r"/diary/\d+/logged/$"))
    assert count_settles(ana, 1)


def test_offline_a_tap_is_kept_on_the_phone_and_sent_once_when_the_connection_returns(phone, ana):
    sign_in_at_home(phone)
    wait_for_offline_home(phone)
    phone.context.set_offline(True)

    # The home page opens from the phone without a connection.
    phone.goto("/")
    expect(phone.get_by_role("heading", name="Log a cramp now")).to_be_visible()
    tap_cramp(phone, "Both", "Calf")

    expect(phone.get_by_role("status").last).to_have_text(SAVED_OFFLINE)
    assert queued(phone) == 1
    assert not Episode.objects.exists()
    phone.context.set_offline(False)

    expect(phone.get_by_role("status").last).to_contain_text(
        re.compile(r"^Sent: the cramp you logged at \d\d:\d\d is in your diary\.")
    )
    assert queued(phone) == 0
    phone.reload()
    expect(phone.get_by_role("heading", name="Log a cramp now")).to_be_visible()
    assert count_settles(ana, 1)
    episode = Episode.objects.get(user=ana)
    assert (episode.foot, episode.locations) == ("both", ["calf"])
    assert (episode.duration_seconds, episode.intensity) == (None, None)
    assert timezone.now() - episode.started_at < timedelta(minutes=2)


def tap_offline(phone, place):
    """Signed in, with the home page kept for offline use: a tap without a connection, and
    long enough after it for the next tap to be another cramp (two taps closer together than
    two seconds are one)."""
    sign_in_at_home(phone)
    wait_for_offline_home(phone)
    phone.context.set_offline(True)
    phone.goto("/")
    tap_cramp(phone, "Left", place)
    expect(phone.get_by_role("status").last).to_have_text(SAVED_OFFLINE)
    phone.wait_for_timeout(2500)


def test_offline_two_taps_in_the_same_minute_are_two_cramps_at_their_own_times(phone, ana):
    tap_offline(phone, "Toes")
    # The status line says the same after the second tap. Emptied, it shows when the second
    # has been tried too: online again before that, it is sent at once and the page moves to
    # it, which is right for a person and not what this test is about.
    phone.locator(".tap-status").evaluate("status => { status.textContent = ''; }")
    tap_cramp(phone, "Left", "Toes")
    expect(phone.get_by_role("status").last).to_have_text(SAVED_OFFLINE)
    until(phone, "async () => (await window.CramplogTaps.all()).length === 2")

    phone.context.set_offline(False)

    expect(phone.get_by_role("status").last).to_have_text(
        "Sent: the 2 cramps kept on this phone are in your diary."
    )
    assert count_settles(ana, 2)
    first, second = Episode.objects.filter(user=ana).order_by("started_at")
    assert first.locations == second.locations == ["toes"]
    assert timedelta(seconds=2) <= second.started_at - first.started_at <= timedelta(seconds=30)


def test_a_tap_sent_as_the_connection_returns_leaves_the_kept_one_to_follow(phone, ana):
    tap_offline(phone, "Toes")
    # Online again as the next cramp comes: it is sent at once and the page moves to it while
    # the kept tap is still on its way, or still on the phone.
    phone.context.set_offline(False)
    tap_cramp(phone, "Left", "Heel")

    phone.wait_for_url("**/logged/")
    expect(phone.get_by_role("heading", name="Logged: left foot, heel")).to_be_visible()
    until(phone, "async () => (await window.CramplogTaps.all()).length === 0")
    assert count_settles(ana, 2)
    places = Episode.objects.filter(user=ana).order_by("started_at")
    assert [episode.locations for episode in places] == [["toes"], ["heel"]]


# Installable, and nobody else's page from the cache


def test_the_app_can_be_installed_and_its_worker_serves_the_whole_site(phone, ana, live_server):
    sign_in_at_home(phone)
    manifest_link = phone.locator('link[rel="manifest"]')

    response = phone.request.get(manifest_link.get_attribute("href"))
    manifest = response.json()
    scope = phone.evaluate("async () => (await navigator.serviceWorker.ready).scope")

    assert response.headers["content-type"] == "application/manifest+json"
    assert (manifest["start_url"], manifest["display"]) == ("/", "standalone")
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
    for icon in manifest["icons"]:
        assert phone.request.get(icon["src"]).headers["content-type"] == "image/png"
    assert scope == f"{live_server.url}/"
    worker = phone.request.get("/sw.js")
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"


def test_after_signing_out_the_phone_keeps_nobodys_page_and_the_next_person_sees_their_own(
    phone, ana
):
    UserFactory(username="ben")
    sign_in_at_home(phone)
    wait_for_offline_home(phone)

    phone.get_by_role("button", name="Show menu").tap()
    phone.get_by_role("button", name="Log out").tap()
    expect(phone.get_by_role("link", name="Start your diary")).to_be_visible()
    kept = phone.evaluate("async () => Boolean(await caches.match('/'))")
    phone.context.set_offline(True)
    phone.goto("/")

    assert not kept
    expect(phone.get_by_role("heading", name="No connection")).to_be_visible()
    expect(phone.get_by_text("Hello, ana")).to_have_count(0)
    phone.context.set_offline(False)
    sign_in_at_home(phone, "ben")
    wait_for_offline_home(phone)
    phone.context.set_offline(True)
    phone.goto("/")
    expect(phone.get_by_role("heading", name="Hello, ben")).to_be_visible()


# chromium here has no push service to subscribe with, so pages are given the subscription
# an installed app would have, and note it in the tab's session storage when they drop it.
THIS_PHONE = "https://push.example.net/this-phone"
PHONE_SUBSCRIPTION = """
PushManager.prototype.getSubscription = async function () {
  const endpoint = "{endpoint}";
  return {
    endpoint,
    unsubscribe: async () => {
      sessionStorage.setItem("dropped", endpoint);
      return true;
    },
  };
};
""".replace("{endpoint}", THIS_PHONE)


def test_signing_out_stops_this_phone_showing_the_persons_reminders(phone, ana):
    PushSubscription.objects.create(user=ana, endpoint=THIS_PHONE, p256dh="key", auth="secret")
    other_device = PushSubscription.objects.create(
        user=ana, endpoint="https://push.example.net/laptop", p256dh="key", auth="secret"
    )
    phone.add_init_script(PHONE_SUBSCRIPTION)
    sign_in_at_home(phone)
    wait_for_offline_home(phone)

    phone.get_by_role("button", name="Show menu").tap()
    phone.get_by_role("button", name="Log out").tap()

    expect(phone.get_by_role("link", name="Start your diary")).to_be_visible()
    assert phone.evaluate("sessionStorage.getItem('dropped')") == THIS_PHONE
    assert list(PushSubscription.objects.all()) == [other_device]


def test_a_tap_kept_for_one_account_is_never_sent_as_another(phone, ana):
    UserFactory(username="ben")
    sign_in_at_home(phone)
    wait_for_offline_home(phone)
    phone.context.set_offline(True)
    phone.goto("/")
    tap_cramp(phone)
    expect(phone.get_by_role("status").last).to_have_text(SAVED_OFFLINE)
    # Signed out before the connection returns: the tap stays on the phone.
    phone.context.clear_cookies()
    phone.context.set_offline(False)

    # Ben signs in on the same phone before Ana's tap could be sent.
    phone.goto("/accounts/login/")
    log_in(phone, "ben")
    expect(phone.get_by_role("heading", name="Hello, ben")).to_be_visible()
    phone.wait_for_timeout(500)

    assert not Episode.objects.filter(user__username="ben").exists()
    assert queued(phone) == 1
    phone.context.clear_cookies()
    phone.goto("/accounts/login/")
    log_in(phone, "ana")
    until(phone, "async () => (await window.CramplogTaps.all()).length === 0")
    assert count_settles(ana, 1)


# In the person's own time from the first tap


def test_sign_up_takes_the_phones_time_zone_and_a_tap_shows_in_it(browser, live_server, db):
    options = {**PHONE_390, "timezone_id": "America/Los_Angeles"}
    context, page, watch = open_page(browser, live_server, options)
    page.goto("/accounts/signup/")
    zone = page.get_by_label("Your time zone")
    expect(zone).to_have_value("America/Los_Angeles")
    page.get_by_label("Username").fill("lena")
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create my diary").click()
    expect(page.get_by_role("status").first).to_contain_text("America/Los Angeles time")

    page.get_by_role("link", name="cramplog").click()
    tap_cramp(page, "Right", "Heel")

    expect(page).to_have_url(re.compile(r"/diary/\d+/logged/$"))
    now = datetime.now(ZoneInfo("America/Los_Angeles"))
    said = page.locator(".quick-logged").inner_text()
    assert any(f"At {now + timedelta(minutes=step):%H:%M} on" in said for step in (-1, 0, 1)), said
    assert Profile.objects.get(user__username="lena").time_zone == "America/Los_Angeles"
    expect(page.locator("footer")).to_contain_text(
        "Times are in your time zone, America/Los Angeles"
    )
    context.close()
    watch.check()


def test_the_time_zone_can_still_be_chosen_at_sign_up(browser, live_server, db):
    context, page, watch = open_page(browser, live_server, {**PHONE_390, "timezone_id": "UTC"})
    page.goto("/accounts/signup/")
    page.get_by_label("Your time zone").select_option("Asia/Tokyo")
    page.get_by_label("Username").fill("kenji")
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create my diary").click()

    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    assert Profile.objects.get(user__username="kenji").time_zone == "Asia/Tokyo"
    context.close()
    watch.check()


# One screen after the tap


def test_the_screen_after_a_tap_fits_one_phone_screen(phone, ana):
    build_site(ana)
    sign_in_at_home(phone)
    tap_cramp(phone)
    expect(phone).to_have_url(re.compile(r"/diary/\d+/logged/$"))

    bottom = phone.locator(".quick-logged").evaluate(
        "element => element.getBoundingClientRect().bottom"
    )

    assert bottom <= PHONE_390["viewport"]["height"], bottom
    assert phone.get_by_role("region", name="Relief now").get_by_role("link").count() == 3
    before = Episode.objects.filter(user=ana).count()
    phone.get_by_role("button", name="Undo").tap()
    expect(phone.get_by_role("status").first).to_contain_text("Undone")
    assert count_settles(ana, before - 1)


# Staying signed in


@pytest.mark.parametrize("keep", [True, False], ids=["kept", "until the browser closes"])
def test_keep_me_signed_in_decides_how_long_the_session_lasts(phone, ana, keep):
    phone.goto("/accounts/login/")
    log_in(phone, keep=keep)
    expect(phone.get_by_role("heading", name="Log a cramp now")).to_be_visible()

    (cookie,) = [c for c in phone.context.cookies() if c["name"] == "sessionid"]

    if keep:
        days = (cookie["expires"] - datetime.now().timestamp()) / 86400
        assert 59 < days <= 60
    else:
        assert cookie["expires"] == -1


# Dark


@pytest.mark.parametrize(
    ("scheme", "theme", "expected"),
    [
        ("dark", "auto", "dark"),
        ("light", "auto", "light"),
        ("light", "dark", "dark"),
        ("dark", "light", "light"),
    ],
)
def test_pages_follow_the_phone_unless_the_profile_says_light_or_dark(
    browser, live_server, ana, scheme, theme, expected
):
    Profile.objects.filter(user=ana).update(theme=theme)
    context, page, watch = open_page(browser, live_server, {**PHONE, "color_scheme": scheme})
    page.goto("/accounts/login/")
    log_in(page)

    expect(page.locator("html")).to_have_attribute("data-bs-theme", expected)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(33, 37, 41)" if expected == "dark" else "rgb(255, 255, 255)")
    context.close()
    watch.check()


# Big enough to hit


# Everything a finger can act on; a checkbox or radio (a choice row) counts with its label.
MEASURE = """() => {
  const interactive = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[role=checkbox], [tabindex]:not([tabindex="-1"])';
  const union = (boxes) => {
    const left = Math.min(...boxes.map((b) => b.left));
    const top = Math.min(...boxes.map((b) => b.top));
    const right = Math.max(...boxes.map((b) => b.right));
    const bottom = Math.max(...boxes.map((b) => b.bottom));
    return { width: right - left, height: bottom - top };
  };
  const kind = (element) => {
    if (element.closest('form.quick-log')) return 'quick log';
    if (element.closest('.intensity-scale')) return 'pain scale';
    if (element.closest('.duration-quick')) return 'duration chips';
    if (element.matches('input[type=checkbox], input[type=radio]')) return 'choice rows';
    if (element.closest('nav, .navbar')) return 'navigation';
    if (element.matches('a:not(.btn, .list-group-item)')) {
      const block = element.parentElement;
      const around = block.textContent.replace(element.textContent, '').trim();
      if (around.replace(/[\\s·:,.()]/g, '').length > 0) return 'link in running text';
    }
    return 'other';
  };
  const found = [];
  for (const element of document.querySelectorAll(interactive)) {
    const style = getComputedStyle(element);
    let boxes = [];
    if (element.matches('input') && element.labels && element.labels.length) {
      if (style.pointerEvents !== 'none') boxes.push(element.getBoundingClientRect());
      for (const label of element.labels) boxes.push(label.getBoundingClientRect());
    } else {
      boxes.push(element.getBoundingClientRect());
    }
    boxes = boxes.filter((box) => box.width > 0 && box.height > 0);
    if (!boxes.length || style.visibility === 'hidden') continue;
    if (element.closest('.visually-hidden-focusable')) continue;
    const size = union(boxes);
    found.push({
      kind: kind(element),
      width: Math.round(size.width * 10) / 10,
      height: Math.round(size.height * 10) / 10,
      what: element.outerHTML.slice(0, 90),
    });
  }
  return found;
}"""
NEEDS_44 = {"quick log", "pain scale", "duration chips", "choice rows", "navigation"}


def measure(page):
    sizes = page.evaluate(MEASURE)
    toggler = page.get_by_role("button", name="Show menu")
    if toggler.is_visible():
        toggler.tap()
        expect(page.locator("#main-nav")).to_be_visible()
        sizes += page.evaluate(MEASURE)
        toggler.tap()
    return sizes


@pytest.mark.parametrize("width", [360, 390])
def test_every_target_on_home_the_log_form_and_the_episode_page_is_big_enough(
    browser, live_server, ana, width
):
    episode = build_site(ana)
    tapped = EpisodeFactory(user=ana, duration_seconds=None, intensity=None)
    viewport = {"width": width, "height": 844}
    context, page, watch = open_page(browser, live_server, {**PHONE_390, "viewport": viewport})
    page.goto("/accounts/login/")
    log_in(page)
    pages = {
        "home": "/",
        "log form": "/diary/new/",
        "episode": episode.get_absolute_url(),
        "not given": tapped.get_absolute_url(),
        "after a tap": f"/diary/{tapped.pk}/logged/",
    }
    too_small, smallest = [], {}
    for name, url in pages.items():
        page.goto(url)
        for size in measure(page):
            least = 44 if size["kind"] in NEEDS_44 else 24
            if (
                size["kind"] != "link in running text"
                and min(size["width"], size["height"]) < least
            ):
                too_small.append(f"{name} {size}")
            narrowest, lowest = smallest.get(size["kind"], (size, size))
            smallest[size["kind"]] = (
                min(narrowest, size, key=lambda s: s["width"]),
                min(lowest, size, key=lambda s: s["height"]),
            )
    context.close()
    watch.check()
    # The figures for the report: run with -s to see them.
    for kind, (narrowest, lowest) in sorted(smallest.items()):
        print(
            f"{width} px, {kind}: narrowest {narrowest['width']} px ({narrowest['what'][:50]}), "
            f"lowest {lowest['height']} px ({lowest['what'][:50]})"
        )
    assert not too_small, "\n".join(too_small)
