from django import template
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from diary.durations import format_duration
from diary.models import Location
from diary.patterns import day_ranges, shade

register = template.Library()

# Outline of each place on a side view of the foot and lower leg, in a 320 x 200 box.
FOOT_PATHS = {
    Location.CALF: "M48 4 H116 Q124 40 108 72 H54 Q38 40 48 4 Z",
    Location.ANKLE: "M54 72 H108 L106 118 H56 Z",
    Location.TOP: "M106 118 L244 154 V158 H106 Z",
    Location.HEEL: "M56 118 H106 V190 H54 Q26 186 28 158 Q32 128 56 118 Z",
    Location.ARCH: "M106 158 H182 V190 Q144 172 106 190 Z",
    Location.BALL: "M182 158 H244 V190 H182 Z",
    Location.TOES: "M244 154 L298 170 Q312 190 292 190 H244 Z",
}

# Where a map writes each place's count, inside its outline.
FOOT_LABELS = {
    Location.CALF: (82, 42),
    Location.ANKLE: (81, 100),
    Location.TOP: (168, 150),
    Location.HEEL: (66, 160),
    Location.ARCH: (144, 182),
    Location.BALL: (213, 180),
    Location.TOES: (272, 184),
}


# The diary list's rows, the month page's two bar charts, its calendar, the foot map and the
# small pieces repeated across its tables are drawn on every view after a change, and the
# template language cost more than the drawing: 4.2 ms for 25 rows against 2.5 ms with
# format_html, 1.1 ms for a chart against 0.27 ms, 0.7 ms for the foot map against 0.3 ms. So
# these are drawn in Python, as the admin draws its change list's cells
# (admin_list.items_for_result).


@register.simple_tag
def bar_chart(chart, chart_id, title):
    """A bar chart of patterns.bars. The same numbers are in the table its aria-details names
    (id chart_id-table), which may wait behind a disclosure."""
    return format_html(
        '<figure class="mb-2">\n<svg class="chart" viewBox="0 0 {width} {height}" role="img"'
        ' aria-labelledby="{id}-title" aria-details="{id}-table">\n'
        '<title id="{id}-title">{title}</title>\n'
        '<line class="axis" x1="0" y1="{baseline}" x2="{width}" y2="{baseline}"></line>\n'
        "{bars}\n</svg>\n</figure>",
        width=chart["width"],
        height=chart["total_height"],
        id=chart_id,
        title=title,
        baseline=chart["baseline"],
        bars=format_html_join("\n", "{}", ((drawn_bar(bar, chart),) for bar in chart["bars"])),
    )


def drawn_bar(bar, chart):
    """One bar, with its count above it (when it has one) and its label below the axis."""
    count = ""
    if bar["count"]:
        count = format_html(
            '<text x="{}" y="{}" text-anchor="middle">{}</text>',
            bar["centre"],
            bar["y"] - 3,
            bar["count"],
        )
    return format_html(
        '<rect class="bar" x="{}" y="{}" width="{}" height="{}"></rect>{}'
        '<text x="{}" y="{}" text-anchor="middle">{}</text>',
        bar["x"],
        bar["y"],
        chart["bar_width"],
        bar["height"],
        count,
        bar["centre"],
        chart["label_y"],
        bar["label"],
    )


@register.simple_tag
def calendar_weeks(weeks):
    """The rows of a month's calendar (patterns.month_calendar)."""
    list_url = reverse("episode_list")
    return format_html_join(
        "\n",
        "<tr>{}</tr>",
        (
            (format_html_join("", "<td>{}</td>", ((calendar_day(day, list_url),) for day in week)),)
            for week in weeks
        ),
    )


def calendar_day(day, list_url):
    """A day of the month: a link to its cramps in the diary list, if it has any."""
    if not day["in_month"]:
        return ""
    if day["count"]:
        return format_html(
            '<a class="day shade-{}" href="{}?day={}" title="{}" aria-label="{}">'
            '{}<span class="count">{}</span></a>',
            day["level"],
            list_url,
            day["date"].isoformat(),
            day["title"],
            day["spoken"],
            day["date"].day,
            day["count"],
        )
    return format_html(
        '<span class="day shade-0">{}<span class="visually-hidden">: no cramps</span></span>',
        day["date"].day,
    )


NO_CLEAR_CAUSE = format_html('<span class="text-body-secondary">{}</span>', "Not clear")


@register.simple_tag
def diary_rows(rows):
    """The diary list's rows: (episode, its URL, its likely cause or None, that cause's URL)."""
    return format_html_join(
        "\n",
        '<tr><td><a href="{}">{}</a></td><td>{}: {}</td>'
        '<td class="d-none d-md-table-cell">{}</td><td>{}</td>'
        '<td class="d-none d-md-table-cell">{}</td><td>{}</td></tr>',
        (
            (
                url,
                date_format(episode.local_started_at, "j M Y, H:i"),
                episode.get_foot_display(),
                ", ".join(episode.location_labels()).lower(),
                episode.duration_display,
                episode.pain_display,
                episode.get_activity_display() or "—",
                format_html('<a href="{}">{}</a>', cause_url, cause.title)
                if cause
                else NO_CLEAR_CAUSE,
            )
            for episode, url, cause, cause_url in rows
        ),
    )


