"""A stand-in for a real payment provider, used when no Stripe keys are set:
its payment page says "Sandbox – no real money" and offers a successful and
a failed payment. Both send an event through the same processing as Stripe's
webhooks, so the whole flow (booking, allocation, history) can be tried."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from payments.models import CheckoutSession, Payment, PaymentMethod, Refund
from payments.providers.base import (
    BasePaymentProvider,
    CheckoutCreated,
    Outcome,
    ReceivedEvent,
    RefundCreated,
    WebhookRefused,
)

PAID = "payment.succeeded"
FAILED = "payment.failed"


class SandboxProvider(BasePaymentProvider):
    identifier = "sandbox"
    verbose_name = _("Sandbox (no real money)")

    def is_available(self) -> bool:
        return True

    def is_test_mode(self) -> bool:
        return True

    def checkout_create(
        self,
        *,
        checkout: CheckoutSession,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        as_of: dt.date,
    ) -> CheckoutCreated:
        path = reverse("payments:sandbox", args=[checkout.pk])
        return CheckoutCreated(session_id=f"sandbox_cs_{idempotency_key}", url=f"{settings.SITE_URL}{path}")

    def webhook_receive(self, request: HttpRequest) -> ReceivedEvent:
        raise WebhookRefused("The sandbox sends no webhooks; its page delivers its events itself.")

    def event_build(self, *, checkout: CheckoutSession, succeeded: bool) -> ReceivedEvent:
        """The event the sandbox page sends when the customer presses "Pay" or "Fail"."""
        data = {
            "checkout_id": checkout.pk,
            "session_id": checkout.provider_session_id,
            "payment_ref": f"sandbox_pay_{checkout.pk}",
            "amount": str(checkout.amount),
            "currency": checkout.currency,
        }
        if not succeeded:
            data["message"] = "The sandbox declined the payment, as asked."
        event_type = PAID if succeeded else FAILED
        return ReceivedEvent(event_id=f"sandbox_evt_{uuid.uuid4().hex}", type=event_type, payload=data)

    def event_outcomes(self, event: ReceivedEvent) -> list[Outcome]:
        data = event.payload
        common = {
            "checkout_id": data.get("checkout_id"),
            "session_id": data.get("session_id") or "",
            "payment_ref": data.get("payment_ref", ""),
            "currency": data.get("currency", "EUR"),
        }
        if event.type == PAID:
            return [Outcome(kind="paid", amount=Decimal(data["amount"]), method=PaymentMethod.CARD, **common)]
        if event.type == FAILED:
            return [Outcome(kind="failed", message=data.get("message", ""), **common)]
        return [Outcome(kind="ignored", note=f"unknown sandbox event {event.type}")]

    def refund_create(self, *, refund: Refund, payment: Payment, idempotency_key: str) -> RefundCreated:
        return RefundCreated(provider_ref=f"sandbox_re_{idempotency_key}", succeeded=True)
