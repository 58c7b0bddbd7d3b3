"""Stripe Checkout: the customer pays on Stripe's hosted page (card, or SEPA
direct debit through Stripe), so card data never touches the portal.

Every create call carries an idempotency key. Webhooks are verified with
Stripe's library on the raw body (signing secret, five minutes' tolerance)
and read into outcomes; the portal's services book them once, whatever the
order the events arrive in: `payment_intent.succeeded` may come before
`checkout.session.completed`, and both name the same PaymentIntent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import stripe
from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from payments.models import CheckoutSession, Payment, PaymentMethod, Refund
from payments.providers.base import (
    BasePaymentProvider,
    CheckoutCreated,
    Outcome,
    ProviderError,
    ReceivedEvent,
    RefundCreated,
    WebhookRefused,
    from_cents,
    to_cents,
)

# Stripe's own advice: refuse signatures older than five minutes.
SIGNATURE_TOLERANCE_SECONDS = 300
CHECKOUT_LOCALES = {"de": "de", "en": "en"}


class StripeSettingsForm(forms.Form):
    """Admin settings; the keys stay in the environment."""

    payment_method_types = forms.CharField(
        label=_("Payment methods"),
        required=False,
        help_text=_('Comma-separated Stripe names, e.g. "card, sepa_debit"; empty: as set up in Stripe.'),
    )

    def clean_payment_method_types(self) -> list[str]:
        text = self.cleaned_data["payment_method_types"] or ""
        return [name.strip() for name in text.split(",") if name.strip()]


def _metadata(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _checkout_id(obj: dict[str, Any]) -> int | None:
    value = _metadata(obj).get("checkout_id") or obj.get("client_reference_id")
    return int(value) if value and str(value).isdigit() else None


def _method(payment_method_types: list[str] | None) -> str:
    return PaymentMethod.SEPA_VIA_STRIPE if payment_method_types == ["sepa_debit"] else PaymentMethod.CARD


class StripeProvider(BasePaymentProvider):
    identifier = "stripe"
    verbose_name = _("Card or SEPA direct debit (Stripe)")
    settings_form = StripeSettingsForm

    def is_available(self) -> bool:
        return bool(settings.STRIPE_SECRET_KEY)

    def is_test_mode(self) -> bool:
        return settings.STRIPE_SECRET_KEY.startswith("sk_test_")

    def checkout_create(
        self,
        *,
        checkout: CheckoutSession,
        success_url: str,
        cancel_url: str,
        idempotency_key: str,
        as_of: dt.date,
    ) -> CheckoutCreated:
        account = checkout.account
        metadata = {"checkout_id": str(checkout.pk), "account_number": account.number}
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": str(checkout.pk),
            "customer_email": account.customer.email,
            "locale": CHECKOUT_LOCALES.get(account.customer.language, "auto"),
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": checkout.currency.lower(),
                        "unit_amount": to_cents(checkout.amount),
                        "product_data": {
                            "name": gettext("Payment for account %(number)s") % {"number": account.number}
                        },
                    },
                }
            ],
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        methods = self.settings.get("payment_method_types")
        if methods:
            params["payment_method_types"] = methods
        try:
            session = stripe.checkout.Session.create(
                api_key=settings.STRIPE_SECRET_KEY, idempotency_key=idempotency_key, **params
            )
        except stripe.StripeError as error:
            raise ProviderError(
                gettext("The payment service is not available right now. Please try again later.")
            ) from error
        return CheckoutCreated(session_id=session.id, url=session.url)

    def webhook_receive(self, request: HttpRequest) -> ReceivedEvent:
        secret = settings.STRIPE_WEBHOOK_SECRET
        if not secret:
            raise WebhookRefused("No STRIPE_WEBHOOK_SECRET is set; webhooks cannot be verified.")
        try:
            event = stripe.Webhook.construct_event(
                payload=request.body,
                sig_header=request.headers.get("Stripe-Signature"),
                secret=secret,
                tolerance=SIGNATURE_TOLERANCE_SECONDS,
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookRefused(f"Signature refused: {error.user_message or error}") from error
        except ValueError as error:
            raise WebhookRefused("The body is not a Stripe event.") from error
        return ReceivedEvent(event_id=event.id, type=event.type, payload=event.to_dict())

    def event_outcomes(self, event: ReceivedEvent) -> list[Outcome]:
        obj = event.payload.get("data", {}).get("object", {})
        handler = {
            "checkout.session.completed": self._session_completed,
            "checkout.session.async_payment_succeeded": self._session_async_succeeded,
            "checkout.session.async_payment_failed": self._session_failed,
            "checkout.session.expired": self._session_expired,
            "payment_intent.succeeded": self._intent_succeeded,
            "payment_intent.processing": self._intent_processing,
            "payment_intent.payment_failed": self._intent_failed,
            "charge.refunded": self._charge_refunded,
            "refund.updated": self._refund_updated,
            "charge.refund.updated": self._refund_updated,
            "refund.failed": self._refund_updated,
        }.get(event.type)
        if handler is None:
            return [Outcome(kind="ignored", note=f"{event.type} is not used")]
        return handler(obj)

    # --- Events --------------------------------------------------------------

    def _session_common(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "checkout_id": _checkout_id(obj),
            "session_id": obj.get("id", ""),
            "payment_ref": obj.get("payment_intent") or "",
            "currency": (obj.get("currency") or "eur").upper(),
        }

    def _session_completed(self, obj: dict[str, Any]) -> list[Outcome]:
        common = self._session_common(obj)
        amount = from_cents(obj.get("amount_total") or 0)
        if obj.get("payment_status") == "paid":
            method = _method(obj.get("payment_method_types"))
            return [Outcome(kind="paid", amount=amount, method=method, **common)]
        # Paid by a method that settles later (SEPA): async_payment_succeeded/failed follows.
        return [Outcome(kind="pending", amount=amount, method=PaymentMethod.SEPA_VIA_STRIPE, **common)]

    def _session_async_succeeded(self, obj: dict[str, Any]) -> list[Outcome]:
        amount = from_cents(obj.get("amount_total") or 0)
        return [Outcome(kind="paid", amount=amount, method=PaymentMethod.SEPA_VIA_STRIPE, **self._session_common(obj))]

    def _session_failed(self, obj: dict[str, Any]) -> list[Outcome]:
        message = gettext("Your bank did not pay the direct debit.")
        return [Outcome(kind="failed", message=message, **self._session_common(obj))]

    def _session_expired(self, obj: dict[str, Any]) -> list[Outcome]:
        return [Outcome(kind="expired", **self._session_common(obj))]

    def _intent_common(self, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "checkout_id": _checkout_id(obj),
            "payment_ref": obj.get("id", ""),
            "currency": (obj.get("currency") or "eur").upper(),
            "method": _method(obj.get("payment_method_types")),
        }

    def _intent_succeeded(self, obj: dict[str, Any]) -> list[Outcome]:
        amount = from_cents(obj.get("amount_received") or obj.get("amount") or 0)
        return [Outcome(kind="paid", amount=amount, **self._intent_common(obj))]

    def _intent_processing(self, obj: dict[str, Any]) -> list[Outcome]:
        amount = from_cents(obj.get("amount") or 0)
        return [Outcome(kind="pending", amount=amount, **self._intent_common(obj))]

    def _intent_failed(self, obj: dict[str, Any]) -> list[Outcome]:
        error = obj.get("last_payment_error") or {}
        message = error.get("message") or gettext("The payment was declined.")
        return [Outcome(kind="failed", message=message, **self._intent_common(obj))]

    def _charge_refunded(self, obj: dict[str, Any]) -> list[Outcome]:
        """A charge's refunds; the event lists them when the account's API
        version expands them, else only the refunded total is known."""
        payment_ref = obj.get("payment_intent") or ""
        refunds = (obj.get("refunds") or {}).get("data") or []
        outcomes = [self._refund_outcome(refund, payment_ref=payment_ref) for refund in refunds]
        outcomes.append(
            Outcome(
                kind="refunded",
                payment_ref=payment_ref,
                refunded_total=from_cents(obj.get("amount_refunded") or 0),
                # A refund made elsewhere (e.g. Stripe's dashboard) is recorded under this reference.
                refund_ref=f"{obj.get('id', '')}:{obj.get('amount_refunded') or 0}",
            )
        )
        return [outcome for outcome in outcomes if outcome.kind != "ignored"]

    def _refund_updated(self, obj: dict[str, Any]) -> list[Outcome]:
        return [self._refund_outcome(obj, payment_ref=obj.get("payment_intent") or "")]

    def _refund_outcome(self, refund: dict[str, Any], *, payment_ref: str) -> Outcome:
        refund_id = _metadata(refund).get("refund_id")
        common = {
            "payment_ref": payment_ref,
            "refund_ref": refund.get("id", ""),
            "refund_id": int(refund_id) if refund_id and str(refund_id).isdigit() else None,
            "amount": from_cents(refund.get("amount") or 0),
        }
        status = refund.get("status")
        if status == "succeeded":
            return Outcome(kind="refunded", **common)
        if status in ("failed", "canceled"):
            reason = refund.get("failure_reason") or status
            return Outcome(kind="refund_failed", message=str(reason), **common)
        return Outcome(kind="ignored", note=f"refund {refund.get('id')} is {status}")

    def refund_create(self, *, refund: Refund, payment: Payment, idempotency_key: str) -> RefundCreated:
        try:
            created = stripe.Refund.create(
                api_key=settings.STRIPE_SECRET_KEY,
                idempotency_key=idempotency_key,
                payment_intent=payment.provider_ref,
                amount=to_cents(refund.amount),
                metadata={"refund_id": str(refund.pk), "account_number": refund.account.number},
            )
        except stripe.StripeError as error:
            message = error.user_message or gettext("Stripe refused the refund.")
            raise ProviderError(message) from error
        return RefundCreated(provider_ref=created.id, succeeded=getattr(created, "status", None) == "succeeded")
