from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = _("Data capaian")

    def ready(self):
        from . import tasks  # noqa: F401  (registers its job with documents.jobs)
