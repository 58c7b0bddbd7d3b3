"""Tariffs with dated price versions, VAT rates, service agreements and
billing preferences."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account, CustomerType
from metering.models import SupplyPoint, Utility


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


class BillingPreferences(models.Model):
    """How and how often an account is billed; empty fields take the company
    defaults in BillingSettings."""

    class Frequency(models.TextChoices):
        MONTHLY = "MONTHLY", _("monthly")
        QUARTERLY = "QUARTERLY", _("quarterly")
        HALF_YEARLY = "HALF_YEARLY", _("half-yearly")
        ANNUAL = "ANNUAL", _("annual")

    class DeliveryChannel(models.TextChoices):
        EMAIL = "EMAIL", _("e-mail with the PDF")
        PORTAL = "PORTAL", _("in the portal only")
        LETTER = "LETTER", _("paper letter")

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="billing_preferences", verbose_name=_("account")
    )
    frequency = models.CharField(
        _("billing frequency"), max_length=12, choices=Frequency.choices, default=Frequency.ANNUAL
    )
    budget_billing = models.BooleanField(_("budget billing (monthly instalments)"), default=True)
    # The monthly instalment in whole euros; empty = computed by the portal.
    budget_amount = models.DecimalField(
        _("monthly instalment (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), null=True, blank=True, help_text=_("Empty: the company default.")
    )
    delivery_channel = models.CharField(
        _("delivery of bills"), max_length=8, choices=DeliveryChannel.choices, default=DeliveryChannel.EMAIL
    )
    invoice_language = models.CharField(
        _("language of bills"), max_length=2, blank=True, help_text=_("Empty: the customer's language.")
    )
    paperless = models.BooleanField(_("paperless"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("billing preferences")
        verbose_name_plural = _("billing preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(payment_terms_days__isnull=True) | Q(payment_terms_days__gte=14),
                name="payment_terms_at_least_14_days",
            ),
            models.CheckConstraint(
                condition=Q(budget_amount__isnull=True) | Q(budget_amount__gte=0),
                name="budget_amount_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number}: {self.get_frequency_display()}"


class ReadImportJob(models.Model):
    """A CSV file of meter reads uploaded in the back-office and imported by a
    Celery task from a stored copy; the task records its progress here."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("waiting")
        READING = "READING", _("reading the file")
        CHECKING = "CHECKING", _("checking the reads")
        SAVING = "SAVING", _("saving the reads")
        FINISHED = "FINISHED", _("finished")
        FAILED = "FAILED", _("failed")

    DONE_STATES = (Status.FINISHED, Status.FAILED)

    file = models.FileField(_("file"), upload_to="read-imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    read_rows = models.PositiveIntegerField(_("rows read"), default=0)
    checked_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    suspect = models.PositiveIntegerField(_("suspect"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    duplicate = models.PositiveIntegerField(_("duplicate"), default=0)
    report = models.FileField(_("report of rejected rows"), upload_to="read-imports/reports/%Y/%m/", blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="read_import_jobs",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("read import")
        verbose_name_plural = _("read imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE_STATES

    @property
    def percent(self) -> int:
        """How far the import is: reading and checking each make half of it."""
        if self.status in (self.Status.SAVING, self.Status.FINISHED):
            return 100
        if not self.total_rows:
            return 0
        return min(100, (self.read_rows + self.checked_rows) * 100 // (2 * self.total_rows))
