"""Tariffs with dated price versions, VAT rates and service agreements."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account, CustomerType
from meters.models import SupplyPoint, Utility


class Tariff(models.Model):
    """A product offered for one utility and customer type."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    utility = models.CharField(_("utility"), max_length=12, choices=Utility.choices)
    customer_type = models.CharField(_("customer type"), max_length=10, choices=CustomerType.choices)
    is_offered = models.BooleanField(_("offered to new customers"), default=True)
    minimum_term_months = models.PositiveSmallIntegerField(_("minimum term (months)"), default=12)
    notice_period_weeks = models.PositiveSmallIntegerField(_("customer's notice period (weeks)"), default=4)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_de

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_de


class TariffVersion(models.Model):
    """Prices valid from a date until the next version of the same tariff."""

    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="versions", verbose_name=_("tariff"))
    valid_from = models.DateField(_("valid from"))
    standing_charge_per_year = models.DecimalField(
        _("net standing charge per year (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    monthly_fee = models.DecimalField(
        _("net monthly fee (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("price version")
        verbose_name_plural = _("price versions")
        constraints = [
            models.UniqueConstraint(fields=["tariff", "valid_from"], name="one_price_version_per_tariff_and_date"),
            models.CheckConstraint(
                condition=Q(standing_charge_per_year__isnull=False) | Q(monthly_fee__isnull=False),
                name="price_version_has_a_fixed_charge",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff.code} {self.valid_from}"


class TariffPrice(models.Model):
    """Net price per unit for one register (OBIS code) or every register ("*")."""

    ALL_REGISTERS = "*"

    version = models.ForeignKey(
        TariffVersion, on_delete=models.CASCADE, related_name="prices", verbose_name=_("price version")
    )
    obis = models.CharField(_("register (OBIS code, * = all)"), max_length=20, default=ALL_REGISTERS)
    unit_price = models.DecimalField(_("net price per unit (EUR)"), max_digits=12, decimal_places=6)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit price")
        verbose_name_plural = _("unit prices")
        constraints = [
            models.UniqueConstraint(fields=["version", "obis"], name="one_unit_price_per_register"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="unit_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.obis}: {self.unit_price}"


class VatRate(models.Model):
    """The VAT rate for a utility from a date until the next one."""

    utility = models.CharField(_("utility"), max_length=12, choices=Utility.choices)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate"), max_digits=5, decimal_places=4, help_text=_("0.1900 = 19 %"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        constraints = [
            models.UniqueConstraint(fields=["utility", "valid_from"], name="one_vat_rate_per_utility_and_date"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=1), name="vat_rate_between_0_and_1"),
        ]

    def __str__(self) -> str:
        return f"{self.get_utility_display()} {self.valid_from}: {self.rate:%}"


class ServiceAgreement(models.Model):
    """An account's supply at a supply point under a tariff, from a start date."""

    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", _("requested")
        CONFIRMED = "CONFIRMED", _("confirmed")
        ACTIVE = "ACTIVE", _("active")
        ENDING = "ENDING", _("ending")
        ENDED = "ENDED", _("ended")
        REJECTED = "REJECTED", _("rejected")
        CANCELLED = "CANCELLED", _("cancelled")

    class StartReason(models.TextChoices):
        MOVE_IN = "MOVE_IN", _("moving in")
        SUPPLIER_SWITCH = "SUPPLIER_SWITCH", _("switching supplier")

    class EndReason(models.TextChoices):
        MOVE_OUT = "MOVE_OUT", _("moving out")
        NOTICE = "NOTICE", _("ordinary termination")

    class Channel(models.TextChoices):
        PORTAL = "PORTAL", _("customer portal")
        API = "API", _("app or API")
        PHONE = "PHONE", _("phone")
        LETTER = "LETTER", _("letter")
        EMAIL = "EMAIL", _("e-mail")

    # States in which an agreement holds its supply point.
    LIVE_STATES = (Status.REQUESTED, Status.CONFIRMED, Status.ACTIVE, Status.ENDING)

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("account"))
    supply_point = models.ForeignKey(
        SupplyPoint, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("supply point")
    )
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("tariff"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    start_reason = models.CharField(_("reason for the start"), max_length=16, choices=StartReason.choices)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    expected_annual_consumption = models.DecimalField(
        _("expected consumption per year"), max_digits=12, decimal_places=1, null=True, blank=True
    )
    # Start reads given with the request ({OBIS code: "value"}); recorded on activation.
    start_reads = models.JSONField(_("start reads"), default=dict, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    end_reason = models.CharField(_("reason for the end"), max_length=10, choices=EndReason.choices, blank=True)
    end_requested_at = models.DateTimeField(_("end requested at"), null=True, blank=True)
    end_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("end requested by"),
    )
    end_channel = models.CharField(_("end requested through"), max_length=8, choices=Channel.choices, blank=True)
    final_read_reminded_at = models.DateTimeField(_("reminded of the final reading at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="agreement_ends_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["status", "start_date"])]

    def __str__(self) -> str:
        return f"{self.account.number} · {self.supply_point} · {self.tariff.code}"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATES

    @property
    def is_ending(self) -> bool:
        return self.status == self.Status.ENDING
