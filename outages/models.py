"""Interruptions: the causes (admin list), every interruption of supply with
its status timeline, the customers it affected (a snapshot of the agreements
that overlapped it), the notices sent, the fee and compensation rules and
what they booked, and customers' "no supply at my address" reports. Rows
change only through outages.services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Customer
from billing.models import LedgerEntry
from core.models import OutboxMessage
from meters.models import SupplyPoint, Utility


class Cause(models.Model):
    """Why supply was interrupted (grid fault, maintenance, …); admins keep the list."""

    GRID_FAULT = "GRID_FAULT"
    MAINTENANCE = "MAINTENANCE"
    WEATHER = "WEATHER"
    THIRD_PARTY_DAMAGE = "THIRD_PARTY_DAMAGE"
    NON_PAYMENT = "NON_PAYMENT"
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    METER_EXCHANGE = "METER_EXCHANGE"
    RECONNECTION = "RECONNECTION"

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    is_active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("cause of interruption")
        verbose_name_plural = _("causes of interruption")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_de

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_de


class Interruption(models.Model):
    """One interruption of one utility's supply: an area (postcodes and/or
    named supply points) or, customer-specific, one account's supply point
    (a disconnection, a reconnection, a meter exchange). Times are aware
    datetimes; `ended_at` is empty while supply is still interrupted."""

    class Status(models.TextChoices):
        PLANNED = "PLANNED", _("planned")
        INVESTIGATING = "INVESTIGATING", _("investigating")
        CREW_ON_SITE = "CREW_ON_SITE", _("crew on site")
        RESTORED = "RESTORED", _("restored")
        CANCELLED = "CANCELLED", _("cancelled")

    class Source(models.TextChoices):
        AGENT = "AGENT", _("agent")
        API = "API", _("network operator (API)")
        SYSTEM = "SYSTEM", _("system")

    OPEN_STATES = (Status.PLANNED, Status.INVESTIGATING, Status.CREW_ON_SITE)

    utility = models.CharField(_("utility"), max_length=12, choices=Utility.choices)
    planned = models.BooleanField(_("planned"), default=False)
    cause = models.ForeignKey(Cause, on_delete=models.PROTECT, related_name="interruptions", verbose_name=_("cause"))
    postcodes = models.JSONField(_("postcodes"), default=list, blank=True)
    supply_points = models.ManyToManyField(
        SupplyPoint, blank=True, related_name="interruptions", verbose_name=_("named supply points")
    )
    started_at = models.DateTimeField(_("start"))
    expected_end_at = models.DateTimeField(_("expected end"), null=True, blank=True)
    ended_at = models.DateTimeField(_("actual end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=Status.choices)
    description = models.TextField(_("description"), blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The sender's reference: the same reference is the same interruption."),
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.AGENT)
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="interruptions",
        verbose_name=_("account (customer-specific)"),
    )
    supply_point = models.ForeignKey(
        SupplyPoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customer_interruptions",
        verbose_name=_("supply point (customer-specific)"),
    )
    customers_affected = models.PositiveIntegerField(_("customers affected"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(_("logged at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("interruption")
        verbose_name_plural = _("interruptions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="interruption_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(expected_end_at__isnull=True) | Q(expected_end_at__gte=F("started_at")),
                name="interruption_expected_end_after_start",
            ),
        ]
        indexes = [models.Index(fields=["utility", "started_at"]), models.Index(fields=["status", "started_at"])]

    def __str__(self) -> str:
        return f"{self.get_utility_display()} {self.started_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def is_customer_specific(self) -> bool:
        return self.account_id is not None

    @property
    def duration(self) -> dt.timedelta | None:
        if self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def minutes(self) -> Decimal | None:
        """The actual duration in minutes (exact, not rounded)."""
        duration = self.duration
        return None if duration is None else Decimal(int(duration.total_seconds())) / 60


class StatusUpdate(models.Model):
    """One entry of an interruption's timeline."""

    interruption = models.ForeignKey(
        Interruption, on_delete=models.CASCADE, related_name="updates", verbose_name=_("interruption")
    )
    at = models.DateTimeField(_("at"))
    status = models.CharField(_("status"), max_length=14, choices=Interruption.Status.choices)
    note = models.TextField(_("note"), blank=True)
    expected_end_at = models.DateTimeField(_("expected end"), null=True, blank=True)
    ended_at = models.DateTimeField(_("actual end"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("status update")
        verbose_name_plural = _("status updates")
        indexes = [models.Index(fields=["interruption", "at", "id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_status_display()}"


class AffectedSupply(models.Model):
    """A supply point (and the account whose agreement of the interruption's
    utility overlapped it) the interruption affected: the snapshot notices,
    fees, compensation and the reliability figures are taken from."""

    interruption = models.ForeignKey(
        Interruption, on_delete=models.CASCADE, related_name="affected", verbose_name=_("interruption")
    )
    supply_point = models.ForeignKey(
        SupplyPoint, on_delete=models.PROTECT, related_name="+", verbose_name=_("supply point")
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("account"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    agreement = models.ForeignKey(
        "supply.ServiceAgreement", on_delete=models.PROTECT, related_name="+", verbose_name=_("agreement")
    )

    class Meta:
        verbose_name = _("customer affected")
        verbose_name_plural = _("customers affected")
        constraints = [
            models.UniqueConstraint(
                fields=["interruption", "supply_point", "account"], name="one_affected_row_per_supply_point_and_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interruption_id}: {self.supply_point}"


class Notice(models.Model):
    """A customer was told of an interruption: once per customer and event."""

    class Event(models.TextChoices):
        ANNOUNCED = "ANNOUNCED", _("planned work announced")
        LOGGED = "LOGGED", _("interruption reported")
        RESTORED = "RESTORED", _("supply restored")

    interruption = models.ForeignKey(
        Interruption, on_delete=models.CASCADE, related_name="notices", verbose_name=_("interruption")
    )
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    event = models.CharField(_("event"), max_length=10, choices=Event.choices)
    sent_at = models.DateTimeField(_("sent at"))
    message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("message")
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["interruption", "customer", "event"], name="one_outage_notice_per_customer_and_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interruption_id} {self.get_event_display()} → {self.customer_id}"


class ChargeRule(models.Model):
    """A fee or a compensation credit booked to each account affected when
    an interruption that matches the rule is closed."""

    class Kind(models.TextChoices):
        FEE = "FEE", _("fee (the customer pays)")
        CREDIT = "CREDIT", _("compensation (credited to the customer)")

    class AppliesTo(models.TextChoices):
        ANY = "ANY", _("planned and unplanned")
        PLANNED = "PLANNED", _("planned only")
        UNPLANNED = "UNPLANNED", _("unplanned only")

    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices)
    name_de = models.CharField(_("text (German)"), max_length=100)
    name_en = models.CharField(_("text (English)"), max_length=100)
    utility = models.CharField(
        _("utility"), max_length=12, choices=Utility.choices, blank=True, help_text=_("Blank: any utility.")
    )
    cause = models.ForeignKey(
        Cause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cause"),
        help_text=_("Blank: any cause."),
    )
    applies_to = models.CharField(_("applies to"), max_length=10, choices=AppliesTo.choices, default=AppliesTo.ANY)
    min_duration_hours = models.DecimalField(
        _("longer than (hours)"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text=_("Only interruptions lasting longer than this (0: any duration)."),
    )
    amount = models.DecimalField(_("amount per account (EUR)"), max_digits=10, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("fee or compensation rule")
        verbose_name_plural = _("fee and compensation rules")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_rule_amount_positive"),
            models.CheckConstraint(condition=Q(min_duration_hours__gte=0), name="charge_rule_duration_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name_in(translation.get_language() or 'de')} {self.amount}"

    def name_in(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_de


class Charge(models.Model):
    """What one rule booked for one interruption to one account: the first
    close books the amount, a close after an edit only the difference (a
    further row). Each row is one ledger entry."""

    interruption = models.ForeignKey(
        Interruption, on_delete=models.PROTECT, related_name="charges", verbose_name=_("interruption")
    )
    rule = models.ForeignKey(ChargeRule, on_delete=models.PROTECT, related_name="charges", verbose_name=_("rule"))
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("account"))
    sequence = models.PositiveSmallIntegerField(_("booking"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="+", verbose_name=_("ledger entry")
    )
    booked_at = models.DateTimeField(_("booked at"))

    class Meta:
        verbose_name = _("fee or compensation booked")
        verbose_name_plural = _("fees and compensation booked")
        constraints = [
            models.UniqueConstraint(
                fields=["interruption", "rule", "account", "sequence"], name="one_charge_per_booking"
            )
        ]

    def __str__(self) -> str:
        return f"{self.interruption_id} {self.rule_id} {self.account_id}: {self.amount}"


class NoSupplyReport(models.Model):
    """A customer reported "no supply at my address": linked to the open
    interruption that explains it, or filed as a ticket for operations."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("customer"))
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+", verbose_name=_("account"))
    supply_point = models.ForeignKey(
        SupplyPoint, on_delete=models.PROTECT, related_name="+", verbose_name=_("supply point")
    )
    note = models.TextField(_("note"), blank=True)
    interruption = models.ForeignKey(
        Interruption,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("interruption"),
    )
    ticket_reference = models.CharField(_("ticket"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("no-supply report")
        verbose_name_plural = _("no-supply reports")
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self) -> str:
        return f"{self.account.number} {self.created_at:%Y-%m-%d %H:%M}"
