from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Dasbor dan laporan")

    def ready(self):
        from . import signals, tasks  # noqa: F401  (tasks: registers the evaluation job)

        signals.connect()
