"""URL converters that keep /diary/<yyyy>/ and /diary/<id>/ apart, and name a night by its date.

Years have four digits and episode ids at least five (ids start at 10000, see migration
0002), so one address can never mean both. Ids stop at 18 digits to stay inside a 64-bit
integer, so a huge number is a 404 rather than a database overflow.
"""

from datetime import date


class YearConverter:
    regex = "[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class MonthConverter:
    regex = "[0-9]{2}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


class EpisodeIdConverter:
    regex = "[0-9]{5,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))


class NightConverter:
    """YYYY-MM-DD; a date that does not exist (2026-02-30) is a 404."""

    regex = "[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value):
        return date.fromisoformat(value)

    def to_url(self, value):
        return value.isoformat() if isinstance(value, date) else str(value)
