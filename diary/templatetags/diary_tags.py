from django import template

from diary.durations import format_duration
from diary.models import Location
from diary.patterns import shade

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


@register.inclusion_tag("diary/includes/foot_drawing.html")
def foot_drawing(mode="picture", counts=None):
    """The foot drawing: a "picker" for the episode form, a "picture", or a "map" of counts."""
    tally = {value: count for value, _label, count in counts or []}
    highest = max(tally.values(), default=0)
    regions = [
        {
            "value": value,
            "label": label,
            "path": FOOT_PATHS[value],
            "count": tally.get(value, 0),
            "level": shade(tally.get(value, 0), highest),
        }
        for value, label in Location.choices
    ]
    return {
        "mode": mode,
        "regions": regions,
        "counted": [region for region in regions if region["count"]],
    }


@register.filter
def duration(seconds):
    return format_duration(seconds)


@register.filter
def percent(share):
    """A share from 0 to 1 as a whole percentage; empty when there is none."""
    return "" if share is None else f"{round(100 * share)}%"
