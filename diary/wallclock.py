"""Wall-clock times in a person's time zone, as the form and the CSV import read them."""

from datetime import UTC

from .vocabulary import FIRST_YEAR, LAST_YEAR


class WallClockError(ValueError):
    pass


class OutOfRange(WallClockError):
    pass


class SkippedTime(WallClockError):
    """The time never happened there: the clocks jumped over it when they went forward."""


def aware(naive, zone):
    """The moment a wall-clock time in `zone` names.

    When clocks go back an hour repeats; this takes the first of the two, so a cramp in that
    hour can still be logged. A time skipped when they go forward never happened: SkippedTime.
    Years outside the diary's range raise OutOfRange before any arithmetic could overflow.
    """
    check_year(naive)
    local = naive.replace(tzinfo=zone, fold=0)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise SkippedTime("The clocks skipped that time when they went forward.")
    return local


def check_year(moment):
    if moment.year < FIRST_YEAR:
        raise OutOfRange(f"Enter a date after {FIRST_YEAR}.")
    if moment.year > LAST_YEAR:
        raise OutOfRange("A cramp cannot start in the future. Check the date.")
