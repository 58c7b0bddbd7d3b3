"""Invoices, credit notes, their lines and reads, budget instalments and the
account ledger. Issued documents and ledger entries are append-only: a
correction is a new document that refers to the old one."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class ImmutableDocument(Exception):
    """An issued document or a ledger entry cannot be changed or deleted."""


class Invoice(models.Model):
    """A bill for an account and a period of whole days, or a credit note
    cancelling one. A HELD bill waits for an agent and has no number yet."""

    class Kind(models.TextChoices):
        INVOICE = "INVOICE", _("invoice")
        SETTLEMENT = "SETTLEMENT", _("settlement")
        FINAL = "FINAL", _("final bill")
        CREDIT_NOTE = "CREDIT_NOTE", _("credit note")
        # A one-off order (a service or a device) invoiced when the customer
        # confirms it: no billing period of its own, so it neither counts as
        # the account's last bill nor takes a period's place.
        ORDER = "ORDER", _("order invoice")

    class Status(models.TextChoices):
        HELD = "HELD", _("held for review")
        ISSUED = "ISSUED", _("issued")
        CANCELLED = "CANCELLED", _("cancelled")
        DISCARDED = "DISCARDED", _("discarded")

    BILL_KINDS = (Kind.INVOICE, Kind.SETTLEMENT, Kind.FINAL)
    # What a customer pays: the consumption bills and the order invoices.
    PAYABLE_KINDS = (*BILL_KINDS, Kind.ORDER)
    LIVE_STATES = (Status.HELD, Status.ISSUED)

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="invoices", verbose_name=_("account"))
    number = models.CharField(_("number"), max_length=40, unique=True, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.HELD)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    net_total = models.DecimalField(_("net total"), max_digits=12, decimal_places=2)
    vat_total = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross_total = models.DecimalField(_("gross total"), max_digits=12, decimal_places=2)
    # Budget billing: the instalments of the period this settlement credits.
    instalments_total = models.DecimalField(
        _("instalments credited"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    cancels = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
        verbose_name=_("cancels"),
    )
    bill_run = models.ForeignKey(
        "billing.BillRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
        verbose_name=_("bill run"),
    )
    language = models.CharField(_("language"), max_length=2, default="de")
    # Snapshots taken when the bill is made, so the document never changes.
    customer_name = models.CharField(_("customer name"), max_length=300)
    customer_address = models.TextField(_("customer address"))
    customer_vat_id = models.CharField(_("customer VAT id"), max_length=20, blank=True)
    is_business = models.BooleanField(_("business customer"), default=False)
    supplier = models.JSONField(_("supplier data"), default=dict)
    # Supplies, tariffs, prices, gas factors, comparison with last year.
    details = models.JSONField(_("details"), default=dict, blank=True)
    estimated = models.BooleanField(_("based on estimated values"), default=False)
    hold_reasons = models.JSONField(_("reasons for holding"), default=list, blank=True)
    delivery_channel = models.CharField(_("delivery"), max_length=8, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="invoices/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("released by"),
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            # One live bill per account and period start: a second run, a
            # second worker or a retry cannot bill a period twice.
            models.UniqueConstraint(
                fields=["account", "period_start"],
                condition=Q(status__in=["HELD", "ISSUED"]) & ~Q(kind__in=["CREDIT_NOTE", "ORDER"]),
                name="one_live_bill_per_account_and_period",
            ),
            models.UniqueConstraint(
                fields=["cancels"],
                condition=Q(kind="CREDIT_NOTE"),
                name="one_credit_note_per_invoice",
            ),
            models.CheckConstraint(
                condition=Q(gross_total=Round(F("net_total") + F("vat_total"), 2)), name="gross_is_net_plus_vat"
            ),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="invoice_period_in_order"),
            models.CheckConstraint(
                condition=Q(status="HELD")
                | Q(status="DISCARDED")
                | (Q(number__isnull=False) & Q(issue_date__isnull=False)),
                name="issued_invoice_has_number_and_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="CREDIT_NOTE") | Q(cancels__isnull=False), name="credit_note_cancels_an_invoice"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "-period_start"]),
            models.Index(fields=["status", "issue_date"]),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} {self.account.number} {self.period_start}"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == self.Kind.CREDIT_NOTE

    @property
    def is_order(self) -> bool:
        return self.kind == self.Kind.ORDER

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD

    @property
    def is_issued(self) -> bool:
        return self.status == self.Status.ISSUED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def amount_due(self) -> Decimal:
        """What this document asks for (negative: what it pays back)."""
        return self.gross_total - self.instalments_total

    @property
    def api_kind(self) -> str:
        return {
            self.Kind.INVOICE: "invoice",
            self.Kind.SETTLEMENT: "settlement",
            self.Kind.FINAL: "final",
            self.Kind.CREDIT_NOTE: "credit_note",
            self.Kind.ORDER: "order",
        }[self.Kind(self.kind)]

    def delete(self, *args, **kwargs):
        if self.status != self.Status.HELD:
            raise ImmutableDocument("Issued invoices are never deleted; cancel them with a credit note.")
        return super().delete(*args, **kwargs)


class InvoiceLine(models.Model):
    """One priced line: a register's consumption in a price slice, a standing
    charge slice or a monthly fee. net_amount = quantity x unit_price, to the cent."""

    class Kind(models.TextChoices):
        CONSUMPTION = "CONSUMPTION", _("consumption")
        STANDING_CHARGE = "STANDING_CHARGE", _("standing charge")
        MONTHLY_FEE = "MONTHLY_FEE", _("monthly fee")
        ORDER_ITEM = "ORDER_ITEM", _("ordered item")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines", verbose_name=_("invoice"))
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=300)
    utility = models.CharField(_("utility"), max_length=12)
    supply_point = models.CharField(_("supply point"), max_length=40, blank=True)
    meter_serial = models.CharField(_("meter number"), max_length=40, blank=True)
    obis = models.CharField(_("register"), max_length=20, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=6)
    unit = models.CharField(_("unit"), max_length=12)
    unit_price = models.DecimalField(_("net unit price"), max_digits=14, decimal_places=6)
    net_amount = models.DecimalField(_("net amount"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    tariff_code = models.CharField(_("tariff"), max_length=40, blank=True)
    price_valid_from = models.DateField(_("prices valid from"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="one_line_per_position"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}: {self.net_amount}"


class InvoiceReading(models.Model):
    """A register's values at the bounds of the period and how each was obtained."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="readings", verbose_name=_("invoice"))
    supply_point = models.CharField(_("supply point"), max_length=40)
    meter_serial = models.CharField(_("meter number"), max_length=40)
    obis = models.CharField(_("register"), max_length=20)
    unit = models.CharField(_("unit"), max_length=4)
    start_at = models.DateTimeField(_("start"))
    start_value = models.DecimalField(_("start value"), max_digits=15, decimal_places=3)
    start_method = models.CharField(_("start value obtained"), max_length=20)
    start_source = models.CharField(_("start reading taken by"), max_length=10, blank=True)
    end_at = models.DateTimeField(_("end"))
    end_value = models.DecimalField(_("end value"), max_digits=15, decimal_places=3)
    end_method = models.CharField(_("end value obtained"), max_length=20)
    end_source = models.CharField(_("end reading taken by"), max_length=10, blank=True)
    consumption = models.DecimalField(_("consumption"), max_digits=15, decimal_places=3)
    # Gas: the billed kWh from m³ x state number x calorific value.
    state_number = models.DecimalField(_("state number"), max_digits=6, decimal_places=4, null=True, blank=True)
    calorific_value = models.DecimalField(_("calorific value"), max_digits=6, decimal_places=3, null=True, blank=True)
    billed_quantity = models.DecimalField(_("billed quantity"), max_digits=15, decimal_places=3)
    billed_unit = models.CharField(_("billed unit"), max_length=4)
    previous_year_consumption = models.DecimalField(
        _("same period last year"), max_digits=15, decimal_places=3, null=True, blank=True
    )

    class Meta:
        verbose_name = _("reading on an invoice")
        verbose_name_plural = _("readings on invoices")

    def __str__(self) -> str:
        return f"{self.meter_serial} {self.obis}: {self.start_value} → {self.end_value}"


