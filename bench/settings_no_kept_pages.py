"""cramplog's settings with a cache that keeps nothing.

Every month and year view is then a first view after a change (diary.views.kept_content), as
it is for a person who has just logged a cramp or checked in.
"""

from cramplog.settings import *  # noqa: F403

CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
