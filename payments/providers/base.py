"""What every payment provider offers the portal.

A provider starts an online checkout (a hosted payment page the customer is
sent to), reads its own webhook deliveries into `Outcome`s (paid, failed,
refunded …) and refunds a payment. It never books: the portal's services turn
the outcomes into payments and ledger entries, the same way for every
provider. Network calls carry an idempotency key so a retry never charges or
refunds twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.http import HttpRequest

if TYPE_CHECKING:
    from payments.models import CheckoutSession, Payment, Refund


class ProviderError(Exception):
    """The provider refused or could not be reached; the message is for people."""


class WebhookRefused(Exception):
    """A webhook delivery that is not genuine (bad or stale signature) or not readable."""


@dataclass(frozen=True)
class CheckoutCreated:
    session_id: str
    url: str


@dataclass(frozen=True)
class RefundCreated:
    provider_ref: str
    succeeded: bool


@dataclass(frozen=True)
class ReceivedEvent:
    """A verified webhook delivery: the provider's event id, type and body."""

    event_id: str
    type: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What an event means for the portal.

    kind: "paid" (money received for a checkout), "failed" (a payment attempt
    failed), "expired" (the checkout ended unpaid), "pending" (the provider
    started a payment that settles later), "refunded" (money went back),
    "refund_failed", or "ignored" (nothing to do, with the reason in `note`).
    """

    kind: str
    checkout_id: int | None = None
    session_id: str = ""
    payment_ref: str = ""
    amount: Decimal | None = None
    currency: str = "EUR"
    method: str = ""
    refund_ref: str = ""
    refund_id: int | None = None
    refunded_total: Decimal | None = None
    message: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class BasePaymentProvider:
    """One way of taking money online. Subclasses set `identifier` and
    `verbose_name`, and implement the methods below."""

    identifier: ClassVar[str] = ""
    verbose_name: ClassVar[str] = ""
    # A form that checks the provider's admin-editable settings (ProviderSettings.settings).
    settings_form: ClassVar[type[forms.Form]] = forms.Form
    # Whether payments through it can be refunded by the provider.
    refunds_supported: ClassVar[bool] = True

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings = settings or {}

    def is_available(self) -> bool:
        """Whether the provider is configured to take payments here."""
        raise NotImplementedError

    def is_test_mode(self) -> bool:
        """Whether no real money moves (the page says so)."""
        return False

    def checkout_create(
        self,
        *,
        checkout: CheckoutSession,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        as_of: dt.date,
    ) -> CheckoutCreated:
        """Open the hosted payment page for `checkout`; raise ProviderError when refused."""
        raise NotImplementedError

    def webhook_receive(self, request: HttpRequest) -> ReceivedEvent:
        """Check a webhook delivery's signature on the raw body and read it;
        raise WebhookRefused when it is not genuine."""
        raise NotImplementedError

    def event_outcomes(self, event: ReceivedEvent) -> list[Outcome]:
        """What an event means: one or more outcomes (possibly "ignored")."""
        raise NotImplementedError

    def refund_create(self, *, refund: Refund, payment: Payment, idempotency_key: str) -> RefundCreated:
        """Pay `refund.amount` of `payment` back; raise ProviderError when refused."""
        raise NotImplementedError


def to_cents(amount: Decimal) -> int:
    """Whole cents, as providers count."""
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))
