from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConvergenceConfig(AppConfig):
    name = "convergence"
    verbose_name = _("Aksi konvergensi")

    def ready(self):
        from . import tasks  # noqa: F401  (registers its jobs with documents.jobs)
