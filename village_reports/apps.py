from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VillageReportsConfig(AppConfig):
    name = "village_reports"
    verbose_name = _("Desa lokus dan laporan desa")

    def ready(self):
        from . import tasks  # noqa: F401  (registers its jobs with documents.jobs)
