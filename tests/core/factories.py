"""Outbox messages and API keys for tests."""

import factory

from core.models import ApiKey, OutboxMessage


class OutboxMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutboxMessage

    channel = "EMAIL"
    template = "test"
    language = "de"
    to_address = "someone@example.com"
    subject = "Hallo"
    body = "Text"


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKey

    name = "test"
    prefix = factory.Sequence(lambda n: f"p{n:05d}")
    hashed_key = "0" * 64
    scopes = factory.LazyFunction(list)
