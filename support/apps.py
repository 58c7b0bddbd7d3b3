from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from core.departments import queue_handler_register
        from support.services.notices import department_notice_file

        # Department notices for a back-office queue become tickets there.
        queue_handler_register(department_notice_file)
