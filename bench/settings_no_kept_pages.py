"""cramplog's settings with a default cache that keeps nothing.

Every view of a page with kept parts (diary.views.kept: month, year, insights, home's latest
cramps, the diary list, the episode page) is then a first view after a change, as it is for
a person who has just logged a cramp or checked in. The template fragments each process
keeps (the menu, the check-in form) do not depend on the diary, so they are kept as in
production.
"""

from cramplog.settings import *  # noqa: F403
from cramplog.settings import CACHES

CACHES = {**CACHES, "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
