"""Payments and refunds: booking money on the ledger once, and allocating it.

A payment is booked as one PAYMENT credit (key "payment:<id>") and then
settles the account's open items: the invoice it names first, then the
oldest due. An overpayment stays as credit for the next bill; a partial
payment leaves the rest open. A refund is a REFUND debit that uses up
credit; a returned payment gives its settled items back and books a
PAYMENT_RETURN debit. The ledger stays the only source of the balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import Account, SepaMandate
from billing.models import Invoice, LedgerEntry
from billing.services.ledger import account_balance, ledger_book, ledger_clear, ledger_credit_cancel
from core import clock
from core.money import round_money
from payments.models import Payment, PaymentMethod, PaymentSource, Refund
from payments.providers import provider_get
from payments.providers.base import ProviderError
from payments.signals import payment_booked, payment_returned

ZERO = Decimal("0.00")
MANUAL_METHODS = (PaymentMethod.CASH, PaymentMethod.CHEQUE, PaymentMethod.TRANSFER)
EXTERNAL_METHODS = (PaymentMethod.TRANSFER, PaymentMethod.CARD, PaymentMethod.CASH, PaymentMethod.EXTERNAL)
CARD_METHODS = (PaymentMethod.CARD, PaymentMethod.SEPA_VIA_STRIPE)


class PaymentRefused(Exception):
    """A payment that cannot be recorded; the message says why, for people.
    `field` names the input at fault, where there is one."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class RefundRefused(PaymentRefused):
    """A refund that cannot be issued."""


def _checked_amount(amount: Decimal, *, error: type[PaymentRefused] = PaymentRefused) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise error(_("Enter an amount in euros, e.g. 49.90."), field="amount")
    if round_money(amount) != amount:
        raise error(_("Enter the amount in whole cents."), field="amount")
    if amount <= 0:
        raise error(_("The amount must be more than zero."), field="amount")
    if amount >= Decimal("10000000000"):
        raise error(_("This amount is too large."), field="amount")
    return amount


def invoice_debits(invoice: Invoice) -> list[LedgerEntry]:
    """The ledger debits an invoice asks for (what a payment naming it settles first)."""
    return list(LedgerEntry.objects.filter(invoice=invoice, amount__gt=0).order_by("id"))


