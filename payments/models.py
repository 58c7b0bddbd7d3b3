"""Money in and out: payments, online checkouts, refunds, the providers'
webhook log and settings, SEPA direct-debit collections and bank statements.

A payment is booked on the account ledger once (its `ledger_entry`); the
ledger stays the only source of the balance, and which bills a payment
settled is read from the ledger's clearings."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account, SepaMandate
from billing.models import Invoice, LedgerEntry


class PaymentMethod(models.TextChoices):
    CARD = "CARD", _("card")
    SEPA_DIRECT_DEBIT = "SEPA_DIRECT_DEBIT", _("SEPA direct debit")
    SEPA_VIA_STRIPE = "SEPA_VIA_STRIPE", _("SEPA direct debit (online)")
    TRANSFER = "TRANSFER", _("bank transfer")
    CASH = "CASH", _("cash")
    CHEQUE = "CHEQUE", _("cheque")
    EXTERNAL = "EXTERNAL", _("external")


class PaymentSource(models.TextChoices):
    API = "API", _("API")
    BANK = "BANK", _("bank statement")
    MANUAL = "MANUAL", _("recorded by an agent")
    CHECKOUT = "CHECKOUT", _("online payment")
    SEPA = "SEPA", _("SEPA direct debit")


class Payment(models.Model):
    """Money received (or expected, while PENDING) for an account. Booked on
    the ledger as a PAYMENT credit when it succeeds; a partial refund is a
    Refund row, a full one sets REFUNDED."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("pending")
        SUCCEEDED = "SUCCEEDED", _("succeeded")
        FAILED = "FAILED", _("failed")
        RETURNED = "RETURNED", _("returned")
        REFUNDED = "REFUNDED", _("refunded")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments", verbose_name=_("account"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Which provider or channel brought it: "stripe", "sandbox", "bank", "manual", "api".
    provider = models.CharField(_("provider"), max_length=30)
    # The provider's id for the money movement, e.g. a Stripe PaymentIntent id.
    provider_ref = models.CharField(_("provider reference"), max_length=120, blank=True)
    # The payer's or bank's reference (API reference, bank entry reference).
    reference = models.CharField(_("reference"), max_length=140, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=PaymentSource.choices)
    received_on = models.DateField(_("received on"))
    invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("invoice named"),
    )
    checkout = models.ForeignKey(
        "CheckoutSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("online checkout"),
    )
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payment",
        verbose_name=_("ledger entry"),
    )
    # The PAYMENT_RETURN debit booked when the payment came back (SEPA return, chargeback).
    return_entry = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returned_payment",
        verbose_name=_("return entry"),
    )
    return_reason_code = models.CharField(_("return reason"), max_length=4, blank=True)
    returned_on = models.DateField(_("returned on"), null=True, blank=True)
    failure_message = models.CharField(_("failure reason"), max_length=300, blank=True)
    payer_name = models.CharField(_("payer"), max_length=140, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], condition=~Q(provider_ref=""), name="unique_payment_provider_ref"
            ),
            models.UniqueConstraint(
                fields=["source", "reference"], condition=~Q(reference=""), name="unique_payment_reference_per_source"
            ),
        ]
        indexes = [models.Index(fields=["account", "received_on", "id"])]

    def __str__(self) -> str:
        return f"{self.account.number} {self.received_on} {self.amount} {self.get_method_display()}"

    @property
    def is_succeeded(self) -> bool:
        return self.status == self.Status.SUCCEEDED


