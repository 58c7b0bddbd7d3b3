"""Reads of the kernel's tables."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import QuerySet

from core.models import OutboxMessage


def outbox_for(obj: models.Model) -> QuerySet[OutboxMessage]:
    """Messages filed under `obj` (e.g. a customer), newest first."""
    return OutboxMessage.objects.filter(
        recipient_type=ContentType.objects.get_for_model(obj), recipient_id=obj.pk
    ).order_by("-created_at", "-id")