class LedgerEntry(models.Model):
    """One booking on an account: positive = the customer owes more, negative
    = the customer owes less. The balance is the sum of the ledger, always.
    `key` makes every booking idempotent: the same event books once."""

    class Kind(models.TextChoices):
        INVOICE = "INVOICE", _("invoice")
        CREDIT_NOTE = "CREDIT_NOTE", _("credit note")
        INSTALMENT = "INSTALMENT", _("instalment")
        INSTALMENT_CREDIT = "INSTALMENT_CREDIT", _("instalments credited")
        PAYMENT = "PAYMENT", _("payment")
        PAYMENT_RETURN = "PAYMENT_RETURN", _("returned payment")
        FEE = "FEE", _("fee")
        INTEREST = "INTEREST", _("interest")
        REFUND = "REFUND", _("refund")
        WRITE_OFF = "WRITE_OFF", _("write-off")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    booked_on = models.DateField(_("booked on"))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
        verbose_name=_("invoice"),
    )
    text = models.CharField(_("text"), max_length=200)
    reference = models.CharField(_("document number"), max_length=60, blank=True)
    key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["account", "booked_on", "id"])]

    def __str__(self) -> str:
        return f"{self.account.number} {self.booked_on} {self.get_kind_display()} {self.amount}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableDocument("Ledger entries are never changed; book a new entry.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument("Ledger entries are never deleted; book a new entry.")


class Instalment(models.Model):
    """A budget-billing instalment (Abschlag) falling due on a date; booked on
    the ledger as a debit and credited by the settlement bill of its period."""

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="instalments", verbose_name=_("account")
    )
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    ledger_entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="instalment", verbose_name=_("ledger entry")
    )
    settled_by = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settled_instalments",
        verbose_name=_("settled by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        constraints = [
            models.UniqueConstraint(fields=["account", "due_date"], name="one_instalment_per_account_and_date"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.due_date}: {self.amount}"


class LedgerClearing(models.Model):
    """Part of a credit entry (payment, credit note, instalment credit)
    settling part of a debit entry (invoice, instalment, fee). An entry's open
    amount is its amount minus its clearings that were not reversed; a
    returned direct debit reverses its payment's clearings."""

    debit = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, related_name="debit_clearings", verbose_name=_("settled item")
    )
    credit = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, related_name="credit_clearings", verbose_name=_("settled by")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("clearing")
        verbose_name_plural = _("clearings")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="clearing_positive")]
        indexes = [models.Index(fields=["debit"]), models.Index(fields=["credit"])]

    def __str__(self) -> str:
        return f"{self.credit_id} → {self.debit_id}: {self.amount}"