class CheckoutSession(models.Model):
    """One online payment attempt: the customer is sent to the provider's
    hosted page; the provider's events complete or fail it."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("open")
        COMPLETED = "COMPLETED", _("completed")
        EXPIRED = "EXPIRED", _("expired")
        FAILED = "FAILED", _("failed")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="checkout_sessions", verbose_name=_("account")
    )
    provider = models.CharField(_("provider"), max_length=30)
    provider_session_id = models.CharField(_("provider session id"), max_length=255, unique=True, null=True, blank=True)
    # The provider's id of the money movement (Stripe PaymentIntent), once known.
    provider_payment_ref = models.CharField(_("provider payment reference"), max_length=120, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    invoices = models.ManyToManyField(
        Invoice, blank=True, related_name="checkout_sessions", verbose_name=_("invoices paid")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    url = models.URLField(_("payment page"), max_length=2000, blank=True)
    failure_message = models.CharField(_("failure reason"), max_length=300, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("online checkout")
        verbose_name_plural = _("online checkouts")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="checkout_positive")]

    def __str__(self) -> str:
        return f"{self.account.number} {self.amount} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Refund(models.Model):
    """Money paid back: a credit balance to the IBAN on file (a SEPA credit
    transfer) or a card payment back through its provider. Booked as a
    REFUND debit on the ledger."""

    class Method(models.TextChoices):
        SEPA_TRANSFER = "SEPA_TRANSFER", _("bank transfer to the IBAN on file")
        CARD = "CARD", _("back to the card")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("pending")
        SUCCEEDED = "SUCCEEDED", _("succeeded")
        FAILED = "FAILED", _("failed")

    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds", verbose_name=_("payment")
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("account"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    method = models.CharField(_("method"), max_length=14, choices=Method.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(_("provider"), max_length=30, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=120, blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund",
        verbose_name=_("ledger entry"),
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    account_holder = models.CharField(_("account holder"), max_length=70, blank=True)
    # A bank transfer goes out in one pain.001 file, once.
    batch = models.ForeignKey(
        "RefundBatch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("credit-transfer file"),
    )
    settlement = models.ForeignKey(
        "Settlement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refunds",
        verbose_name=_("settlement after the final bill"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    failure_message = models.CharField(_("failure reason"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_ref"], condition=~Q(provider_ref=""), name="unique_refund_provider_ref"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account.number} {self.amount} {self.get_method_display()}"

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} •••• •••• {self.iban[-4:]}" if self.iban else ""


class RefundBatch(models.Model):
    """One pain.001 credit-transfer file of refunds to customers' IBANs."""

    class Status(models.TextChoices):
        CREATED = "CREATED", _("created")
        DOWNLOADED = "DOWNLOADED", _("downloaded")
        SENT = "SENT", _("sent by the bank")

    execution_date = models.DateField(_("execution date"))
    file = models.FileField(_("pain.001 file"), upload_to="sepa-refunds/", blank=True)
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CREATED)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    count = models.PositiveIntegerField(_("transfers"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("downloaded by"),
    )
    sent_at = models.DateTimeField(_("marked sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked sent by"),
    )

    class Meta:
        verbose_name = _("SEPA credit-transfer file")
        verbose_name_plural = _("SEPA credit-transfer files")
        indexes = [models.Index(fields=["execution_date", "id"])]

    def __str__(self) -> str:
        return f"{self.execution_date} {self.message_id}"


class Settlement(models.Model):
    """What happens to an account's balance after its final bill: a credit
    refunded (to the IBAN on file or back to the card), a debt collected or
    dunned; then the closing letter, the mandate revoked and the account
    closed. One per final bill; the daily run moves it on until DONE."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("settling")
        DONE = "DONE", _("settled, account closed")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("account")
    )
    final_invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="settlement", verbose_name=_("final bill")
    )
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    # The balance right after the final bill: positive = owed by the customer, negative = a credit.
    balance = models.DecimalField(_("balance after the final bill"), max_digits=12, decimal_places=2)
    refund_due_on = models.DateField(_("refund due by"))
    # Why the run could not go on by itself (e.g. a credit with no IBAN and no card on file).
    note = models.CharField(_("note for agents"), max_length=300, blank=True)
    letter = models.FileField(_("closing letter"), upload_to="closing-letters/%Y/%m/", blank=True)
    letter_sent_at = models.DateTimeField(_("closing letter sent at"), null=True, blank=True)
    mandate_revoked_at = models.DateTimeField(_("mandate revoked at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("account closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("settlement after the final bill")
        verbose_name_plural = _("settlements after the final bill")
        indexes = [models.Index(fields=["status", "refund_due_on", "id"])]

    def __str__(self) -> str:
        return f"{self.account.number} {self.final_invoice}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_credit(self) -> bool:
        return self.balance < 0

    @property
    def is_debt(self) -> bool:
        return self.balance > 0

    @property
    def credit(self) -> Decimal:
        return -self.balance if self.balance < 0 else Decimal("0.00")


class ProviderEvent(models.Model):
    """The webhook log: every event a provider sent, once per event id."""

    provider = models.CharField(_("provider"), max_length=30)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="one_event_per_provider_id")]
        indexes = [models.Index(fields=["received_at", "id"])]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"


class ProviderSettings(models.Model):
    """Admin-editable settings of one payment provider (secrets stay in the
    environment)."""

    provider = models.CharField(_("provider"), max_length=30, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    display_name = models.CharField(_("name shown to customers"), max_length=100, blank=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment provider settings")
        verbose_name_plural = _("payment provider settings")

    def __str__(self) -> str:
        return self.display_name or self.provider


class SepaBatch(models.Model):
    """One pain.008 collection file for one collection date."""

    class Status(models.TextChoices):
        CREATED = "CREATED", _("created")
        DOWNLOADED = "DOWNLOADED", _("downloaded")
        SUBMITTED = "SUBMITTED", _("submitted to the bank")

    collection_date = models.DateField(_("collection date"))
    file = models.FileField(_("pain.008 file"), upload_to="sepa/", blank=True)
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CREATED)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    count = models.PositiveIntegerField(_("collections"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("downloaded by"),
    )

    class Meta:
        verbose_name = _("SEPA collection file")
        verbose_name_plural = _("SEPA collection files")
        indexes = [models.Index(fields=["collection_date", "id"])]

    def __str__(self) -> str:
        return f"{self.collection_date} {self.message_id}"


class SepaCollection(models.Model):
    """One direct debit of an account on a collection date, covering some of
    its open ledger debits (invoices, instalments)."""

    class Status(models.TextChoices):
        PLANNED = "PLANNED", _("planned")
        PRE_NOTIFIED = "PRE_NOTIFIED", _("pre-notified")
        SUBMITTED = "SUBMITTED", _("submitted")
        CONFIRMED = "CONFIRMED", _("confirmed")
        RETURNED = "RETURNED", _("returned")
        CANCELLED = "CANCELLED", _("cancelled")

    class SequenceType(models.TextChoices):
        FIRST = "FRST", _("first")
        RECURRING = "RCUR", _("recurring")
        ONE_OFF = "OOFF", _("one-off")

    batch = models.ForeignKey(
        SepaBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="collections",
        verbose_name=_("collection file"),
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="sepa_collections", verbose_name=_("account")
    )
    mandate = models.ForeignKey(
        SepaMandate, on_delete=models.PROTECT, related_name="collections", verbose_name=_("mandate")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    collection_date = models.DateField(_("collection date"))
    sequence_type = models.CharField(
        _("sequence type"), max_length=4, choices=SequenceType.choices, default=SequenceType.RECURRING
    )
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True)
    ledger_entries = models.ManyToManyField(
        LedgerEntry, blank=True, related_name="sepa_collections", verbose_name=_("items collected")
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    pre_notified_at = models.DateTimeField(_("pre-notified at"), null=True, blank=True)
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sepa_collection",
        verbose_name=_("payment"),
    )
    return_reason_code = models.CharField(_("return reason"), max_length=4, blank=True)
    # The text on the debtor's statement of a collection asked for ahead of its file.
    remittance = models.CharField(_("remittance information"), max_length=140, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("SEPA collection")
        verbose_name_plural = _("SEPA collections")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="sepa_collection_positive")]
        indexes = [models.Index(fields=["collection_date", "status"])]

    def __str__(self) -> str:
        return f"{self.account.number} {self.collection_date} {self.amount}"


class BankStatement(models.Model):
    """An imported camt.053 statement; the same file twice is refused by its hash."""

    file = models.FileField(_("file"), upload_to="bank-statements/")
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    file_hash = models.CharField(_("SHA-256"), max_length=64, unique=True)
    statement_id = models.CharField(_("statement id"), max_length=35, blank=True)
    account_iban = models.CharField(_("our IBAN"), max_length=34, blank=True)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")

    def __str__(self) -> str:
        return self.statement_id or self.original_name


class BankTransaction(models.Model):
    """One entry of a bank statement: a credit transfer in, a direct-debit
    return, or something else; matched to an account (and invoice) or queued
    for an agent."""

    class Status(models.TextChoices):
        MATCHED = "MATCHED", _("matched")
        UNMATCHED = "UNMATCHED", _("unmatched")
        AMBIGUOUS = "AMBIGUOUS", _("ambiguous")
        ASSIGNED = "ASSIGNED", _("assigned by an agent")
        IGNORED = "IGNORED", _("ignored")
        RETURN_PROCESSED = "RETURN_PROCESSED", _("return processed")

    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("statement")
    )
    account_iban = models.CharField(_("our IBAN"), max_length=34, blank=True)
    # The bank's unique entry reference (AcctSvcrRef), or a stable digest of the entry without one.
    entry_ref = models.CharField(_("entry reference"), max_length=120)
    booking_date = models.DateField(_("booking date"))
    value_date = models.DateField(_("value date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    is_return = models.BooleanField(_("direct-debit return"), default=False)
    return_reason_code = models.CharField(_("return reason"), max_length=4, blank=True)
    counterparty_name = models.CharField(_("counterparty"), max_length=140, blank=True)
    counterparty_iban = models.CharField(_("counterparty IBAN"), max_length=34, blank=True)
    remittance = models.CharField(_("remittance information"), max_length=500, blank=True)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.UNMATCHED)
    matched_account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_transactions",
        verbose_name=_("account"),
    )
    matched_invoice = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_transactions",
        verbose_name=_("invoice"),
    )
    payment = models.OneToOneField(
        Payment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bank_transaction",
        verbose_name=_("payment"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank transaction")
        verbose_name_plural = _("bank transactions")
        constraints = [
            models.UniqueConstraint(fields=["account_iban", "entry_ref"], name="one_bank_transaction_per_entry"),
        ]
        indexes = [models.Index(fields=["status", "booking_date", "id"])]

    def __str__(self) -> str:
        return f"{self.booking_date} {self.amount} {self.counterparty_name}"
