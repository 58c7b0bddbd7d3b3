"""Admin for bill runs (read-only) and the company's billing settings."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from billing.models import BillingSettings, BillRun, BillRunItem


class ReadOnlyAdmin(admin.ModelAdmin):
    """Bill runs are started, stopped and resumed in the back-office; their
    items are written by the run alone."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BillRun)
class BillRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "as_of", "dry_run", "status", "total", "started_by", "created_at", "finished_at")
    list_filter = ("status", "dry_run")
    list_select_related = ("started_by",)
    date_hierarchy = "as_of"
    readonly_fields = ("progress_link",)

    @admin.display(description=_("progress"))
    def progress_link(self, run: BillRun) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("bill_runs:run", args=[run.pk]), gettext("in the back-office")
        )


@admin.register(BillRunItem)
class BillRunItemAdmin(ReadOnlyAdmin):
    list_display = ("run", "account", "chunk", "status", "period_start", "period_end", "gross_total", "finished_at")
    list_filter = ("status",)
    search_fields = ("account__number", "=run__id")
    list_select_related = ("run", "account")
    show_full_result_count = False


@admin.register(BillingSettings)
class BillingSettingsAdmin(SimpleHistoryAdmin):
    """The company's one row of billing rules: edited, never added twice or deleted."""

    fieldsets = (
        (
            _("Supplier data printed on bills"),
            {
                "fields": (
                    "supplier_name",
                    ("supplier_street", "supplier_postcode", "supplier_city", "supplier_country"),
                    ("supplier_vat_id", "supplier_tax_number", "register_court"),
                    ("hotline", "support_email", "website"),
                    ("creditor_id", "bank_name", "iban", "bic"),
                    "arbitration_board",
                )
            },
        ),
        (_("Invoice numbers"), {"fields": ("invoice_prefix", "credit_note_prefix", "number_format")}),
        (
            _("Billing rules"),
            {
                "fields": (
                    "payment_terms_days",
                    ("customer_may_choose_frequency", "customer_may_change_budget"),
                    ("budget_lower_percent", "budget_upper_percent", "instalment_day"),
                    "minimum_bill_amount",
                    ("review_factor", "review_estimate_max_days", "hold_negative", "hold_zero"),
                    "chunk_size",
                )
            },
        ),
        (
            _("Accounting export"),
            {
                "fields": (
                    ("receivables_account", "bank_account", "instalment_account", "fee_account"),
                    ("revenue_account", "vat_account"),
                    ("revenue_account_reduced", "vat_account_reduced"),
                )
            },
        ),
    )

    def has_add_permission(self, request) -> bool:
        return super().has_add_permission(request) and not BillingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        """The one row, made with the defaults on first use (so there is nothing to add)."""
        BillingSettings.current()
        return super().changelist_view(request, extra_context)