def payment_book(*, payment: Payment, as_of: dt.date, prefer: list[LedgerEntry] | None = None) -> Payment:
    """Book a PENDING payment as succeeded: one PAYMENT credit on the ledger,
    then allocation (the named invoice, or `prefer`, first; then the oldest
    due). A payment booked before is returned unchanged."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",)).select_related("account", "invoice").get(pk=payment.pk)
        )
        if payment.ledger_entry_id is not None:
            return payment
        if payment.status != Payment.Status.PENDING:
            raise PaymentRefused(_("Only a pending payment can be booked."))
        entry, _created = ledger_book(
            account=payment.account,
            kind=LedgerEntry.Kind.PAYMENT,
            amount=-payment.amount,
            booked_on=payment.received_on,
            key=f"payment:{payment.pk}",
            text=_("Payment: %(method)s") % {"method": payment.get_method_display()},
            invoice=payment.invoice,
            reference=(payment.reference or payment.provider_ref)[:60],
        )
        payment.ledger_entry = entry
        payment.status = Payment.Status.SUCCEEDED
        payment.save(update_fields=["ledger_entry", "status"])
        preferred = list(prefer or [])
        if payment.invoice is not None:
            preferred = invoice_debits(payment.invoice) + preferred
        ledger_clear(account=payment.account, prefer=preferred)
        payment_booked.send(sender=Payment, payment=payment, as_of=as_of)
    return payment


def _invoice_of_account(invoice: Invoice | None, account: Account) -> Invoice | None:
    if invoice is None:
        return None
    if invoice.account_id != account.pk:
        raise PaymentRefused(_("This invoice belongs to another account."), field="invoice")
    if invoice.status != Invoice.Status.ISSUED or invoice.is_credit_note:
        raise PaymentRefused(_("Only an issued bill can be paid."), field="invoice")
    return invoice


def payment_record_manual(
    *,
    account: Account,
    amount: Decimal,
    method: str,
    received_on: dt.date,
    created_by: AbstractBaseUser,
    as_of: dt.date,
    invoice: Invoice | None = None,
    reference: str = "",
    payer_name: str = "",
    remittance: str = "",
) -> Payment:
    """An agent records money taken outside the portal (cash at a service
    centre, a cheque, a transfer seen elsewhere): booked and allocated at once.
    A reference (e.g. the cheque number) can be recorded once only."""
    amount = _checked_amount(amount)
    if method not in MANUAL_METHODS:
        raise PaymentRefused(_("Choose cash, cheque or bank transfer."), field="method")
    if received_on > as_of:
        raise PaymentRefused(_("The payment cannot be received in the future."), field="received_on")
    invoice = _invoice_of_account(invoice, account)
    reference = reference.strip()
    with transaction.atomic():
        if reference and Payment.objects.filter(source=PaymentSource.MANUAL, reference=reference).exists():
            raise PaymentRefused(_("A payment with this reference is already recorded."), field="reference")
        payment = Payment.objects.create(
            account=account,
            amount=amount,
            method=method,
            provider="manual",
            source=PaymentSource.MANUAL,
            reference=reference,
            received_on=received_on,
            invoice=invoice,
            payer_name=payer_name.strip(),
            remittance=remittance.strip(),
            created_by=created_by,
        )
        return payment_book(payment=payment, as_of=as_of)


def payment_external(
    *,
    account: Account,
    amount: Decimal,
    received_on: dt.date,
    reference: str,
    method: str,
    as_of: dt.date,
    invoice: Invoice | None = None,
    payer_name: str = "",
) -> tuple[Payment, bool]:
    """A payment another system reports (an accounting system, a cash desk):
    booked and allocated. The same reference twice is booked once: the second
    call returns the first payment and False; the same reference with other
    details is refused."""
    amount = _checked_amount(amount)
    reference = reference.strip()
    if not reference:
        raise PaymentRefused(_("Every payment needs its reference."), field="reference")
    if method not in EXTERNAL_METHODS:
        raise PaymentRefused(_("Choose transfer, card, cash or external."), field="method")
    if received_on > as_of:
        raise PaymentRefused(_("The payment cannot be received in the future."), field="date")
    invoice = _invoice_of_account(invoice, account)
    existing = Payment.objects.filter(source=PaymentSource.API, reference=reference).first()
    if existing is None:
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    account=account,
                    amount=amount,
                    method=method,
                    provider="api",
                    source=PaymentSource.API,
                    reference=reference,
                    received_on=received_on,
                    invoice=invoice,
                    payer_name=payer_name.strip(),
                )
                return payment_book(payment=payment, as_of=as_of), True
        except IntegrityError:
            existing = Payment.objects.get(source=PaymentSource.API, reference=reference)
    if (existing.account_id, existing.amount) != (account.pk, amount):
        raise PaymentRefused(
            _("This reference was already used for another payment (account or amount differ)."), field="reference"
        )
    return existing, False


# --- Refunds ------------------------------------------------------------------------


def refunded_total(payment: Payment) -> Decimal:
    """What has been (or is being) paid back of a payment."""
    refunds = payment.refunds.exclude(status=Refund.Status.FAILED)
    return round_money(refunds.aggregate(total=Sum("amount"))["total"] or ZERO)


def _refund_book(refund: Refund, *, as_of: dt.date) -> None:
    entry, _created = ledger_book(
        account=refund.account,
        kind=LedgerEntry.Kind.REFUND,
        amount=refund.amount,
        booked_on=as_of,
        key=f"refund:{refund.pk}",
        text=_("Refund: %(method)s") % {"method": refund.get_method_display()},
        reference=refund.provider_ref[:60],
    )
    refund.ledger_entry = entry
    refund.save(update_fields=["ledger_entry"])
    ledger_clear(account=refund.account)


def refund_issue(
    *,
    account: Account,
    amount: Decimal,
    method: str,
    created_by: AbstractBaseUser,
    as_of: dt.date,
    payment: Payment | None = None,
    reason: str = "",
) -> Refund:
    """Pay a credit balance back: to the IBAN on file (a SEPA transfer,
    pending until the bank has sent it), or to the card of `payment` through
    its provider. Booked as a REFUND debit at once, so the same credit cannot
    be refunded twice; a refund the provider refuses is booked back."""
    amount = _checked_amount(amount, error=RefundRefused)
    iban = holder = ""
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        # Sums come back from SQLite as floats: round to the cent.
        credit = -round_money(account_balance(account=account))
        if amount > credit:
            raise RefundRefused(
                _("The refund may not exceed the credit balance of %(credit)s EUR.") % {"credit": max(credit, ZERO)},
                field="amount",
            )
        if method == Refund.Method.CARD:
            if payment is None or payment.account_id != account.pk:
                raise RefundRefused(_("Choose the card payment to refund."), field="payment")
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if payment.method not in CARD_METHODS or payment.status != Payment.Status.SUCCEEDED:
                raise RefundRefused(_("Only a succeeded online payment can go back to the card."), field="payment")
            if amount > payment.amount - refunded_total(payment):
                raise RefundRefused(_("The refund may not exceed what is left of the payment."), field="amount")
        elif method == Refund.Method.SEPA_TRANSFER:
            mandate = (
                SepaMandate.objects.filter(account=account, status=SepaMandate.Status.ACTIVE).order_by("-id").first()
            )
            if mandate is None:
                raise RefundRefused(
                    _("There is no IBAN on file for this account; refund to the card instead."), field="method"
                )
            iban, holder, payment = mandate.iban, mandate.account_holder, None
        else:
            raise RefundRefused(_("Choose how to refund."), field="method")
        refund = Refund.objects.create(
            account=account,
            payment=payment,
            amount=amount,
            method=method,
            provider=payment.provider if payment else "bank",
            iban=iban,
            account_holder=holder,
            reason=reason.strip(),
            created_by=created_by,
        )
        _refund_book(refund, as_of=as_of)
    if method == Refund.Method.CARD:
        _refund_send(refund=refund, payment=payment, as_of=as_of)
    return refund


def _refund_send(*, refund: Refund, payment: Payment, as_of: dt.date) -> None:
    """Ask the provider to pay the refund back (outside any transaction: a network call)."""
    provider = provider_get(payment.provider)
    try:
        created = provider.refund_create(refund=refund, payment=payment, idempotency_key=f"refund-{refund.pk}")
    except ProviderError as error:
        refund_fail(refund=refund, message=str(error), as_of=as_of)
        raise RefundRefused(str(error)) from error
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if not locked.provider_ref:
            locked.provider_ref = created.provider_ref
            locked.save(update_fields=["provider_ref"])
    refund.provider_ref = created.provider_ref
    if created.succeeded:
        refund_succeed(refund=refund)


def _payment_mark_refunded(payment: Payment) -> None:
    succeeded = payment.refunds.filter(status=Refund.Status.SUCCEEDED).aggregate(total=Sum("amount"))["total"]
    if succeeded and round_money(succeeded) >= payment.amount and payment.status == Payment.Status.SUCCEEDED:
        payment.status = Payment.Status.REFUNDED
        payment.save(update_fields=["status"])


def refund_succeed(*, refund: Refund) -> Refund:
    """The money went back; a payment refunded in full shows as refunded."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.PENDING:
            return refund
        refund.status = Refund.Status.SUCCEEDED
        refund.completed_at = clock.now()
        refund.save(update_fields=["status", "completed_at"])
        if refund.payment_id:
            _payment_mark_refunded(Payment.objects.select_for_update().get(pk=refund.payment_id))
    return refund


