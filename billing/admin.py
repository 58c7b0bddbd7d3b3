"""Admin for tariffs, price versions, VAT rates, agreements and billing preferences.

Price versions are never edited: a new one is added through
`tariff_version_add` (so the notice rule and the price-change notices apply),
with its unit prices written as text, e.g. `*=0.30, 1-0:1.8.1=0.32`.
Agreements change state only through the agents' workflow, so the admin shows
them read-only.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import admin
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import BillingPreferences
from billing.models import BillingSettings, BillRun, BillRunItem, DunningHold
from core import clock
from supply.models import ServiceAgreement, Tariff, TariffVersion, VatRate
from supply.services.tariffs import TariffVersionRefused, tariff_version_add, tariff_version_check

PRICE_SEPARATORS = re.compile(r"[,;\n]")


def unit_prices_parse(text: str) -> dict[str, Decimal]:
    """`*=0.30, 1-0:1.8.1=0.32` (commas, semicolons or new lines between) as a
    dict; registers and amounts are checked by the tariff service."""
    prices: dict[str, Decimal] = {}
    for part in PRICE_SEPARATORS.split(text or ""):
        if not part.strip():
            continue
        obis, equals, amount = part.partition("=")
        try:
            if not equals or not obis.strip():
                raise InvalidOperation
            price = Decimal(amount.strip())
        except InvalidOperation as error:
            raise forms.ValidationError(
                gettext('"%(part)s": write each price as register=price with a decimal point, e.g. *=0.3000.')
                % {"part": part.strip()}
            ) from error
        if obis.strip() in prices:
            raise forms.ValidationError(gettext("The register %(obis)s has two prices.") % {"obis": obis.strip()})
        prices[obis.strip()] = price
    return prices


def unit_prices_text(version: TariffVersion) -> str:
    return ", ".join(f"{price.obis}={price.unit_price}" for price in version.prices.all())


class TariffVersionAddForm(forms.ModelForm):
    """A new price version, checked by the tariff service as a whole."""

    unit_prices = forms.CharField(
        label=_("net prices per unit (EUR)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            'Per register, separated by commas or new lines: "*=0.30" for every register, or by OBIS code, '
            'e.g. "1-0:1.8.1=0.32, 1-0:1.8.2=0.24". Leave empty for internet tariffs.'
        ),
    )

    class Meta:
        model = TariffVersion
        fields = ("tariff", "valid_from", "standing_charge_per_year", "monthly_fee")

    def clean_unit_prices(self) -> dict[str, Decimal]:
        return unit_prices_parse(self.cleaned_data.get("unit_prices", ""))

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            tariff_version_check(
                tariff=cleaned["tariff"],
                valid_from=cleaned["valid_from"],
                standing_charge_per_year=cleaned.get("standing_charge_per_year"),
                monthly_fee=cleaned.get("monthly_fee"),
                unit_prices=cleaned.get("unit_prices") or {},
                as_of=clock.today(),
            )
        except TariffVersionRefused as error:
            self.add_error(error.field or None, str(error))
        return cleaned


class TariffVersionInline(admin.TabularInline):
    model = TariffVersion
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("valid_from", "standing_charge_per_year", "monthly_fee", "unit_prices", "created_at")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices").order_by("-valid_from", "-id")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("net prices per unit (EUR)"))
    def unit_prices(self, version: TariffVersion) -> str:
        return unit_prices_text(version)


@admin.register(Tariff)
class TariffAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name_de", "name_en", "utility", "customer_type", "is_offered", "current_prices")
    list_filter = ("utility", "customer_type", "is_offered")
    search_fields = ("code", "name_de", "name_en")
    inlines = [TariffVersionInline]
    history_list_display = ("is_offered", "minimum_term_months", "notice_period_weeks")

    def get_queryset(self, request):
        versions = TariffVersion.objects.order_by("-valid_from", "-id").prefetch_related("prices")
        return super().get_queryset(request).prefetch_related(Prefetch("versions", queryset=versions))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ("created_at",)
        # The import and the agreements refer to the code; utility and customer
        # type decide which prices a version needs and who may choose it.
        return ("code", "utility", "customer_type", "created_at", "add_price_version")

    @admin.display(description=_("current prices (net)"))
    def current_prices(self, tariff: Tariff) -> str:
        today = clock.today()
        version = next((v for v in tariff.versions.all() if v.valid_from <= today), None)
        if version is None:
            return "–"
        if version.monthly_fee is not None:
            return gettext("%(amount)s EUR per month") % {"amount": version.monthly_fee}
        charge = gettext("%(amount)s EUR per year") % {"amount": version.standing_charge_per_year}
        return f"{charge}; {unit_prices_text(version)}"

    @admin.display(description=_("new prices"))
    def add_price_version(self, tariff: Tariff) -> str:
        url = reverse("admin:supply_tariffversion_add")
        return format_html('<a href="{}?tariff={}">{}</a>', url, tariff.pk, gettext("Add a price version"))


@admin.register(TariffVersion)
class TariffVersionAdmin(SimpleHistoryAdmin):
    list_display = ("tariff", "valid_from", "standing_charge_per_year", "monthly_fee", "unit_prices", "created_at")
    list_filter = ("tariff__utility", "tariff__customer_type", "valid_from")
    search_fields = ("tariff__code", "tariff__name_de", "tariff__name_en")
    list_select_related = ("tariff",)
    date_hierarchy = "valid_from"
    form = TariffVersionAddForm

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("prices")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("tariff", "valid_from", "standing_charge_per_year", "monthly_fee", "unit_prices")
        return ("tariff", "valid_from", "standing_charge_per_year", "monthly_fee", "unit_prices", "created_at")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        # Existing versions are shown, never changed: customers were billed or told.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Only a version of a tariff nobody was ever supplied under may go.
        return (
            obj is not None
            and super().has_delete_permission(request, obj)
            and not ServiceAgreement.objects.filter(tariff_id=obj.tariff_id).exists()
        )

    @admin.display(description=_("net prices per unit (EUR)"))
    def unit_prices(self, version: TariffVersion) -> str:
        return unit_prices_text(version)

    def save_form(self, request, form, change):
        data = form.cleaned_data
        return tariff_version_add(
            tariff=data["tariff"],
            valid_from=data["valid_from"],
            standing_charge_per_year=data.get("standing_charge_per_year"),
            monthly_fee=data.get("monthly_fee"),
            unit_prices=data.get("unit_prices") or {},
            as_of=clock.today(),
        )

    def save_model(self, request, obj, form, change) -> None:
        """`save_form` saved the version through the tariff service."""

    def save_related(self, request, form, formsets, change) -> None:
        """A new version has no related rows besides its prices, saved with it."""


@admin.register(VatRate)
class VatRateAdmin(SimpleHistoryAdmin):
    list_display = ("utility", "valid_from", "rate")
    list_filter = ("utility",)
    date_hierarchy = "valid_from"
    history_list_display = ("rate",)


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(SimpleHistoryAdmin):
    list_display = ("account", "supply_point", "tariff", "status", "start_date", "end_date", "requested_at")
    list_filter = ("status", "supply_point__utility", "start_reason", "tariff")
    search_fields = ("account__number", "supply_point__identifier", "supply_point__meters__serial")
    list_select_related = ("account", "supply_point", "tariff")
    date_hierarchy = "start_date"
    history_list_display = ("status", "tariff", "start_date", "end_date")

    def has_add_permission(self, request) -> bool:
        # Supply is set up by the customer or an agent (or import_customers).
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # States change through the agents' workflow, which checks every transition.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BillingPreferences)
class BillingPreferencesAdmin(SimpleHistoryAdmin):
    list_display = ("account", "frequency", "budget_billing")
    list_filter = ("frequency", "budget_billing")
    search_fields = ("account__number", "account__customer__last_name", "account__customer__company_name")
    list_select_related = ("account",)
    raw_id_fields = ("account",)
    history_list_display = ("frequency", "budget_billing")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for looking up, never changed by hand: bill runs are started,
    stopped and resumed in the back-office, their items are written by the run
    alone, and dunning holds are put and released by the steps that need them
    (a dispute ticket, a returned payment)."""

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


@admin.register(DunningHold)
class DunningHoldAdmin(ReadOnlyAdmin):
    list_display = ("account", "invoice", "reason", "source", "created_at", "released_at")
    list_filter = ("reason",)
    search_fields = ("account__number", "invoice__number", "source")
    list_select_related = ("account", "invoice")


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
