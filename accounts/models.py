"""Customers, their accounts and SEPA mandates. Every change is kept as history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from core.communications import Recipient


class CustomerType(models.TextChoices):
    HOUSEHOLD = "HOUSEHOLD", _("Private person")
    BUSINESS = "BUSINESS", _("Business")


class Language(models.TextChoices):
    DE = "de", _("German")
    EN = "en", _("English")


class PaymentMethod(models.TextChoices):
    SEPA = "SEPA", _("SEPA direct debit")
    TRANSFER = "TRANSFER", _("Bank transfer")


class Customer(models.Model):
    """A person or business that we supply."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        verbose_name=_("login"),
    )
    customer_type = models.CharField(_("customer type"), max_length=10, choices=CustomerType.choices)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    company_name = models.CharField(_("company"), max_length=200, blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), unique=True)
    phone = PhoneNumberField(_("phone"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DE)
    external_ref = models.CharField(_("external reference"), max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set when an admin erased the customer's personal data; what the law keeps
    # (invoices, bookings) is purged when its retention period is over.
    erased_at = models.DateTimeField(_("personal data erased at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_type="HOUSEHOLD") | ~Q(company_name=""),
                name="business_customer_has_company",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        # Stored lower-case so that the unique index also finds "Erika@…".
        self.email = (self.email or "").strip().lower()

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        if self.customer_type == CustomerType.BUSINESS:
            return self.company_name
        return self.full_name

    @property
    def is_business(self) -> bool:
        return self.customer_type == CustomerType.BUSINESS

    def as_recipient(self) -> Recipient:
        return Recipient(
            name=self.display_name,
            language=self.language,
            email=self.email,
            phone=str(self.phone) if self.phone else "",
            about=self,
        )


class Account(models.Model):
    """A billing account: one customer may hold several (e.g. two homes)."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        CLOSED = "CLOSED", _("closed")

    number = models.CharField(_("account number"), max_length=12, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="accounts", verbose_name=_("customer")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    street = models.CharField(_("street"), max_length=200)
    house_number = models.CharField(_("house number"), max_length=20)
    address_extra = models.CharField(_("address line 2"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, db_index=True)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE")
    payment_method = models.CharField(_("payment method"), max_length=10, choices=PaymentMethod.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.number

    @property
    def billing_address_lines(self) -> list[str]:
        lines = [f"{self.street} {self.house_number}"]
        if self.address_extra:
            lines.append(self.address_extra)
        lines.append(f"{self.postcode} {self.city}")
        if self.country != "DE":
            lines.append(self.country)
        return lines

    @property
    def pays_by_direct_debit(self) -> bool:
        return self.payment_method == PaymentMethod.SEPA


class SepaMandate(models.Model):
    """A SEPA core direct-debit mandate for one account."""

    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("active")
        REVOKED = "REVOKED", _("revoked")

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("account"))
    reference = models.CharField(_("mandate reference"), max_length=35, unique=True)
    creditor_id = models.CharField(_("creditor identifier"), max_length=35)
    account_holder = models.CharField(_("account holder"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    signed_date = models.DateField(_("date of signature"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The day from which a revoked mandate is no longer used for new collections.
    revoked_on = models.DateField(_("revoked from"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(status="ACTIVE"), name="one_active_mandate_per_account"
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} •••• •••• {self.iban[-4:]}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


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


class Requester(models.TextChoices):
    """On whose request a change was made."""

    CUSTOMER = "CUSTOMER", _("the customer")
    AGENT = "AGENT", _("an agent")
    REPRESENTATIVE = "REPRESENTATIVE", _("an authorised representative")
    SYSTEM = "SYSTEM", _("the system")


class ChangeChannel(models.TextChoices):
    """How the request for a change reached us."""

    PORTAL = "PORTAL", _("portal")
    PHONE = "PHONE", _("phone")
    LETTER = "LETTER", _("letter")
    EMAIL = "EMAIL", _("e-mail")
    API = "API", _("API")


class Representative(models.Model):
    """Someone who may act for the customer of an account, within scopes and until a date."""

    class Kind(models.TextChoices):
        CARER = "CARER", _("carer")
        POWER_OF_ATTORNEY = "POWER_OF_ATTORNEY", _("power of attorney")
        PROPERTY_MANAGER = "PROPERTY_MANAGER", _("landlord or property manager")
        BUSINESS_CONTACT = "BUSINESS_CONTACT", _("business contact person")

    class Scope(models.TextChoices):
        SEE = "SEE", _("see the account")
        CHANGE_CONTACT = "CHANGE_CONTACT", _("change contact data")
        END_SUPPLY = "END_SUPPLY", _("end supply")

    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="representatives", verbose_name=_("account")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    scopes = models.JSONField(_("may"), default=list, blank=True)
    # Inclusive: the representative may act on this day, not after it.
    valid_until = models.DateField(_("valid until"), null=True, blank=True, help_text=_("Empty: until revoked."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("authorised representative")
        verbose_name_plural = _("authorised representatives")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    @property
    def scope_labels(self) -> list[str]:
        labels = dict(self.Scope.choices)
        return [str(labels[scope]) for scope in self.scopes if scope in labels]


class CustomerChange(models.Model):
    """One field of a customer or an account changed: the audit trail.

    `account` is empty for the customer's own fields (name, phone, e-mail,
    language), which hold for all their accounts. `old` and `new` are the
    values as shown to people (an IBAN masked)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="changes", verbose_name=_("customer"))
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="changes", verbose_name=_("account")
    )
    at = models.DateTimeField(_("at"))
    field = models.CharField(_("field"), max_length=40)
    old = models.TextField(_("old value"), blank=True)
    new = models.TextField(_("new value"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    requested_by = models.CharField(_("requested by"), max_length=14, choices=Requester.choices)
    representative = models.ForeignKey(
        Representative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("representative"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=ChangeChannel.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )

    class Meta:
        verbose_name = _("customer change")
        verbose_name_plural = _("customer changes")
        indexes = [models.Index(fields=["customer", "at", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(requested_by="REPRESENTATIVE") | Q(representative__isnull=False),
                name="customer_change_names_representative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.field}: {self.old} -> {self.new}"


class PendingChange(models.Model):
    """A change that waits: a business name or account holder change for a
    second staff user's approval (four-eyes), an e-mail change for the
    confirmation from the new address."""

    class Kind(models.TextChoices):
        BUSINESS_NAME = "BUSINESS_NAME", _("business name")
        HOLDER = "HOLDER", _("account holder")
        EMAIL = "EMAIL", _("e-mail address")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("waiting")
        APPROVED = "APPROVED", _("approved")
        REJECTED = "REJECTED", _("rejected")
        CANCELLED = "CANCELLED", _("replaced")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="pending_changes", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    old = models.JSONField(_("old values"), default=dict)
    new = models.JSONField(_("new values"), default=dict)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    requested_by = models.CharField(_("requested by"), max_length=14, choices=Requester.choices)
    representative = models.ForeignKey(
        Representative, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=8, choices=ChangeChannel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("pending change")
        verbose_name_plural = _("pending changes")
        permissions = [("approve_pendingchange", _("Can approve or reject another user's pending change"))]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind"], condition=Q(status="PENDING"), name="one_pending_change_per_kind"
            )
        ]
        indexes = [models.Index(fields=["status", "requested_at", "id"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.status}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING
