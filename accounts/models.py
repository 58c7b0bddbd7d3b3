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
