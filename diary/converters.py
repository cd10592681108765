"""URL converters that keep /diary/<yyyy>/ and /diary/<id>/ apart.

Years have four digits and episode ids at least five (ids start at 10000, see migration
0002), so one address can never mean both. Ids stop at 18 digits to stay inside a 64-bit
integer, so a huge number is a 404 rather than a database overflow.
"""


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


class ShareIdConverter:
    """A share link's id: any number that fits in 64 bits, so a huge one is a plain 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))
