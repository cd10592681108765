"""cramplog's settings with a default cache that keeps nothing at all: every view is a first
view after a change to a night of the person's history, which is then counted again."""

from cramplog.settings import *  # noqa: F403
from cramplog.settings import CACHES

CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
