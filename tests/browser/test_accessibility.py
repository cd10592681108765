"""WCAG 2.1 A and AA, checked by axe-core in chromium on every page, on a phone and a desktop."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.factories import UserFactory
from tests.sitepages import (
    MISSING_PAGE,
    add_sign_in_methods,
    admin_pages,
    anonymous_pages,
    build_site,
    expected_status,
    knowledge_pages,
    make_drafts,
    make_editor,
    session_cookie,
    signed_in_pages,
)

from .conftest import DESKTOP, PHONE, open_page

pytestmark = pytest.mark.browser

WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # Only violations are read: axe then lists one node, not every node, for the rules passed.
    "resultTypes": ["violations"],
}
# The rules that read colours: three quarters of a sweep's time. They are the only ones a
# colour scheme can change, and only what the desktop shows and the phone hides can make them
# differ between widths: no colour in the stylesheets depends on the width (Bootstrap's only
# ones are its offcanvas panels', which no page uses).
COLOUR_RULES = ("color-contrast", "link-in-text-block")
COLOURS_ONLY = {**WCAG_21_AA, "runOnly": {"type": "rule", "values": list(COLOUR_RULES)}}
ALL_BUT_COLOURS = {**WCAG_21_AA, "rules": {rule: {"enabled": False} for rule in COLOUR_RULES}}
# What a desktop shows and a phone hides: the menu's links, behind a button on a phone, and
# Bootstrap's responsive display classes (the diary list's extra columns).
DESKTOP_ONLY = "nav.navbar, [class*='d-sm-'], [class*='d-md-'], [class*='d-lg-'], [class*='d-xl-']"
# What each sweep reads, as (rules, where: None for the whole page or a CSS selector), by
# width and scheme: every rule once, and the colour rules on everything shown in each scheme.
SWEEPS = {
    ("phone", "light"): [(WCAG_21_AA, None)],
    ("phone", "dark"): [(COLOURS_ONLY, None)],
    ("desktop", "light"): [(ALL_BUT_COLOURS, None), (COLOURS_ONLY, DESKTOP_ONLY)],
    ("desktop", "dark"): [(COLOURS_ONLY, DESKTOP_ONLY)],
}
# Violations in Django 5.2's own admin, skipped on /admin/ pages only, never on our pages:
# label and list, because the select2 widget Django bundles for autocomplete_fields (a tip's
# causes) draws an unlabelled search box inside a <ul> of <span>s.
ADMIN_EXCLUDED_RULES = {"label", "list"}
WIDTHS = {"phone": PHONE, "desktop": DESKTOP}
SCHEMES = ("light", "dark")

axe = Axe()


def describe(url, violations):
    lines = []
    for violation in violations:
        lines.append(
            f"{url}: {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            summary = node["failureSummary"].replace("\n", " ")
            lines.append(f"    {', '.join(map(str, node['target']))}: {summary}")
            lines.append(f"        {node['html'][:200]}")
    return lines


def start_axe(page, sweeps):
    """Set axe going in the page, one sweep after another, without waiting for it to finish.

    A sweep limited to a selector the page does not match has nothing to read and is skipped:
    axe refuses a context that names no element.
    """
    page.evaluate(
        """sweeps => {
            window.axeRun = sweeps.reduce(async (found, [options, selector]) => {
                const earlier = await found;
                const nodes = selector ? [...document.querySelectorAll(selector)] : null;
                if (nodes && !nodes.length) return earlier;
                const results = await axe.run(nodes ? {include: nodes} : document, options);
                return earlier.concat(results.violations);
            }, Promise.resolve([]));
        }""",
        sweeps,
    )


def axe_violations(page):
    return page.evaluate("() => window.axeRun")


def show_in(page, scheme):
    """Switch the page to a colour scheme in place, as a phone does when it turns dark.

    Then wait for theme.js to follow (pages that choose their own theme have nothing to
    follow), and for the colour transitions the switch starts to end, so that axe reads the
    colours the page settles on.
    """
    page.emulate_media(color_scheme=scheme)
    page.wait_for_function(
        """scheme => {
            const root = document.documentElement;
            const followed = root.dataset.themeChoice !== "auto" || root.dataset.bsTheme === scheme;
            return followed && !document.getAnimations().some(a => a instanceof CSSTransition);
        }""",
        arg=scheme,
    )


def audit(views, urls):
    """Run axe's SWEEPS on each page in every view, light then dark; returns readable lines for
    every violation found.

    `views` maps a width to its (page, watch). Each width has a browser context, so a renderer
    process, of its own: axe reads the page at both widths at once, on two cores. Each page is
    loaded once per width and read in both schemes: the loads were 40% of an audit's time.
    """
    problems = []
    for url in urls:
        for page, _watch in views.values():
            page.emulate_media(color_scheme=SCHEMES[0])
            response = page.goto(url)
            assert response.status == expected_status(url), url
        for scheme in SCHEMES:
            seen = {width: len(watch.problems) for width, (_page, watch) in views.items()}
            for width, (page, _watch) in views.items():
                show_in(page, scheme)
                start_axe(page, SWEEPS[width, scheme])
            found = {width: axe_violations(page) for width, (page, _watch) in views.items()}
            for width, (_page, watch) in views.items():
                # axe's own probing sets inline styles, which the page's CSP reports; it is
                # not something the page did.
                del watch.problems[seen[width] :]
                violations = found[width]
                if url.startswith("/admin/"):
                    violations = [v for v in violations if v["id"] not in ADMIN_EXCLUDED_RULES]
                problems += describe(f"{url} at {width} width, {scheme}", violations)
    return problems


@pytest.fixture
def site(db, live_server):
    owner = UserFactory(username="ana")
    episode = build_site(owner)
    add_sign_in_methods(owner)
    make_drafts(make_editor("author"))
    return {"owner": owner, "episode": episode, "editor": make_editor(reviewer=True)}


@pytest.mark.parametrize("audience", ["signed-in", "anonymous", "editor"])
def test_every_page_passes_axe_for_wcag_21_aa_on_a_phone_and_a_desktop_light_and_dark(
    browser, live_server, site, audience
):
    if audience == "signed-in":
        # The knowledge pages differ signed in only by the header that every other signed-in
        # page shows; axe reads them signed out (the HTML check reads both).
        urls = [url for url in signed_in_pages(site["episode"]) if url not in knowledge_pages()]
        user = site["owner"]
    elif audience == "editor":
        urls, user = admin_pages(), site["editor"]
    else:
        urls, user = anonymous_pages(), None
    # Reduced motion: Bootstrap then changes colours without a transition, so a page switched
    # to dark is ready for axe at once instead of after its buttons' fade.
    opened = {
        width: open_page(browser, live_server, {**options, "reduced_motion": "reduce"})
        for width, options in WIDTHS.items()
    }
    try:
        for context, _page, _watch in opened.values():
            # Given once and run by each page as it opens, instead of sending axe's 572 kB to
            # every page after it has loaded.
            context.add_init_script(axe.axe_script)
            if user:
                context.add_cookies([session_cookie(user, live_server.url)])
        problems = audit(
            {width: (page, watch) for width, (_c, page, watch) in opened.items()}, urls
        )
    finally:
        for context, _page, _watch in opened.values():
            context.close()
    assert not problems, "axe found violations:\n" + "\n".join(problems)
    for _context, _page, watch in opened.values():
        # The 404 page logs a console error for its own status; nothing else may.
        watch.problems = [p for p in watch.problems if MISSING_PAGE not in p]
        watch.check()


def test_form_errors_are_announced_next_to_their_fields(page, live_server, site):
    page.context.add_cookies([session_cookie(site["owner"], live_server.url)])
    page.goto("/diary/new/")
    page.get_by_label("How long it lasted").fill("forever")
    page.get_by_role("radio", name="Left", exact=True).check()
    page.locator(".foot-locations").get_by_role("checkbox", name="Arch").check()
    page.get_by_role("button", name="Save cramp").click()

    duration = page.get_by_label("How long it lasted")
    expect(duration).to_have_attribute("aria-invalid", "true")
    described_by = duration.get_attribute("aria-describedby").split()
    messages = [page.locator(f"#{id_}").inner_text() for id_ in described_by]
    assert "Enter a duration such as 90 s, 1:30, 2 min or 1 h 5 min." in messages, messages
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    # axe on the page as the error left it, not a fresh copy of the form.
    violations = axe.run(page, options=WCAG_21_AA).response["violations"]
    assert not violations, "\n".join(describe(page.url, violations))


def test_the_keyboard_focus_is_always_visible(page, live_server, site):
    page.context.add_cookies([session_cookie(site["owner"], live_server.url)])
    page.goto("/diary/new/")
    seen = set()
    for _ in range(30):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
                const element = document.activeElement;
                const style = getComputedStyle(element);
                return {
                    what: element.outerHTML.slice(0, 80),
                    // A date field's calendar button lives in the browser's own shadow DOM:
                    // the field is then the active element without matching :focus, and
                    // chromium draws that button's focus ring itself.
                    ours: element.matches(':focus'),
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
                    stroke: parseFloat(style.strokeWidth) >= 4,
                };
            }"""
        )
        if focused["ours"]:
            assert focused["outline"] or focused["stroke"], f"no visible focus on {focused}"
            seen.add(focused["what"])
    assert len(seen) > 15