# Each mode's markup whole, so that format_html escapes every value put into it and nothing
# is marked safe by hand.
FOOT_SVG = '<svg viewBox="0 0 320 200" xmlns="http://www.w3.org/2000/svg"'
FOOT_FIGURES = {
    "picker": '<figure class="foot-drawing foot-picker js-only">\n'
    + FOOT_SVG
    + ' role="group" aria-label="Drawing of the foot: choose where it cramps">\n{regions}\n'
    '</svg>\n<figcaption class="small text-body-secondary">Tap the drawing or tick the boxes'
    " below.</figcaption></figure>",
    "map": '<figure class="foot-drawing foot-map">\n'
    + FOOT_SVG
    + ' aria-hidden="true" focusable="false">\n{regions}\n</svg>\n'
    '<figcaption class="small">{caption}</figcaption></figure>',
    "picture": '<figure class="foot-drawing">\n'
    + FOOT_SVG
    + ' aria-hidden="true" focusable="false">\n{regions}\n</svg>\n</figure>',
}
FOOT_REGIONS = {
    "picker": '<path class="foot-region" data-location="{value}" d="{path}" role="checkbox"'
    ' aria-checked="false" tabindex="0" aria-label="{label}"><title>{label}</title></path>',
    "map": '<path class="foot-region shade-{level}" data-location="{value}" d="{path}">'
    "<title>{label}: {count}</title></path>",
    "picture": '<path class="foot-region" data-location="{value}" d="{path}">'
    "<title>{label}</title></path>",
}


@register.simple_tag
def foot_drawing(mode="picture", counts=None):
    """The foot drawing: a "picker" for the episode form, a "picture", or a "map" of counts.

    As a picker, each region toggles the matching "locations" checkbox with JavaScript, and
    is focusable and operable with Space or Enter; without JavaScript the drawing stays
    hidden and the checkboxes do the work. As a map, regions are shaded by count and the
    count is written on each region and in the caption, so shading is never the only signal.
    """
    tally = {value: count for value, _label, count in counts or []}
    highest = max(tally.values(), default=0)
    regions = [(value, label, tally.get(value, 0)) for value, label in Location.choices]
    drawn = [
        format_html(
            FOOT_REGIONS[mode],
            value=value,
            path=FOOT_PATHS[value],
            label=label,
            count=count,
            level=shade(count, highest),
        )
        for value, label, count in regions
    ]
    caption = ""
    if mode == "map":
        counted = [(value, label, count) for value, label, count in regions if count]
        drawn += [
            format_html(
                '<text class="foot-count" x="{}" y="{}" text-anchor="middle">{}</text>',
                *FOOT_LABELS[value],
                count,
            )
            for value, _label, count in counted
        ]
        caption = (
            format_html_join(" · ", "{}: {}", ((label, count) for _v, label, count in counted))
            if counted
            else "No places logged."
        )
    return format_html(
        FOOT_FIGURES[mode],
        regions=format_html_join("\n", "{}", ((part,) for part in drawn)),
        caption=caption,
    )


@register.filter
def change(figure):
    """A total's change from the period before (patterns.Change), coloured by its direction."""
    delta = figure.delta
    if delta is None:
        return format_html('<span class="text-body-secondary">{}</span>', figure.words)
    if delta > 0:
        return format_html('<span class="change-up">{}</span>', figure.words)
    if delta < 0:
        return format_html('<span class="change-down">{}</span>', figure.words)
    return figure.words


@register.simple_tag
def night_coverage(summary, subject=""):
    """How many nights of a stretch (nights.Summary) were checked in, for the middle of a
    sentence: cramp-free nights come only from check-ins. `subject` ("you") starts the
    sentence only when nights have ended."""
    if not summary.nights:
        return "no night has ended yet"
    words = f"checked in on {summary.checked} of {summary.nights} night{pluralize(summary.nights)}"
    if summary.checked:
        words += f", {summary.cramp_free} of them cramp-free"
    return f"{subject} {words}" if subject else words


@register.filter
def duration(seconds):
    return format_duration(seconds)


@register.filter
def day_runs(days):
    """Dates as runs, "3 Mar, 10–12 Mar, 30 Mar–2 Apr", so a long list stays one line."""
    runs = []
    for first, last in day_ranges(days):
        if first == last:
            runs.append(f"{first.day} {first:%b}")
        elif first.month == last.month:
            runs.append(f"{first.day}–{last.day} {last:%b}")
        else:
            runs.append(f"{first.day} {first:%b}–{last.day} {last:%b}")
    return ", ".join(runs)


@register.simple_tag
def fluids(profile, ml):
    """An amount of drink in the person's own unit."""
    return profile.format_fluids(ml)


@register.filter
def percent(share):
    """A share from 0 to 1 as a whole percentage; empty when there is none."""
    return "" if share is None else f"{round(100 * share)}%"


@register.filter
def zone_name(key):
    """A time zone as people read it: "America/Los Angeles", or "UTC−08:00" for a fixed one.

    Etc/GMT zones count the POSIX way round: Etc/GMT+8 is eight hours behind UTC.
    """
    if key.startswith("Etc/GMT") and key[7:]:
        hours = -int(key[7:])
        return f"UTC{'+' if hours >= 0 else '−'}{abs(hours):02d}:00"
    return key.replace("_", " ")
