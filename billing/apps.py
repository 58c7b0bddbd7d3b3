from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from billing.overlap_guard import ensure_overlap_guard

        post_migrate.connect(ensure_overlap_guard, sender=self, dispatch_uid="billing_overlap_guard")

        from billing.budget import on_price_version_added
        from billing.tariffs import price_version_added

        price_version_added.connect(on_price_version_added, dispatch_uid="billing_budget_after_price_change")
