"""cramplog's settings with no middleware at all: Django's own ceiling for the benchmark."""

from cramplog.settings import *  # noqa: F403

MIDDLEWARE = []
