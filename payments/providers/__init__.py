"""The payment providers the portal knows, by identifier.

`settings.PAYMENT_PROVIDERS` lists their classes by import path; the first
one that is available (configured, and not switched off in the admin's
provider settings) takes online payments. Stripe comes first and is
available once STRIPE_SECRET_KEY is set; otherwise the sandbox takes its
place."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from payments.models import ProviderSettings
from payments.providers.base import BasePaymentProvider


class NoProvider(Exception):
    """No payment provider is available for online payments."""


@cache
def _classes(paths: tuple[str, ...]) -> dict[str, type[BasePaymentProvider]]:
    classes: dict[str, type[BasePaymentProvider]] = {}
    for path in paths:
        provider_class = import_string(path)
        if not issubclass(provider_class, BasePaymentProvider) or not provider_class.identifier:
            raise TypeError(f"{path} is not a payment provider with an identifier")
        classes[provider_class.identifier] = provider_class
    return classes


def provider_classes() -> dict[str, type[BasePaymentProvider]]:
    """Every registered provider class, by identifier, in the configured order."""
    return _classes(tuple(settings.PAYMENT_PROVIDERS))


def provider_get(identifier: str) -> BasePaymentProvider:
    """The provider with `identifier`, with its admin settings; KeyError if unknown."""
    provider_class = provider_classes()[identifier]
    row = ProviderSettings.objects.filter(provider=identifier).first()
    return provider_class(row.settings if row else {})


def provider_active() -> BasePaymentProvider:
    """The provider that takes online payments now."""
    switched_off = set(ProviderSettings.objects.filter(enabled=False).values_list("provider", flat=True))
    for identifier in provider_classes():
        if identifier in switched_off:
            continue
        provider = provider_get(identifier)
        if provider.is_available():
            return provider
    raise NoProvider("no payment provider is available")


def provider_label(identifier: str) -> str:
    """The name customers see for a provider (the admin's, else the provider's own)."""
    row = ProviderSettings.objects.filter(provider=identifier).first()
    if row and row.display_name:
        return row.display_name
    provider_class = provider_classes().get(identifier)
    return str(provider_class.verbose_name) if provider_class else identifier