def test_calendar_and_charts_write_their_numbers_as_text(page, live_server, site):
    page.context.add_cookies([session_cookie(site["owner"], live_server.url)])
    episode = site["episode"]
    page.goto(f"/diary/{episode.local_date:%Y/%m}/")
    day = page.locator(".calendar a.day").filter(has_text=re.compile(r"^\s*\d+\s*\d+\s*$"))
    assert day.count() >= 1
    for cell in day.all():
        assert re.search(
            r": \d+ cramps?, worst pain \d+ out of 10", cell.get_attribute("aria-label")
        )
        expect(cell.locator(".count")).to_have_text(re.compile(r"^\d+$"))
    for url in (f"/diary/{episode.local_date:%Y/%m}/", f"/diary/{episode.local_date:%Y}/"):
        page.goto(url)
        charts = page.locator("svg.chart")
        assert charts.count() >= 1, url
        for chart in charts.all():
            # Every chart names the table with its numbers, which may be behind a disclosure.
            table = page.locator(f"table#{chart.get_attribute('aria-details')}")
            expect(table).to_have_count(1)
            expect(table.locator("td").first).to_have_text(re.compile(r"\d"))


def luminance(rgb):
    """WCAG 2.1's relative luminance of an "rgb(r, g, b)" colour."""
    channels = [int(part) / 255 for part in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first, second):
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_foot_maps_counts_stand_out_from_their_halo_on_every_shade(
    browser, live_server, site, scheme
):
    # axe skips the drawing (aria-hidden: its caption says the same counts), so the counts
    # written on its shaded regions are checked here: each drawn over a halo of its own.
    context, page, watch = open_page(browser, live_server, {**PHONE, "color_scheme": scheme})
    try:
        context.add_cookies([session_cookie(site["owner"], live_server.url)])
        page.goto(f"/diary/{site['episode'].local_date:%Y/%m}/")
        counts = page.locator(".foot-map .foot-count")
        assert counts.count() >= 1
        styles = [
            count.evaluate(
                """text => {
                    const style = getComputedStyle(text);
                    return {fill: style.fill, stroke: style.stroke, width: style.strokeWidth,
                            order: style.paintOrder};
                }"""
            )
            for count in counts.all()
        ]
    finally:
        context.close()
    for style in styles:
        assert style["stroke"].startswith("rgb("), style
        assert float(style["width"].removesuffix("px")) >= 3, style
        assert style["order"].startswith("stroke"), style
        assert contrast(style["fill"], style["stroke"]) >= 4.5, style
    watch.check()