def refund_fail(*, refund: Refund, message: str, as_of: dt.date) -> Refund:
    """The refund did not go out: its REFUND debit is booked back, so the credit is there again."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update(of=("self",)).select_related("account").get(pk=refund.pk)
        if refund.status == Refund.Status.FAILED:
            return refund
        refund.status = Refund.Status.FAILED
        refund.failure_message = message[:300]
        refund.completed_at = clock.now()
        refund.save(update_fields=["status", "failure_message", "completed_at"])
        ledger_book(
            account=refund.account,
            kind=LedgerEntry.Kind.REFUND,
            amount=-refund.amount,
            booked_on=as_of,
            key=f"refund-failed:{refund.pk}",
            text=_("Refund failed, booked back"),
            reference=refund.provider_ref[:60],
        )
        ledger_clear(account=refund.account)
    return refund


def refund_record_external(
    *, payment: Payment, amount: Decimal, provider_ref: str, reason: str, as_of: dt.date
) -> tuple[Refund, bool]:
    """A refund made at the provider directly (e.g. in Stripe's dashboard):
    recorded and booked once per `provider_ref`."""
    existing = Refund.objects.filter(provider=payment.provider, provider_ref=provider_ref).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        refund = Refund.objects.create(
            account=payment.account,
            payment=payment,
            amount=amount,
            method=Refund.Method.CARD,
            provider=payment.provider,
            provider_ref=provider_ref,
            reason=reason,
        )
        _refund_book(refund, as_of=as_of)
    refund_succeed(refund=refund)
    return refund, True


# --- Returns ---------------------------------------------------------------------------


def payment_return(
    *,
    payment: Payment,
    as_of: dt.date,
    reason_code: str,
    fee: Decimal | None = None,
    reason: str = "DIRECT_DEBIT_RETURNED",
) -> Payment:
    """A payment that came back (a returned direct debit, a chargeback): the
    items it settled are open again, a PAYMENT_RETURN debit cancels its
    credit, the bank's fee is booked when given, and `payment_returned` tells
    the apps above (arrears holds the account's dunning for a review). A
    payment returned before is returned unchanged."""
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",)).select_related("account", "ledger_entry").get(pk=payment.pk)
        )
        if payment.status == Payment.Status.RETURNED:
            return payment
        if payment.ledger_entry is None:
            raise PaymentRefused(_("Only a booked payment can be returned."))
        return_entry, _created = ledger_book(
            account=payment.account,
            kind=LedgerEntry.Kind.PAYMENT_RETURN,
            amount=payment.amount,
            booked_on=as_of,
            key=f"payment-return:{payment.pk}",
            text=_("Payment returned (%(code)s)") % {"code": reason_code} if reason_code else _("Payment returned"),
            reference=(payment.reference or payment.provider_ref)[:60],
            due_date=as_of,
        )
        ledger_credit_cancel(credit=payment.ledger_entry, debit=return_entry, as_of=clock.now())
        if fee:
            ledger_book(
                account=payment.account,
                kind=LedgerEntry.Kind.FEE,
                amount=_checked_amount(fee),
                booked_on=as_of,
                key=f"payment-return-fee:{payment.pk}",
                text=_("Bank charges for the returned payment"),
                due_date=as_of,
            )
        payment.status = Payment.Status.RETURNED
        payment.return_entry = return_entry
        payment.return_reason_code = reason_code[:4]
        payment.returned_on = as_of
        payment.save(update_fields=["status", "return_entry", "return_reason_code", "returned_on"])
        ledger_clear(account=payment.account)
        payment_returned.send(sender=Payment, payment=payment, kind=reason, reason_code=reason_code, as_of=as_of)
    return payment
