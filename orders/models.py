"""One-off orders: the catalogue of services and goods (Product), the
appointment slots a service offers (AppointmentSlot), and the orders with
their priced lines (Order, OrderLine). Confirming an order issues its
invoice at once (billing's ORDER invoice); a cancellation is a credit note
and a late-cancellation fee a new order, never an edit of the old one."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from billing.models import Invoice
from meters.models import SupplyPoint, Utility


class VatCategory(models.TextChoices):
    """Resolved through supply's dated VAT table on the invoice date (see orders.pricing)."""

    STANDARD = "STANDARD", _("standard rate")
    REDUCED = "REDUCED", _("reduced rate")


class Product(models.Model):
    """A service or device sold once, at a net price per unit."""

    class OrderedBy(models.TextChoices):
        CUSTOMER = "CUSTOMER", _("customers in the portal (and agents)")
        AGENT = "AGENT", _("agents only")

    class Rule(models.TextChoices):
        NONE = "", _("none")
        REQUIRES_DISCONNECTION = "REQUIRES_DISCONNECTION", _("only for accounts with an approved disconnection")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_de = models.TextField(_("description (German)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    utility = models.CharField(
        _("utility"), max_length=12, choices=Utility.choices, blank=True, help_text=_("Empty: for any supply.")
    )
    net_price = models.DecimalField(_("net price"), max_digits=12, decimal_places=4)
    unit = models.CharField(_("unit"), max_length=12, default="pc", help_text=_('e.g. "pc" or "h"'))
    vat_category = models.CharField(
        _("VAT category"), max_length=8, choices=VatCategory.choices, default=VatCategory.STANDARD
    )
    ordered_by = models.CharField(
        _("who may order"), max_length=8, choices=OrderedBy.choices, default=OrderedBy.CUSTOMER
    )
    needs_appointment = models.BooleanField(_("needs an appointment"), default=False)
    lead_time_days = models.PositiveSmallIntegerField(
        _("lead time (days)"), default=0, help_text=_("The earliest appointment is this many days after ordering.")
    )
    cancellable = models.BooleanField(_("can be cancelled"), default=True)
    cancel_until_hours = models.PositiveIntegerField(
        _("cancellable until (hours before the appointment)"),
        default=24,
        help_text=_("Without an appointment: until the order is completed."),
    )
    quote_only = models.BooleanField(
        _("quote only"), default=False, help_text=_("Cannot be confirmed online: an agent prepares the quote.")
    )
    rule = models.CharField(_("rule"), max_length=30, choices=Rule.choices, blank=True, default=Rule.NONE)
    late_cancellation_fee = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fee for a late cancellation"),
        help_text=_("Charged as a new order when an agent cancels after the cancellation deadline."),
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position in the catalogue"), default=0)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(condition=Q(net_price__gte=0), name="product_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    @property
    def name(self) -> str:
        return self.name_in(translation.get_language() or "de")

    @property
    def description(self) -> str:
        return self.description_en if (translation.get_language() or "de").startswith("en") else self.description_de

    def name_in(self, language: str) -> str:
        return self.name_en if language.startswith("en") and self.name_en else self.name_de

    @property
    def agent_only(self) -> bool:
        return self.ordered_by == self.OrderedBy.AGENT


class AppointmentSlot(models.Model):
    """A window in which a technician can do a product's service; `capacity` orders fit."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="slots", verbose_name=_("product"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    active = models.BooleanField(_("bookable"), default=True)

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
            models.UniqueConstraint(fields=["product", "starts_at"], name="one_slot_per_product_and_start"),
        ]
        indexes = [models.Index(fields=["product", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.product.code} {self.starts_at:%Y-%m-%d %H:%M}"


class Order(models.Model):
    """An account's order of one product (with an optional supply point and
    appointment). QUOTED → CONFIRMED (invoiced) → SCHEDULED → COMPLETED, or CANCELLED."""

    class Status(models.TextChoices):
        QUOTED = "QUOTED", _("quoted")
        CONFIRMED = "CONFIRMED", _("confirmed")
        SCHEDULED = "SCHEDULED", _("scheduled")
        COMPLETED = "COMPLETED", _("completed")
        CANCELLED = "CANCELLED", _("cancelled")

    class Channel(models.TextChoices):
        PORTAL = "PORTAL", _("portal")
        AGENT = "AGENT", _("agent")
        API = "API", _("API")
        SYSTEM = "SYSTEM", _("system")

    OPEN_STATES = (Status.CONFIRMED, Status.SCHEDULED)

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="orders", verbose_name=_("account"))
    supply_point = models.ForeignKey(
        SupplyPoint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("supply point"),
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="orders", verbose_name=_("product"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUOTED)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    slot = models.ForeignKey(
        AppointmentSlot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("appointment"),
    )
    quoted_on = models.DateField(_("quoted on"))
    net_total = models.DecimalField(_("net total"), max_digits=12, decimal_places=2)
    vat_total = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross_total = models.DecimalField(_("gross total"), max_digits=12, decimal_places=2)
    # What the customer was shown: terms, withdrawal right, next steps (texts in their language).
    quote = models.JSONField(_("quote"), default=dict, blank=True)
    # The customer asked for the service to start within the withdrawal period (BGB §356(4)).
    express_start = models.BooleanField(_("start before the withdrawal period ends"), default=False)
    invoice = models.OneToOneField(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order",
        verbose_name=_("invoice"),
    )
    fee_for = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="fees",
        verbose_name=_("fee for the cancelled order"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("completed by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            # A retried request (same key) finds the first order instead of placing a second.
            models.UniqueConstraint(fields=["account", "idempotency_key"], name="one_order_per_account_and_key"),
            models.CheckConstraint(
                condition=Q(gross_total=Round(F("net_total") + F("vat_total"), 2)), name="order_gross_is_net_plus_vat"
            ),
            models.CheckConstraint(
                condition=Q(status="QUOTED")
                | Q(status="CANCELLED", confirmed_at__isnull=True)
                | Q(invoice__isnull=False),
                name="confirmed_order_has_invoice",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["account", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.account.number} #{self.pk} {self.product.code}"

    @property
    def is_quoted(self) -> bool:
        return self.status == self.Status.QUOTED

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def api_status(self) -> str:
        return self.status.lower()


class OrderLine(models.Model):
    """A priced line of an order: net = quantity x unit price, to the cent (half up)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    position = models.PositiveSmallIntegerField(_("position"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product"))
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=12)
    unit_price = models.DecimalField(_("net unit price"), max_digits=12, decimal_places=4)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    net_amount = models.DecimalField(_("net amount"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="one_order_line_per_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.description}: {self.net_amount}"
