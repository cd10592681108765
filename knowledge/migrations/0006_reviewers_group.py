"""The "Reviewers" group: may read every knowledge entry and draft, and approve drafts.

Content editors draft changes; a reviewer, never the draft's author, approves them. Content
editors may also read drafts, so that they can follow their own through review.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

REVIEWERS = "Reviewers"
EDITORS = "Content editors"
MODELS = ["article", "cause", "tip", "redflag", "citation", "matchrule"]
REVIEWER_CODENAMES = (
    [f"view_{model}" for model in MODELS]
    + [f"view_historical{model}" for model in MODELS]
    + ["view_revision", "approve_revision"]
)
EDITOR_CODENAMES = ["view_revision"]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations run; create them now so the
    # groups can be given them on a fresh database.
    app_config = apps.get_app_config("knowledge")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ((REVIEWERS, REVIEWER_CODENAMES), (EDITORS, EDITOR_CODENAMES)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="knowledge", codename__in=codenames)
        )


def delete_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name=REVIEWERS).delete()
    editors = Group.objects.filter(name=EDITORS).first()
    if editors:
        editors.permissions.remove(
            *editors.permissions.filter(
                content_type__app_label="knowledge", codename__in=EDITOR_CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0005_revision"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
