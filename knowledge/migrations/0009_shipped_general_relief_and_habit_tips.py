"""Mark the shipped general relief steps and habit tips on databases loaded before the fields.

The fields are new, so no editor has set them yet: this sets what catalogue.toml ships and
changes nothing else. Tips are found by the key they were shipped under, so a renamed one is
found too; a deleted one is left alone.
"""

from django.db import migrations

GENERAL_RELIEF = ["stretch-opposite", "massage", "heat", "walk-on-it"]
HABITS = {
    "limit-alcohol-smoking": "alcohol,smoking",
    "supportive-footwear": "tight_footwear,high_heels",
}


def mark_shipped_tips(apps, schema_editor):
    Tip = apps.get_model("knowledge", "Tip")
    Tip.objects.filter(shipped_key__in=GENERAL_RELIEF, kind="relief").update(general=True)
    for key, habits in HABITS.items():
        Tip.objects.filter(shipped_key=key).update(habits=habits)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0008_tip_general_habits_article_source")]

    operations = [migrations.RunPython(mark_shipped_tips, migrations.RunPython.noop)]
