"""A cache for the first-view servers: what a person's cache holds just after they change a
night of the last week."""

from django.core.cache.backends.locmem import LocMemCache

from diary.views import HISTORY_KEY_PREFIX


class HistoryOnlyCache(LocMemCache):
    """Keeps what is counted over people's history (diary.views.kept_history), which such a
    change leaves, and nothing else: every page and figure kept under their diary version is
    gone."""

    def set(self, key, value, timeout=None, version=None):
        if key.startswith(HISTORY_KEY_PREFIX):
            super().set(key, value, timeout, version)
