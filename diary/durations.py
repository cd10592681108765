"""Read cramp durations the way people type them, and write them back in words."""

import re

from .vocabulary import MAX_SECONDS, MIN_SECONDS

MAX_LENGTH = 40

UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}

CLOCK = re.compile(r"^(?:(\d{1,3}):)?(\d{1,4}):(\d{2})$")
PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)?")


class DurationError(ValueError):
    pass


def parse_duration(text):
    """Return whole seconds for text such as "90s", "1:30", "2 min", "1h 5m" or "3 days".

    A number without a unit counts as seconds. Raises DurationError with a message meant
    for the person who typed it.
    """
    cleaned = text.strip().lower().replace(" and ", " ")
    if not cleaned:
        raise DurationError("Enter how long the cramp lasted, for example 90 s or 2 min.")
    # Checked before parsing: a number hundreds of digits long would overflow a float.
    if len(cleaned) > MAX_LENGTH:
        raise DurationError(f"Write the duration in at most {MAX_LENGTH} characters.")
    seconds = _clock_seconds(cleaned)
    if seconds is None:
        seconds = _unit_seconds(cleaned)
    if seconds < MIN_SECONDS:
        raise DurationError("A cramp lasts at least 1 second.")
    if seconds > MAX_SECONDS:
        raise DurationError(f"Enter a duration of at most {format_duration(MAX_SECONDS)}.")
    return seconds


def _clock_seconds(text):
    match = CLOCK.match(text)
    if not match:
        return None
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    if seconds >= 60 or (hours and minutes >= 60):
        raise DurationError("Write clock times as minutes:seconds, for example 1:30.")
    return hours * 3600 + minutes * 60 + seconds


def _unit_seconds(text):
    position = 0
    parts = 0
    unitless = False
    total = 0.0
    for match in PART.finditer(text):
        if text[position : match.start()].strip(" ,"):
            break
        number, unit = match.groups()
        if unit is None:
            factor = 1
            unitless = True
        elif unit in UNIT_SECONDS:
            factor = UNIT_SECONDS[unit]
        else:
            raise DurationError(f"“{unit}” is not a unit we know. Use s, min, h or days.")
        total += float(number.replace(",", ".")) * factor
        parts += 1
        position = match.end()
    if position == 0 or text[position:].strip(" ,"):
        raise DurationError("Enter a duration such as 90 s, 1:30, 2 min or 1 h 5 min.")
    if unitless and parts > 1:
        # "1 30" might mean 1:30 or 1 h 30 min; guessing would store a wrong length.
        raise DurationError("Give each number a unit, for example 1 min 30 s.")
    return round(total)


def format_duration(seconds):
    """Write seconds as words, largest units first: 90 -> "1 min 30 s"."""
    if seconds is None:
        return ""
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day" if days == 1 else f"{days} days")
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts)
