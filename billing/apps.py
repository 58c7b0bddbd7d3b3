from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing.services.budget import on_price_version_added
        from supply.services.tariffs import price_version_added

        price_version_added.connect(on_price_version_added, dispatch_uid="billing_budget_after_price_change")
