"""When a reminder falls due, in the person's own time zone, and when to try again.

Pure functions of the time: nothing here reads the database.
"""

from datetime import UTC, datetime, timedelta

# A reminder more than this late (the sender was down, or the mail server kept failing) is
# dropped: a stretch reminder at 3 a.m. or a check-in reminder after noon helps nobody.
STALE_AFTER = timedelta(hours=2)
# Waits after each failed attempt; after the last, the reminder is given up.
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15))


def due_at(day, at, zone):
    """The moment the clocks in `zone` show `at` on `day`.

    When clocks go back, the repeated time's first occurrence; when they go forward over it,
    the moment just as far past the jump (02:30 skipped becomes 03:30), so every day has
    exactly one.
    """
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def due_days(now, at, zone):
    """[(local date, due moment)] of the reminder at local time `at` that are due at `now`.

    Yesterday is looked at too, so a 23:55 reminder is still sent if the sender only gets to
    it after midnight.
    """
    today = now.astimezone(zone).date()
    days = (today - timedelta(days=1), today)
    return [
        (day, moment)
        for day in days
        if (moment := due_at(day, at, zone)) <= now < moment + STALE_AFTER
    ]


def next_try(attempts, due, now):
    """When to try again after `attempts` failed ones, or None to give up."""
    if attempts > len(RETRY_DELAYS):
        return None
    later = now + RETRY_DELAYS[attempts - 1]
    return later if later < due + STALE_AFTER else None
