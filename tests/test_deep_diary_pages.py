"""A deep page of a long diary is read in the diary's order from an index, not sorted again."""

import pytest
from django.db import connection

from diary.models import Episode
from tests.factories import EpisodeFactory


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plan")
def test_the_last_page_of_the_diary_is_read_from_the_index_without_sorting():
    episode = EpisodeFactory()
    page = Episode.objects.owned_by(episode.user)[3600:3625]
    sql, params = page.query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " / ".join(row[-1] for row in cursor.fetchall())

    assert "episode_user_started_id" in plan
    assert "TEMP B-TREE" not in plan
