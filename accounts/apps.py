from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Customers and accounts")

    def ready(self) -> None:
        from allauth.account.signals import email_confirmed

        from accounts import receivers

        email_confirmed.connect(receivers.link_customer_on_email_confirmed, dispatch_uid="link_customer")
        email_confirmed.connect(receivers.change_email_on_confirmed, dispatch_uid="change_customer_email")
