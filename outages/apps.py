from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutagesConfig(AppConfig):
    name = "outages"
    verbose_name = _("Interruptions / Versorgungsunterbrechungen")

    def ready(self) -> None:
        from outages import receivers

        receivers.connect()
