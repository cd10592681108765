from django.db import migrations
from django.db.models import Max

FIRST_ID = 10_000


def start_episode_ids(apps, schema_editor):
    """Start episode ids at five digits so /diary/<id>/ never looks like /diary/<yyyy>/."""
    episodes = apps.get_model("diary", "Episode")
    table = episodes._meta.db_table
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "INSERT INTO sqlite_sequence (name, seq) SELECT %s, %s "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = %s)",
            [table, FIRST_ID - 1, table],
        )
        schema_editor.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s",
            [FIRST_ID - 1, table],
        )
    elif vendor == "postgresql":
        highest = episodes.objects.aggregate(highest=Max("id"))["highest"] or 0
        schema_editor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
            [table, max(FIRST_ID - 1, highest)],
        )


class Migration(migrations.Migration):
    dependencies = [("diary", "0001_initial")]

    operations = [migrations.RunPython(start_episode_ids, migrations.RunPython.noop)]
