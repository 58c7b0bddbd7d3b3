"""Arrears: dunning procedures and levels, the base-rate table, dunning cases
and their notices, holds, payment plans, disconnection orders and hand-overs
to the collection agency. Rows change only through arrears.services."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, CustomerType
from billing.models import Invoice, LedgerEntry
from core.models import OutboxMessage
from meters.models import Utility

ZERO = Decimal("0.00")


class BaseRate(models.Model):
    """The base rate (Basiszinssatz, BGB §247) from a date until the next one."""

    valid_from = models.DateField(_("valid from"), unique=True)
    rate = models.DecimalField(_("rate (percent)"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("base rate")
        verbose_name_plural = _("base rates")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from}: {self.rate} %"


class DunningProcedure(models.Model):
    """How arrears are followed up for one customer type and, where rules
    differ, one utility (blank: every utility without its own procedure)."""

    name = models.CharField(_("name"), max_length=100)
    customer_type = models.CharField(_("customer type"), max_length=10, choices=CustomerType.choices)
    utility = models.CharField(
        _("utility"), max_length=12, choices=Utility.choices, blank=True, help_text=_("Blank: any utility.")
    )
    minimum_amount = models.DecimalField(
        _("minimum arrears"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("5.00"),
        help_text=_("Below this nothing is sent."),
    )
    days_between_notices = models.PositiveSmallIntegerField(_("days between notices"), default=7)
    payment_days = models.PositiveSmallIntegerField(
        _("days to pay"), default=14, help_text=_("The payment deadline a notice sets, counted from its date.")
    )
    interest_points = models.DecimalField(
        _("interest points above the base rate"), max_digits=4, decimal_places=2, default=Decimal("5.00")
    )
    interest_after_days = models.PositiveSmallIntegerField(
        _("interest from day"), default=31, help_text=_("Default interest runs from this day after the due date.")
    )
    flat_fee = models.DecimalField(
        _("flat fee per invoice"),
        max_digits=8,
        decimal_places=2,
        default=ZERO,
        help_text=_("BGB §288(5): 40 EUR once per invoice for businesses, at the level that charges it."),
    )
    debit_attempts = models.PositiveSmallIntegerField(
        _("direct debit attempts"),
        default=2,
        help_text=_("How often an overdue amount is presented again by direct debit."),
    )
    plan_months_min = models.PositiveSmallIntegerField(_("plan: fewest instalments"), default=6)
    plan_months_max = models.PositiveSmallIntegerField(_("plan: most instalments"), default=18)
    plan_high_threshold = models.DecimalField(
        _("plan: higher debt from"), max_digits=10, decimal_places=2, default=Decimal("300.00")
    )
    plan_high_months_min = models.PositiveSmallIntegerField(_("plan: fewest instalments, higher debt"), default=12)
    plan_high_months_max = models.PositiveSmallIntegerField(_("plan: most instalments, higher debt"), default=24)
    plan_grace_days = models.PositiveSmallIntegerField(_("plan: grace days for a missed instalment"), default=14)
    plan_first_due_days = models.PositiveSmallIntegerField(_("plan: first instalment at most days ahead"), default=31)
    disconnection_minimum = models.DecimalField(
        _("disconnection: minimum arrears"), max_digits=8, decimal_places=2, default=Decimal("100.00")
    )
    disconnection_weeks_after_threat = models.PositiveSmallIntegerField(
        _("disconnection: weeks after the threat"), default=4
    )
    disconnection_notice_working_days = models.PositiveSmallIntegerField(
        _("disconnection: announced working days ahead"), default=8
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dunning procedure")
        verbose_name_plural = _("dunning procedures")
        constraints = [
            models.UniqueConstraint(fields=["customer_type", "utility"], name="one_procedure_per_type_and_utility")
        ]

    def __str__(self) -> str:
        return self.name


class DunningLevel(models.Model):
    """One step of a procedure: sent once its day count since the oldest
    overdue item's due date is reached, never skipped, never sent twice."""

    procedure = models.ForeignKey(
        DunningProcedure, on_delete=models.CASCADE, related_name="levels", verbose_name=_("procedure")
    )
    number = models.PositiveSmallIntegerField(_("level"))
    name_de = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    days_after_due = models.PositiveSmallIntegerField(_("days after the due date"))
    fee = models.DecimalField(_("fee"), max_digits=8, decimal_places=2, default=ZERO)
    charges_flat_fee = models.BooleanField(_("charges the flat fee once per invoice"), default=False)
    by_email = models.BooleanField(_("by e-mail"), default=True)
    by_letter = models.BooleanField(_("by letter"), default=False)
    by_sms = models.BooleanField(_("by SMS"), default=False)
    text_de = models.TextField(_("text (German)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    charges_interest = models.BooleanField(_("charges interest"), default=False)
    disconnection_threat = models.BooleanField(_("carries the disconnection threat"), default=False)
    agency_handover = models.BooleanField(_("hands over to the collection agency"), default=False)

    class Meta:
        verbose_name = _("dunning level")
        verbose_name_plural = _("dunning levels")
        ordering = ["procedure", "number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="one_level_number_per_procedure")]

    def __str__(self) -> str:
        return f"{self.procedure}: {self.number} {self.name_en}"

    def name(self, language: str) -> str:
        return self.name_de if language == "de" else self.name_en

    def text(self, language: str) -> str:
        return self.text_de if language == "de" else self.text_en


class DunningCase(models.Model):
    """The follow-up of one account's arrears from the first overdue item
    until everything overdue is paid; a later overdue item opens a new case."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("open")
        PLAN = "PLAN", _("payment plan")
        AGENCY = "AGENCY", _("with the collection agency")
        CLOSED = "CLOSED", _("closed")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="dunning_cases", verbose_name=_("account")
    )
    procedure = models.ForeignKey(
        DunningProcedure, on_delete=models.PROTECT, related_name="cases", verbose_name=_("procedure")
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    level = models.PositiveSmallIntegerField(_("level"), default=0)
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    skip_reason = models.CharField(_("why the last run skipped it"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dunning case")
        verbose_name_plural = _("dunning cases")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=~Q(status="CLOSED"), name="one_current_dunning_case_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.opened_on} {self.get_status_display()}"


class DunningNotice(models.Model):
    """A reminder as it was sent: level, date, amounts, deadline and items."""

    case = models.ForeignKey(DunningCase, on_delete=models.PROTECT, related_name="notices", verbose_name=_("case"))
    level = models.PositiveSmallIntegerField(_("level"))
    sent_on = models.DateField(_("sent on"))
    overdue_amount = models.DecimalField(_("overdue amount"), max_digits=12, decimal_places=2)
    fee = models.DecimalField(_("fee"), max_digits=8, decimal_places=2, default=ZERO)
    interest = models.DecimalField(_("interest"), max_digits=10, decimal_places=2, default=ZERO)
    deadline = models.DateField(_("payment deadline"))
    items = models.JSONField(_("items"), default=list)
    channels = models.JSONField(_("channels"), default=list)
    disconnection_threat = models.BooleanField(_("disconnection threatened"), default=False)
    debit_presented_on = models.DateField(_("presented again by direct debit for"), null=True, blank=True)
    letter = models.FileField(_("letter"), upload_to="arrears/notices/%Y/", blank=True)
    message = models.ForeignKey(
        OutboxMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("e-mail")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dunning notice")
        verbose_name_plural = _("dunning notices")
        ordering = ["-sent_on", "-level"]
        constraints = [models.UniqueConstraint(fields=["case", "level"], name="one_notice_per_case_and_level")]

    def __str__(self) -> str:
        return f"{self.case.account.number} level {self.level} {self.sent_on}"

    @property
    def total(self):
        return self.overdue_amount + self.fee + self.interest


class DunningHold(models.Model):
    """A stop in dunning, while active (not released, not past `until`).

    On an invoice (a billing dispute) dunning waits for that invoice; on a
    ledger entry (a payment plan's items) for that entry; on the account
    itself (an agent's hold, a vulnerable customer, a returned direct debit
    under review) for the whole account. Released holds stay as history."""

    class Reason(models.TextChoices):
        DISPUTE = "DISPUTE", _("billing dispute")
        PAYMENT_PLAN = "PAYMENT_PLAN", _("payment plan")
        AGENT = "AGENT", _("set by an agent")
        VULNERABLE = "VULNERABLE", _("vulnerable customer")
        DIRECT_DEBIT_RETURNED = "DIRECT_DEBIT_RETURNED", _("direct debit returned")
        CHARGEBACK = "CHARGEBACK", _("card payment disputed")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="dunning_holds", verbose_name=_("account")
    )
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dunning_holds",
        verbose_name=_("invoice"),
    )
    entry = models.ForeignKey(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dunning_holds",
        verbose_name=_("item"),
    )
    reason = models.CharField(_("reason"), max_length=30, choices=Reason.choices)
    # What set the hold, e.g. "ticket:T-2026-000012", "payment:17", "plan:3", "agent:5".
    source = models.CharField(_("set by"), max_length=60)
    note = models.CharField(_("note"), max_length=300, blank=True)
    until = models.DateField(_("until"), null=True, blank=True, help_text=_("Blank: until released."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dunning hold")
        verbose_name_plural = _("dunning holds")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "source"],
                condition=Q(released_at__isnull=True, invoice__isnull=False),
                name="arrears_one_active_hold_per_invoice_and_source",
            ),
            models.UniqueConstraint(
                fields=["entry", "source"],
                condition=Q(released_at__isnull=True, entry__isnull=False),
                name="arrears_one_active_hold_per_entry_and_source",
            ),
            models.UniqueConstraint(
                fields=["account", "source"],
                condition=Q(invoice__isnull=True, entry__isnull=True),
                name="arrears_one_account_hold_per_source",
            ),
        ]
        indexes = [models.Index(fields=["account", "released_at"])]

    def __str__(self) -> str:
        return f"{self.invoice or self.account.number} {self.get_reason_display()}"


class PaymentPlan(models.Model):
    """An instalment agreement (Zahlungsplan) over the debt of its items."""

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("proposed")
        ACTIVE = "ACTIVE", _("active")
        PAID = "PAID", _("paid")
        BROKEN = "BROKEN", _("broken")
        CANCELLED = "CANCELLED", _("cancelled")

    class Consent(models.TextChoices):
        PORTAL = "PORTAL", _("in the portal")
        API = "API", _("through the app")
        LINK = "LINK", _("by the link in our e-mail")
        VERBAL = "VERBAL", _("verbally to an agent")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="payment_plans", verbose_name=_("account")
    )
    case = models.ForeignKey(
        DunningCase,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plans",
        verbose_name=_("dunning case"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    total = models.DecimalField(_("debt"), max_digits=12, decimal_places=2)
    down_payment = models.DecimalField(_("down payment"), max_digits=12, decimal_places=2, default=ZERO)
    instalment_count = models.PositiveSmallIntegerField(_("instalments"))
    first_due = models.DateField(_("first instalment due"))
    entries = models.ManyToManyField(LedgerEntry, related_name="payment_plans", verbose_name=_("items"))
    # The total still open of its items when it was accepted: what has been paid since counts towards it.
    open_at_start = models.DecimalField(_("open at the start"), max_digits=12, decimal_places=2, default=ZERO)
    interest_free = models.BooleanField(_("interest-free"), default=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by agent"),
    )
    accept_token = models.CharField(_("acceptance link token"), max_length=64, blank=True, db_index=True)
    accepted_name = models.CharField(_("accepted with the name"), max_length=200, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_ip = models.GenericIPAddressField(_("accepted from IP address"), null=True, blank=True)
    consent = models.CharField(_("consent given"), max_length=8, choices=Consent.choices, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verbal consent recorded by"),
    )
    agreement = models.FileField(_("agreement"), upload_to="arrears/plans/%Y/", blank=True)
    resume_level = models.PositiveSmallIntegerField(_("dunning level when it started"), default=0)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment plan")
        verbose_name_plural = _("payment plans")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="ACTIVE"), name="one_active_payment_plan_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account.number} plan {self.pk} ({self.get_status_display()})"


class PlanInstalment(models.Model):
    """One instalment of a plan (the down payment is number 0)."""

    plan = models.ForeignKey(PaymentPlan, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("plan"))
    number = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)
    collected_on = models.DateField(_("presented by direct debit for"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan instalment")
        verbose_name_plural = _("plan instalments")
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_plan_instalment_number")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.number} {self.due_date} {self.amount}"


class DisconnectionOrder(models.Model):
    """An account due for disconnection after a threat; a supervisor approves
    or stops it. Nothing is disconnected automatically."""

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("waiting for a supervisor")
        APPROVED = "APPROVED", _("approved")
        STOPPED = "STOPPED", _("stopped")
        DISCONNECTED = "DISCONNECTED", _("disconnected")
        RECONNECTED = "RECONNECTED", _("reconnected")

    case = models.ForeignKey(
        DunningCase, on_delete=models.PROTECT, related_name="disconnections", verbose_name=_("case")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="disconnection_orders", verbose_name=_("account")
    )
    utility = models.CharField(_("utility"), max_length=12, choices=Utility.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
    threat = models.ForeignKey(
        DunningNotice, on_delete=models.PROTECT, related_name="+", verbose_name=_("threat in notice")
    )
    arrears = models.DecimalField(_("arrears (undisputed)"), max_digits=12, decimal_places=2)
    earliest_on = models.DateField(_("earliest disconnection date"))
    planned_on = models.DateField(_("disconnection date"), null=True, blank=True)
    announced_on = models.DateField(_("announced on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Recorded by an agent from the field crew's report; the reconnection
    # fee is charged through an order (orders), never typed as a booking.
    disconnected_on = models.DateField(_("disconnected on"), null=True, blank=True)
    reconnected_on = models.DateField(_("reconnected on"), null=True, blank=True)
    reconnection_order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reconnection order"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("disconnection order")
        verbose_name_plural = _("disconnection orders")
        permissions = [("decide_disconnectionorder", _("Can approve or stop disconnections"))]
        constraints = [
            models.UniqueConstraint(fields=["case", "utility"], name="one_disconnection_per_case_and_utility")
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.get_utility_display()} {self.get_status_display()}"


class AgencyReferral(models.Model):
    """A case handed over to the collection agency, after a supervisor's approval."""

    class Status(models.TextChoices):
        PROPOSED = "PROPOSED", _("waiting for a supervisor")
        APPROVED = "APPROVED", _("approved, not yet exported")
        EXPORTED = "EXPORTED", _("with the agency")
        RECALLED = "RECALLED", _("recalled")
        REJECTED = "REJECTED", _("not handed over")

    case = models.OneToOneField(DunningCase, on_delete=models.PROTECT, related_name="referral", verbose_name=_("case"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    amount = models.DecimalField(_("amount handed over"), max_digits=12, decimal_places=2)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported at"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("recalled at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("collection agency referral")
        verbose_name_plural = _("collection agency referrals")
        permissions = [("decide_agencyreferral", _("Can approve, export and recall agency hand-overs"))]

    def __str__(self) -> str:
        return f"{self.case.account.number} {self.get_status_display()}"
