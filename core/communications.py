"""Multi-channel messages to people, recorded in the outbox.

One call, `message_send`, renders a template in the recipient's language,
records the message in the outbox and hands delivery to a Celery task after
the surrounding transaction commits. E-mail goes through Django's mail
backend; SMS and letters go through providers that only log until a real
provider is configured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from celery import shared_task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

from core import clock
from core.models import Channel, OutboxAttachment, OutboxMessage

logger = logging.getLogger(__name__)


class NoAddressForChannel(Exception):
    """The recipient has no address for the requested channel."""


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to; `about` is the model row the outbox files it under."""

    name: str
    language: str
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    about: models.Model | None = None

    def address_for(self, channel: str) -> str:
        address = {
            Channel.EMAIL: self.email,
            Channel.SMS: self.phone,
            Channel.LETTER: self.postal_address,
        }[Channel(channel)]
        if not address:
            raise NoAddressForChannel(f"{self.name} has no address for {channel}")
        return address


class SupportsRecipient(Protocol):
    def as_recipient(self) -> Recipient: ...


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass
class RenderedMessage:
    subject: str
    body: str
    extra: dict[str, Any] = field(default_factory=dict)


def message_render(*, template: str, language: str, context: dict[str, Any]) -> RenderedMessage:
    """Render `messages/<template>_subject.txt` and `_body.txt` in `language`."""
    with translation.override(language):
        full_context = {"company_name": settings.COMPANY_NAME, "site_url": settings.SITE_URL, **context}
        subject = render_to_string(f"messages/{template}_subject.txt", full_context).strip()
        body = render_to_string(f"messages/{template}_body.txt", full_context).strip() + "\n"
    return RenderedMessage(subject=" ".join(subject.split()), body=body)


def message_send(
    *,
    recipient: Recipient,
    template: str,
    context: dict[str, Any],
    channel: str = Channel.EMAIL,
    attachments: list[Attachment] | None = None,
) -> OutboxMessage:
    """Record a message (and its attachments) in the outbox and deliver it after commit."""
    rendered = message_render(template=template, language=recipient.language, context=context)
    about = recipient.about
    message = OutboxMessage.objects.create(
        recipient_type=ContentType.objects.get_for_model(about) if about is not None else None,
        recipient_id=about.pk if about is not None else None,
        channel=channel,
        template=template,
        language=recipient.language,
        to_address=recipient.address_for(channel),
        subject=rendered.subject,
        body=rendered.body,
    )
    for attachment in attachments or []:
        stored = OutboxAttachment(message=message, filename=attachment.filename, content_type=attachment.content_type)
        stored.file.save(attachment.filename, ContentFile(attachment.content), save=True)
    transaction.on_commit(lambda: deliver_message.delay(message.pk))
    return message


class LoggingProvider:
    """Stands in for an SMS or letter provider until one is configured."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, message: OutboxMessage) -> None:
        logger.info("%s to %s (not configured, logged only): %s", self.channel, message.to_address, message.subject)


def _provider_for(channel: str) -> Any:
    path = {Channel.SMS: settings.SMS_PROVIDER, Channel.LETTER: settings.LETTER_PROVIDER}[Channel(channel)]
    if not path:
        return LoggingProvider(channel)
    return import_string(path)()


def message_deliver(*, message_id: int) -> OutboxMessage:
    """Deliver one outbox message; a second call for a sent message does nothing.

    A failure is recorded on the message (status FAILED, the error) and then
    raised, so the task can retry.
    """
    failure: Exception | None = None
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message_id)
        if message.status == OutboxMessage.Status.SENT:
            return message
        message.attempts += 1
        try:
            _send(message)
        except Exception as exc:  # noqa: BLE001 - any delivery error is recorded, then raised
            failure = exc
            message.status = OutboxMessage.Status.FAILED
            message.error = f"{type(exc).__name__}: {exc}"
        else:
            message.status = OutboxMessage.Status.SENT
            message.sent_at = clock.now()
            message.error = ""
        message.save(update_fields=["status", "sent_at", "error", "attempts"])
    if failure is not None:
        raise failure
    return message


@shared_task(name="core.tasks.deliver_message", bind=True, max_retries=5, default_retry_delay=60)
def deliver_message(self, message_id: int) -> None:
    """Deliver one outbox message (idempotent; retried on failure)."""
    try:
        message_deliver(message_id=message_id)
    except Exception as exc:
        raise self.retry(exc=exc) from exc


def _send(message: OutboxMessage) -> None:
    if message.channel == Channel.EMAIL:
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to_address],
            headers={"X-Portal-Message": str(message.pk)},
        )
        for attachment in message.attachments.all():
            with attachment.file.open("rb") as handle:
                email.attach(attachment.filename, handle.read(), attachment.content_type)
        email.send()
    else:
        _provider_for(message.channel).send(message)
