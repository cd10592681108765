from django.apps import AppConfig
from django.apps import apps as installed_apps
from django.db.models import F
from django.db.models.signals import post_migrate


def bump_content_version(using, apps=installed_apps, **kwargs):
    """Data migrations change advice without the models' save(), so workers must read it again.

    `migrate` passes the migrated state as `apps`; `flush` passes none.
    """
    try:
        version = apps.get_model("knowledge", "ContentVersion")
    except LookupError:
        return
    if not version.objects.using(using).filter(pk=1).update(number=F("number") + 1):
        version.objects.using(using).create(pk=1, number=1)


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self):
        post_migrate.connect(bump_content_version, sender=self)
