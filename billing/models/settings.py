"""Company-wide billing rules, edited by admins in one row."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# Payment is due at the earliest two weeks after the bill (EnWG §40c).
LEGAL_MIN_PAYMENT_TERMS_DAYS = 14


class BillingSettings(models.Model):
    """The supplier's data printed on bills and the rules of the bill run.

    One row (pk 1); `BillingSettings.current()` creates it with the defaults.
    """

    # Supplier data printed on every bill (UStG §14(4), EnWG §40).
    supplier_name = models.CharField(_("supplier name"), max_length=200, default="Stadtwerke Musterstadt GmbH")
    supplier_street = models.CharField(_("street and number"), max_length=200, default="Hauptstraße 1")
    supplier_postcode = models.CharField(_("postcode"), max_length=10, default="12345")
    supplier_city = models.CharField(_("city"), max_length=100, default="Musterstadt")
    supplier_country = models.CharField(_("country"), max_length=2, default="DE")
    supplier_vat_id = models.CharField(_("VAT id"), max_length=20, default="DE123456789")
    supplier_tax_number = models.CharField(_("tax number"), max_length=30, blank=True, default="")
    register_court = models.CharField(
        _("commercial register"), max_length=100, blank=True, default="Amtsgericht Musterstadt HRB 12345"
    )
    hotline = models.CharField(_("hotline"), max_length=40, default="+49 30 1234567")
    support_email = models.EmailField(_("service e-mail"), default="service@stadtwerke.example")
    website = models.CharField(_("website"), max_length=200, blank=True, default="https://stadtwerke.example")
    creditor_id = models.CharField(_("SEPA creditor identifier"), max_length=35, default="DE98ZZZ09999999999")
    bank_name = models.CharField(_("bank"), max_length=100, default="Musterbank")
    iban = models.CharField(_("IBAN"), max_length=34, default="DE02120300000000202051")
    bic = models.CharField(_("BIC"), max_length=11, default="BYLADEM1001")
    arbitration_board = models.TextField(
        _("arbitration board"),
        default=(
            "Schlichtungsstelle Energie e.V., Friedrichstraße 133, 10117 Berlin, "
            "www.schlichtungsstelle-energie.de, +49 30 2757240-0"
        ),
    )

    # Numbers: "{prefix}{year}-{number:06d}" gives RE2026-000001.
    invoice_prefix = models.CharField(_("invoice number prefix"), max_length=10, default="RE")
    credit_note_prefix = models.CharField(_("credit note number prefix"), max_length=10, default="GS")
    number_format = models.CharField(
        _("number format"),
        max_length=60,
        default="{prefix}{year}-{number:06d}",
        help_text=_("Placeholders: {prefix}, {year}, {number}. One series per prefix and year."),
    )

    # Rules of the bill run.
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=14)
    customer_may_choose_frequency = models.BooleanField(_("customers choose their billing frequency"), default=True)
    customer_may_change_budget = models.BooleanField(_("customers adjust their instalment"), default=True)
    budget_lower_percent = models.DecimalField(
        _("instalment may be lowered by (%)"), max_digits=5, decimal_places=2, default=Decimal(30)
    )
    budget_upper_percent = models.DecimalField(
        _("instalment may be raised by (%)"), max_digits=6, decimal_places=2, default=Decimal(100)
    )
    instalment_day = models.PositiveSmallIntegerField(_("instalments fall due on day"), default=15)
    minimum_bill_amount = models.DecimalField(
        _("minimum amount for a bill (EUR, gross)"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Periodic bills below this amount wait and are billed with the next period."),
    )
    review_factor = models.DecimalField(
        _("hold a bill above this multiple of the previous period"), max_digits=5, decimal_places=2, default=2
    )
    review_estimate_max_days = models.PositiveSmallIntegerField(
        _("hold a bill estimated from a read older than (days)"), default=400
    )
    hold_negative = models.BooleanField(_("hold negative bills"), default=True)
    hold_zero = models.BooleanField(_("hold zero bills with active supply"), default=True)
    chunk_size = models.PositiveSmallIntegerField(_("accounts per bill run task"), default=500)

    # Accounts for the accounting export (SKR03 defaults).
    receivables_account = models.CharField(_("receivables account"), max_length=10, default="1400")
    revenue_account = models.CharField(_("revenue account (19 %)"), max_length=10, default="8400")
    revenue_account_reduced = models.CharField(_("revenue account (7 %)"), max_length=10, default="8300")
    vat_account = models.CharField(_("VAT account (19 %)"), max_length=10, default="1776")
    vat_account_reduced = models.CharField(_("VAT account (7 %)"), max_length=10, default="1771")
    instalment_account = models.CharField(_("instalments account"), max_length=10, default="1718")
    bank_account = models.CharField(_("bank account"), max_length=10, default="1200")
    fee_account = models.CharField(_("fees account"), max_length=10, default="8900")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(payment_terms_days__gte=LEGAL_MIN_PAYMENT_TERMS_DAYS),
                name="company_payment_terms_at_least_14_days",
            ),
            models.CheckConstraint(condition=Q(review_factor__gt=1), name="review_factor_above_one"),
            models.CheckConstraint(
                condition=Q(instalment_day__gte=1) & Q(instalment_day__lte=28), name="instalment_day_in_every_month"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Billing settings"))

    @classmethod
    def current(cls) -> "BillingSettings":
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings

    @property
    def supplier_address_lines(self) -> list[str]:
        return [self.supplier_name, self.supplier_street, f"{self.supplier_postcode} {self.supplier_city}"]
