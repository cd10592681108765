from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "diary"
    verbose_name = "Cramp diary"

    def ready(self):
        from . import checks  # noqa: F401  (registers the checks)
