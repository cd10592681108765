import importlib
from datetime import timedelta

from django.db import migrations, models

BATCH = 2000
# SQLite makes a column required by rebuilding the table, and the rebuilt table's ids would
# start again at 1 (or after the highest id copied): set them going from 10000 again.
ids = importlib.import_module("diary.migrations.0002_episode_ids_start_at_10000")


def fill_nights(apps, schema_editor):
    """Each episode's night, from its local date and hour: before noon, the night before.

    The rule as vocabulary.night_of had it when this migration was written, kept here so the
    migration does the same whatever the code says later.
    """
    Episode = apps.get_model("diary", "Episode")
    pending = []
    for episode in Episode.objects.only("local_date", "local_hour").iterator(chunk_size=BATCH):
        morning = episode.local_hour < 12
        episode.night = episode.local_date - timedelta(days=1) if morning else episode.local_date
        pending.append(episode)
        if len(pending) == BATCH:
            Episode.objects.bulk_update(pending, ["night"])
            pending = []
    Episode.objects.bulk_update(pending, ["night"])


class Migration(migrations.Migration):
    dependencies = [
        ("diary", "0006_morning_checkins"),
    ]

    operations = [
        migrations.AddField(
            model_name="episode",
            name="night",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(fill_nights, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="episode",
            name="night",
            field=models.DateField(editable=False),
        ),
        migrations.RunPython(ids.start_episode_ids, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="episode",
            index=models.Index(fields=["user", "night"], name="episode_user_night"),
        ),
    ]
