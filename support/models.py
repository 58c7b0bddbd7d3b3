"""Customer service: help centre articles, tickets with queues and SLAs, the
assistant's conversations."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Account, Customer


class Topic(models.TextChoices):
    """What a question or ticket is about; the classifier predicts these, queues route by them."""

    BILLING = "billing", _("Bills")
    PAYMENTS = "payments", _("Payments")
    METER = "meter", _("Meters and reads")
    TARIFF = "tariff", _("Tariffs and prices")
    MOVING = "moving", _("Moving")
    OUTAGE = "outage", _("Outages")
    BANK_DETAILS = "bank_details", _("Bank details")
    COMPLAINT = "complaint", _("Complaint")
    GENERAL = "general", _("General")


class FaqCategory(models.Model):
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("FAQ category")
        verbose_name_plural = _("FAQ categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_de


class FaqArticle(models.Model):
    """A help centre article in German and English; the body is plain text in paragraphs."""

    category = models.ForeignKey(
        FaqCategory, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title_de = models.CharField(_("title (German)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_de = models.TextField(_("text (German)"))
    body_en = models.TextField(_("text (English)"))
    keywords_de = models.CharField(_("keywords (German)"), max_length=300, blank=True)
    keywords_en = models.CharField(_("keywords (English)"), max_length=300, blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("FAQ article")
        verbose_name_plural = _("FAQ articles")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_en if translation.get_language() == "en" else self.title_de

    @property
    def body(self) -> str:
        return self.body_en if translation.get_language() == "en" else self.body_de


class Queue(models.Model):
    """Where tickets wait for agents. Agents see the queues of their groups;
    supervisors with "view all queues" see every queue."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    topics = models.JSONField(
        _("topics"),
        default=list,
        blank=True,
        help_text=_('Tickets about these topics land in this queue, e.g. ["billing", "tariff"].'),
    )
    members = models.ManyToManyField(
        "auth.Group", blank=True, related_name="support_queues", verbose_name=_("member groups")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        permissions = [("view_all_queues", _("Can see every ticket queue"))]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_de


class TicketKind(models.TextChoices):
    INQUIRY = "INQUIRY", _("Inquiry")
    COMPLAINT = "COMPLAINT", _("Complaint")
    BILLING_DISPUTE = "BILLING_DISPUTE", _("Billing dispute")
    METER_PROBLEM = "METER_PROBLEM", _("Meter problem")
    MOVE = "MOVE", _("Move")
    PAYMENT_PLAN_REQUEST = "PAYMENT_PLAN_REQUEST", _("Payment plan request")


class TicketPriority(models.TextChoices):
    LOW = "LOW", _("Low")
    NORMAL = "NORMAL", _("Normal")
    HIGH = "HIGH", _("High")
    URGENT = "URGENT", _("Urgent")


class SlaRule(models.Model):
    """Due times in business hours; the most specific active rule for a ticket's
    kind and priority wins (blank matches any)."""

    kind = models.CharField(_("ticket kind"), max_length=20, choices=TicketKind.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=TicketPriority.choices, blank=True)
    first_response_business_hours = models.PositiveIntegerField(_("first response within (business hours)"))
    resolution_business_hours = models.PositiveIntegerField(_("resolution within (business hours)"))
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("SLA rule")
        verbose_name_plural = _("SLA rules")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "priority"], condition=Q(is_active=True), name="one_active_sla_rule_per_kind_priority"
            ),
            models.CheckConstraint(
                condition=Q(first_response_business_hours__gte=1)
                & Q(resolution_business_hours__gte=models.F("first_response_business_hours")),
                name="sla_resolution_not_before_first_response",
            ),
        ]

    def __str__(self) -> str:
        kind = self.get_kind_display() or _("any kind")
        priority = self.get_priority_display() or _("any priority")
        return f"{kind} / {priority}"


