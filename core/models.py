"""Kernel models: number sequences, the message outbox, API keys and the
notices other departments get of customer changes."""

import secrets

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberSequence(models.Model):
    """A gap-free counter (account numbers now, invoice series later).

    The next value is taken under a row lock inside the caller's transaction,
    so a rolled-back transaction gives its number back.
    """

    name = models.CharField(_("name"), max_length=50, unique=True)
    next_value = models.BigIntegerField(_("next value"))

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.name}: {self.next_value}"


class Channel(models.TextChoices):
    EMAIL = "EMAIL", _("E-mail")
    SMS = "SMS", _("SMS")
    LETTER = "LETTER", _("Letter")


class OutboxMessage(models.Model):
    """Every message the portal sends to a person, as it was sent."""

    class Status(models.TextChoices):
        QUEUED = "QUEUED", _("queued")
        SENT = "SENT", _("sent")
        FAILED = "FAILED", _("failed")

    recipient_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    recipient_id = models.PositiveBigIntegerField(null=True, blank=True)
    recipient = GenericForeignKey("recipient_type", "recipient_id")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=8)
    to_address = models.CharField(_("to"), max_length=500)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("body"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["recipient_type", "recipient_id", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.to_address}: {self.subject}"


class OutboxAttachment(models.Model):
    """A file sent with a message (e.g. a contract summary PDF), kept as sent."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    file = models.FileField(_("file"), upload_to="outbox/%Y/%m/")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class ApiKey(models.Model):
    """A key for an integration (meter head-end, accounting …), stored hashed."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    hashed_key = models.CharField(_("hashed key"), max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes


class DepartmentSubscription(models.Model):
    """Who hears of which kinds of customer change: a team's e-mail address,
    a back-office queue (by its code) or an outbound webhook."""

    class RecipientType(models.TextChoices):
        EMAIL = "EMAIL", _("team e-mail address")
        QUEUE = "QUEUE", _("back-office queue")
        WEBHOOK = "WEBHOOK", _("webhook URL")

    name = models.CharField(_("name"), max_length=100)
    kinds = models.JSONField(_("kinds of change"), default=list)
    recipient_type = models.CharField(_("recipient"), max_length=10, choices=RecipientType.choices)
    target = models.CharField(
        _("address, queue code or URL"),
        max_length=500,
        help_text=_("The team's e-mail address, the code of the queue, or the https URL of the webhook."),
    )
    language = models.CharField(
        _("language"), max_length=2, default="de", help_text=_("The language of notice e-mails.")
    )
    # Signs the webhook body; made when the subscription is created, shown to admins.
    secret = models.CharField(_("signing secret"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("department subscription")
        verbose_name_plural = _("department subscriptions")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.secret:
            self.secret = secrets.token_hex(32)
        super().save(*args, **kwargs)

    @property
    def is_webhook(self) -> bool:
        return self.recipient_type == self.RecipientType.WEBHOOK


class DepartmentDelivery(models.Model):
    """One change told to one subscription, with every attempt to deliver it."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("pending")
        DELIVERED = "DELIVERED", _("delivered")
        FAILED = "FAILED", _("failed")

    event_id = models.UUIDField(_("event id"), unique=True)
    subscription = models.ForeignKey(
        DepartmentSubscription, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("subscription")
    )
    kind = models.CharField(_("kind of change"), max_length=20)
    account_number = models.CharField(_("account number"), max_length=12, db_index=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    # Attempts since the delivery was last queued; the attempt log keeps them all.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("department delivery")
        verbose_name_plural = _("department deliveries")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.account_number} → {self.subscription}"

    @property
    def is_delivered(self) -> bool:
        return self.status == self.Status.DELIVERED


class DepartmentDeliveryAttempt(models.Model):
    """One try to deliver a department notice, as it went."""

    delivery = models.ForeignKey(
        DepartmentDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    attempted_at = models.DateTimeField(_("attempted at"))
    succeeded = models.BooleanField(_("succeeded"))
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.attempted_at:%Y-%m-%d %H:%M:%S}"
