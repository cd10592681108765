"""cramplog's settings with a default cache that keeps nothing of a person's pages.

Every view of a page with kept parts (diary.views.kept: month, year, insights, home's latest
cramps, the diary list, the episode page) is then a first view after a change, as it is for
a person who has just logged a cramp or checked in. Such a change leaves what is counted over
their history (diary.views.kept_history), so that is kept. The template fragments each process
keeps (the menu, the check-in form) do not depend on the diary, so they are kept as in
production.
"""

from cramplog.settings import *  # noqa: F403
from cramplog.settings import CACHES

CACHES = {**CACHES, "default": {"BACKEND": "bench.cache.HistoryOnlyCache"}}
