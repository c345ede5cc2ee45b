from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitmentsConfig(AppConfig):
    name = "commitments"
    verbose_name = _("Dokumen komitmen")

    def ready(self):
        from . import tasks  # noqa: F401  (registers the final-PDF job with documents.jobs)
