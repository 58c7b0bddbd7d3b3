from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupplyConfig(AppConfig):
    name = "supply"
    verbose_name = _("Supply")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from supply.overlap_guard import ensure_overlap_guard

        post_migrate.connect(ensure_overlap_guard, sender=self, dispatch_uid="supply_overlap_guard")
