from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillagesConfig(AppConfig):
    name = "villages"
    verbose_name = _("Wilayah dan daerah")

    def ready(self):
        from . import tasks  # noqa: F401  (registers its jobs with documents.jobs)
