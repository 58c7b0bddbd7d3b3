"""Online payment: a checkout for some open bills (or the whole balance) on
the active provider's hosted page, and the provider's events that complete
it. Every event is logged once per event id; its outcomes are applied under
row locks, so a duplicate delivery, a second worker or events out of order
book a payment exactly once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Account
from billing.models import Invoice, LedgerEntry
from billing.services.ledger import account_balance
from core import clock
from core.money import round_money
from payments.models import CheckoutSession, Payment, PaymentMethod, PaymentSource, ProviderEvent, Refund
from payments.providers import NoProvider, provider_active
from payments.providers.base import BasePaymentProvider, Outcome, ProviderError, ReceivedEvent
from payments.queries.payments import open_invoices
from payments.services.payments import (
    payment_book,
    refund_fail,
    refund_record_external,
    refund_succeed,
    refunded_total,
)

ZERO = Decimal("0.00")


class CheckoutRefused(Exception):
    """An online payment that cannot start; the message is for the customer."""


def checkout_start(
    *,
    account: Account,
    invoices: list[Invoice],
    created_by: AbstractBaseUser | None,
    idempotency_key: str,
    as_of: dt.date,
    amount: Decimal | None = None,
) -> CheckoutSession:
    """Start paying `invoices` (what is open of each), or the whole balance
    when none are named, on the active provider's page; `amount`, when
    given, is what is paid instead (more than zero, at most the balance; the
    named invoices are then only settled first). The same idempotency key
    (a form sent twice) gives the same checkout."""
    existing = CheckoutSession.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.account_id != account.pk:
            raise CheckoutRefused(_("This payment was started for another account."))
        if not existing.url:
            raise CheckoutRefused(existing.failure_message or _("This payment could not be started."))
        return existing
    if invoices:
        open_amounts = {item.invoice.pk: item.open_amount for item in open_invoices(account=account)}
        missing = [invoice for invoice in invoices if invoice.pk not in open_amounts]
        if missing:
            raise CheckoutRefused(
                _("The bill %(number)s has nothing left to pay.") % {"number": missing[0].number or missing[0].pk}
            )
    if amount is not None:
        amount = _amount_checked(account=account, amount=amount)
    elif invoices:
        amount = sum((open_amounts[invoice.pk] for invoice in invoices), ZERO)
    else:
        amount = round_money(account_balance(account=account))
    if amount <= 0:
        raise CheckoutRefused(_("There is nothing to pay on this account."))
    try:
        provider = provider_active()
    except NoProvider as error:
        raise CheckoutRefused(_("Online payment is not available right now.")) from error
    try:
        with transaction.atomic():
            checkout = CheckoutSession.objects.create(
                account=account,
                provider=provider.identifier,
                amount=amount,
                idempotency_key=idempotency_key,
                created_by=created_by,
            )
            checkout.invoices.set(invoices)
    except IntegrityError:
        return checkout_start(
            account=account,
            invoices=invoices,
            created_by=created_by,
            idempotency_key=idempotency_key,
            as_of=as_of,
            amount=amount,
        )
    try:
        created = provider.checkout_create(
            checkout=checkout,
            success_url=settings.SITE_URL + reverse("payments:checkout_done", args=[checkout.pk]),
            cancel_url=settings.SITE_URL + reverse("payments:checkout_cancelled", args=[checkout.pk]),
            idempotency_key=f"checkout-{checkout.pk}",
            as_of=as_of,
        )
    except ProviderError as error:
        checkout.status = CheckoutSession.Status.FAILED
        checkout.failure_message = str(error)[:300]
        checkout.save(update_fields=["status", "failure_message"])
        raise CheckoutRefused(str(error)) from error
    checkout.provider_session_id = created.session_id
    checkout.url = created.url
    checkout.save(update_fields=["provider_session_id", "url"])
    return checkout


def _amount_checked(*, account: Account, amount: Decimal) -> Decimal:
    """A named amount to pay: in cents, more than zero and at most the balance."""
    if amount <= 0:
        raise CheckoutRefused(_("There is nothing to pay on this account."))
    if amount != round_money(amount):
        raise CheckoutRefused(_("Enter the amount in whole cents."))
    balance = round_money(account_balance(account=account))
    if amount > balance:
        raise CheckoutRefused(
            _("You can pay at most the balance of %(balance)s EUR online.") % {"balance": f"{balance:.2f}"}
        )
    return amount


# --- Provider events -------------------------------------------------------------------


def provider_event_receive(
    *, provider: BasePaymentProvider, event: ReceivedEvent, as_of: dt.date
) -> tuple[ProviderEvent, bool]:
    """Log a verified event once per id and apply what it means. Returns the
    log row and whether it was applied now (False: a duplicate delivery).
    An event whose processing failed keeps the error and is applied again
    when the provider delivers it again."""
    try:
        row, _created = ProviderEvent.objects.get_or_create(
            provider=provider.identifier,
            event_id=event.event_id,
            defaults={"type": event.type, "payload": event.payload},
        )
    except IntegrityError:
        row = ProviderEvent.objects.get(provider=provider.identifier, event_id=event.event_id)
    try:
        with transaction.atomic():
            row = ProviderEvent.objects.select_for_update().get(pk=row.pk)
            if row.processed_at is not None:
                return row, False
            results = [
                _outcome_apply(provider=provider, outcome=outcome, as_of=as_of)
                for outcome in provider.event_outcomes(event)
            ]
            row.processed_at = clock.now()
            row.result = "; ".join(results)[:300]
            row.error = ""
            row.save(update_fields=["processed_at", "result", "error"])
    except Exception as error:
        ProviderEvent.objects.filter(pk=row.pk).update(error=f"{type(error).__name__}: {error}"[:2000])
        raise
    return row, True


def _outcome_apply(*, provider: BasePaymentProvider, outcome: Outcome, as_of: dt.date) -> str:
    if outcome.kind == "paid":
        return _checkout_paid(provider=provider, outcome=outcome, as_of=as_of)
    if outcome.kind == "pending":
        return _checkout_pending(provider=provider, outcome=outcome, as_of=as_of)
    if outcome.kind == "failed":
        return _checkout_failed(provider=provider, outcome=outcome)
    if outcome.kind == "expired":
        return _checkout_expired(provider=provider, outcome=outcome)
    if outcome.kind == "refunded":
        return _refunded(provider=provider, outcome=outcome, as_of=as_of)
    if outcome.kind == "refund_failed":
        return _refund_failed(provider=provider, outcome=outcome, as_of=as_of)
    return outcome.note or "ignored"


def _checkout_locked(*, provider: BasePaymentProvider, outcome: Outcome) -> CheckoutSession | None:
    """The checkout an outcome is about (by our id, the provider's session
    id or its payment id), locked for the rest of the transaction."""
    checkouts = CheckoutSession.objects.select_for_update().filter(provider=provider.identifier)
    lookup = Q(pk=outcome.checkout_id) if outcome.checkout_id else Q(pk__in=[])
    if outcome.session_id:
        lookup |= Q(provider_session_id=outcome.session_id)
    if outcome.payment_ref:
        lookup |= Q(provider_payment_ref=outcome.payment_ref)
    return checkouts.filter(lookup).select_related("account").order_by("id").first()


def _checkout_payment(
    *, provider: BasePaymentProvider, checkout: CheckoutSession, outcome: Outcome, as_of: dt.date
) -> Payment:
    """The checkout's payment for the provider's payment id, made once."""
    payment_ref = outcome.payment_ref or outcome.session_id or f"checkout:{checkout.pk}"
    payment = Payment.objects.select_for_update().filter(provider=provider.identifier, provider_ref=payment_ref).first()
    if payment is not None:
        return payment
    invoices = list(checkout.invoices.all())
    return Payment.objects.create(
        account=checkout.account,
        amount=outcome.amount if outcome.amount else checkout.amount,
        currency=outcome.currency,
        method=outcome.method or PaymentMethod.CARD,
        provider=provider.identifier,
        provider_ref=payment_ref,
        source=PaymentSource.CHECKOUT,
        received_on=as_of,
        invoice=invoices[0] if len(invoices) == 1 else None,
        checkout=checkout,
        payer_name=checkout.account.customer.display_name,
    )


def _checkout_paid(*, provider: BasePaymentProvider, outcome: Outcome, as_of: dt.date) -> str:
    with transaction.atomic():
        checkout = _checkout_locked(provider=provider, outcome=outcome)
        if checkout is None:
            return f"paid {outcome.payment_ref}: no checkout of ours"
        if outcome.currency != checkout.currency:
            return f"paid in {outcome.currency}, expected {checkout.currency}: left to an agent"
        payment = _checkout_payment(provider=provider, checkout=checkout, outcome=outcome, as_of=as_of)
        booked_now = payment.ledger_entry_id is None and payment.status == Payment.Status.PENDING
        if booked_now:
            prefer = list(LedgerEntry.objects.filter(invoice__in=checkout.invoices.all(), amount__gt=0).order_by("id"))
            payment_book(payment=payment, as_of=as_of, prefer=prefer)
        checkout.status = CheckoutSession.Status.COMPLETED
        checkout.completed_at = checkout.completed_at or clock.now()
        checkout.provider_payment_ref = checkout.provider_payment_ref or payment.provider_ref
        checkout.failure_message = ""
        checkout.save(update_fields=["status", "completed_at", "provider_payment_ref", "failure_message"])
    return f"payment {payment.pk} {'booked' if booked_now else 'already booked'}"


def _checkout_pending(*, provider: BasePaymentProvider, outcome: Outcome, as_of: dt.date) -> str:
    """A payment that settles later (SEPA through the provider): shown as pending, booked when it succeeds."""
    with transaction.atomic():
        checkout = _checkout_locked(provider=provider, outcome=outcome)
        if checkout is None or not outcome.payment_ref:
            return "pending: nothing to record"
        payment = _checkout_payment(provider=provider, checkout=checkout, outcome=outcome, as_of=as_of)
        checkout.provider_payment_ref = checkout.provider_payment_ref or outcome.payment_ref
        checkout.save(update_fields=["provider_payment_ref"])
    return f"payment {payment.pk} pending"


def _checkout_failed(*, provider: BasePaymentProvider, outcome: Outcome) -> str:
    with transaction.atomic():
        checkout = _checkout_locked(provider=provider, outcome=outcome)
        if checkout is None:
            return "failed: no checkout of ours"
        if checkout.status == CheckoutSession.Status.COMPLETED:
            return f"checkout {checkout.pk} already paid; failure ignored"
        payment = None
        if outcome.payment_ref:
            payment = (
                Payment.objects.select_for_update()
                .filter(provider=provider.identifier, provider_ref=outcome.payment_ref, status=Payment.Status.PENDING)
                .first()
            )
        if payment is not None:
            payment.status = Payment.Status.FAILED
            payment.failure_message = outcome.message[:300]
            payment.save(update_fields=["status", "failure_message"])
        checkout.status = CheckoutSession.Status.FAILED
        checkout.failure_message = outcome.message[:300] or _("The payment failed.")
        checkout.save(update_fields=["status", "failure_message"])
    return f"checkout {checkout.pk} failed"


def _checkout_expired(*, provider: BasePaymentProvider, outcome: Outcome) -> str:
    with transaction.atomic():
        checkout = _checkout_locked(provider=provider, outcome=outcome)
        if checkout is None or checkout.status != CheckoutSession.Status.OPEN:
            return "expired: nothing to do"
        checkout.status = CheckoutSession.Status.EXPIRED
        checkout.save(update_fields=["status"])
    return f"checkout {checkout.pk} expired"


def _refund_of(*, provider: BasePaymentProvider, outcome: Outcome) -> Refund | None:
    refunds = Refund.objects.filter(provider=provider.identifier)
    lookup = Q(provider_ref=outcome.refund_ref) if outcome.refund_ref else Q(pk__in=[])
    if outcome.refund_id:
        lookup |= Q(pk=outcome.refund_id)
    return refunds.filter(lookup).order_by("id").first()


def _refunded(*, provider: BasePaymentProvider, outcome: Outcome, as_of: dt.date) -> str:
    """One refund that went through, or (`refunded_total`) what a charge has
    had refunded in all: refunds made at the provider itself are recorded too."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(provider=provider.identifier, provider_ref=outcome.payment_ref)
            .first()
            if outcome.payment_ref
            else None
        )
        if outcome.refunded_total is None:
            refund = _refund_of(provider=provider, outcome=outcome)
            if refund is not None:
                if not refund.provider_ref and outcome.refund_ref:
                    Refund.objects.filter(pk=refund.pk).update(provider_ref=outcome.refund_ref)
                refund_succeed(refund=refund)
                return f"refund {refund.pk} succeeded"
            if payment is None or not outcome.amount:
                return "refund of a payment not ours"
            refund, created = refund_record_external(
                payment=payment,
                amount=outcome.amount,
                provider_ref=outcome.refund_ref,
                reason=_("Refunded at %(provider)s") % {"provider": provider.verbose_name},
                as_of=as_of,
            )
            return f"refund {refund.pk} recorded"
        if payment is None:
            return "refund of a payment not ours"
        pending = list(payment.refunds.filter(status=Refund.Status.PENDING).order_by("id"))
        if refunded_total(payment) <= outcome.refunded_total:
            for refund in pending:
                refund_succeed(refund=refund)
        missing = outcome.refunded_total - refunded_total(payment)
        if missing > 0:
            refund, _created = refund_record_external(
                payment=payment,
                amount=missing,
                provider_ref=outcome.refund_ref,
                reason=_("Refunded at %(provider)s") % {"provider": provider.verbose_name},
                as_of=as_of,
            )
            return f"refund {refund.pk} recorded"
    return f"payment {payment.pk}: refunds up to date"


def _refund_failed(*, provider: BasePaymentProvider, outcome: Outcome, as_of: dt.date) -> str:
    refund = _refund_of(provider=provider, outcome=outcome)
    if refund is None:
        return "failed refund not ours"
    refund_fail(refund=refund, message=outcome.message, as_of=as_of)
    return f"refund {refund.pk} failed"
