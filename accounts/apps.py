from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Akun dan peran")

    def ready(self):
        from . import signals

        signals.connect_authenticator_signals()
        signals.connect_membership_signals()