class BusinessHours(models.Model):
    """Opening hours of the service team per weekday (0 = Monday). Without any
    row, Monday to Friday 08:00-18:00 applies."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, unique=True)
    opens = models.TimeField(_("opens"), default=datetime.time(8, 0))
    closes = models.TimeField(_("closes"), default=datetime.time(18, 0))

    class Meta:
        verbose_name = _("business hours")
        verbose_name_plural = _("business hours")
        constraints = [models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="closes_after_opens")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class SupportSettings(models.Model):
    """Customer service rules, one row (pk 1); `SupportSettings.current()` creates it."""

    support_email = models.EmailField(_("support e-mail address"), default="service@stadtwerke.example")
    time_zone = models.CharField(_("time zone"), max_length=40, default="Europe/Berlin")
    holiday_state = models.CharField(
        _("federal state for holidays"),
        max_length=2,
        blank=True,
        default="",
        help_text=_("Two-letter code such as BE or BY; blank counts national holidays only."),
    )
    complaint_deadline_days = models.PositiveSmallIntegerField(_("complaint deadline (days)"), default=28)
    escalate_before_deadline_days = models.PositiveSmallIntegerField(
        _("escalate complaints this many days before the deadline"), default=3
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("support settings")
        verbose_name_plural = _("support settings")

    def __str__(self) -> str:
        return str(_("Support settings"))

    @classmethod
    def current(cls) -> "SupportSettings":
        current, _created = cls.objects.get_or_create(pk=1)
        return current


class Ticket(models.Model):
    Kind = TicketKind
    Priority = TicketPriority

    class Channel(models.TextChoices):
        PORTAL = "PORTAL", _("Portal")
        EMAIL = "EMAIL", _("E-mail")
        PHONE = "PHONE", _("Phone")

    class Status(models.TextChoices):
        NEW = "NEW", _("New")
        OPEN = "OPEN", _("Open")
        WAITING_FOR_CUSTOMER = "WAITING_FOR_CUSTOMER", _("Waiting for customer")
        RESOLVED = "RESOLVED", _("Resolved")
        CLOSED = "CLOSED", _("Closed")

    class Resolution(models.TextChoices):
        SOLVED = "SOLVED", _("Solved")
        REJECTED = "REJECTED", _("Rejected")
        DUPLICATE = "DUPLICATE", _("Merged as duplicate")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_FOR_CUSTOMER)

    reference = models.CharField(_("reference"), max_length=20, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("customer")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices, default=TicketKind.INQUIRY)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=10, choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("queue"))
    topic = models.CharField(_("topic"), max_length=30, choices=Topic.choices, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    sender_email = models.EmailField(_("sender e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=2, default="de")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    sla_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    legal_deadline = models.DateField(_("legal deadline"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalation_reason = models.CharField(_("escalation reason"), max_length=200, blank=True)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution.choices, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged", verbose_name=_("merged into")
    )
    disputed_invoice = models.ForeignKey(
        "billing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
        verbose_name=_("disputed invoice"),
    )
    csat_score = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True)
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["status", "sla_due_at"]),
            models.Index(fields=["queue", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(csat_score__isnull=True) | (Q(csat_score__gte=1) & Q(csat_score__lte=5)),
                name="csat_score_one_to_five",
            ),
        ]
        permissions = [
            ("work_ticket", _("Can reply to, assign and resolve tickets")),
            ("view_ticket_reports", _("Can see customer service reports")),
            ("view_escalations", _("Can see escalated tickets")),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class TicketMessage(models.Model):
    class AuthorKind(models.TextChoices):
        CUSTOMER = "CUSTOMER", _("Customer")
        AGENT = "AGENT", _("Agent")
        INTERNAL_NOTE = "INTERNAL_NOTE", _("Internal note")
        SYSTEM = "SYSTEM", _("System")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages", verbose_name=_("ticket"))
    author_kind = models.CharField(_("author"), max_length=14, choices=AuthorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    body = models.TextField(_("text"))
    email_message_id = models.CharField(_("e-mail Message-ID"), max_length=250, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")

    def __str__(self) -> str:
        return f"{self.ticket.reference} {self.get_author_kind_display()}"

    @property
    def is_visible_to_customer(self) -> bool:
        return self.author_kind in (self.AuthorKind.CUSTOMER, self.AuthorKind.AGENT)


class TicketAttachment(models.Model):
    message = models.ForeignKey(
        TicketMessage, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    file = models.FileField(_("file"), upload_to="support/attachments/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100, default="application/octet-stream")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename


class CannedReply(models.Model):
    """A prepared answer; placeholders {customer_name}, {ticket_reference} and {agent_name}."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    body_de = models.TextField(_("text (German)"))
    body_en = models.TextField(_("text (English)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self) -> str:
        return self.title

    def body_in(self, language: str) -> str:
        return self.body_en if language == "en" else self.body_de


class AssistantConversation(models.Model):
    """A question asked in the portal and how the assistant answered it."""

    class AnsweredWith(models.TextChoices):
        DATA = "DATA", _("the customer's data")
        FAQ = "FAQ", _("help articles")
        NONE = "NONE", _("no answer")

    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="assistant_conversations", verbose_name=_("customer")
    )
    question = models.TextField(_("question"))
    language = models.CharField(_("language"), max_length=2, default="de")
    intent = models.CharField(_("intent"), max_length=30, blank=True)
    topic = models.CharField(_("topic"), max_length=30, choices=Topic.choices, blank=True)
    answered_with = models.CharField(
        _("answered with"), max_length=4, choices=AnsweredWith.choices, default=AnsweredWith.NONE
    )
    answer_text = models.TextField(_("answer"), blank=True)
    faq_articles = models.ManyToManyField(
        FaqArticle, blank=True, related_name="conversations", verbose_name=_("suggested articles")
    )
    solved = models.BooleanField(_("solved"), null=True, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
        verbose_name=_("ticket"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("assistant conversation")
        verbose_name_plural = _("assistant conversations")

    def __str__(self) -> str:
        return f"{self.customer} {self.question[:40]}"
