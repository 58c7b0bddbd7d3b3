"""Settling an account after its final bill (EnWG §40b/§40c), run daily.

1. Every issued final bill is concluded (billing): its supplies become ENDED,
   instalments due after the end are cancelled.
2. A final bill of an account with no live supply opens one Settlement,
   holding the balance right after the bill.
3. Each open settlement moves on, as far as it can on the day:
   - direct debits asked for but not yet in a file whose items have nothing
     open any more are cancelled;
   - a credit is refunded: back to the card through the provider when the
     account's last payment was online (at most what is left of it), the
     rest to the IBAN of the mandate on file as a SEPA credit transfer (it
     goes into the next pain.001 file). With neither, the settlement waits
     for an agent (its note says why). Due within FINAL_REFUND_DEADLINE_DAYS
     of the final bill;
   - a debt is left to the ways money already comes in: the direct-debit run
     collects it where a mandate exists, otherwise the dunning run takes it
     up once it is overdue;
   - the closing letter (PDF) is sent once, when the refund is on its way or
     the amount due is known;
   - the mandate is revoked once nothing is owed and no collection is pending;
   - the account is CLOSED (and the settlement DONE) when every supply has
     ended, the balance is zero and no collection or refund is pending.
Each step checks before it acts, so a second run on the same day does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts.closing import account_close, mandates_revoke
from accounts.models import Account, SepaMandate
from billing.models import Invoice
from billing.services.final_bills import final_bills_conclude
from billing.services.ledger import account_balance, entry_open_amount
from core import clock
from core.communications import Attachment, message_send
from core.money import round_money
from payments.models import Payment, Refund, SepaCollection, Settlement
from payments.services.payments import CARD_METHODS, RefundRefused, refund_issue, refunded_total
from payments.services.sepa import PENDING_STATES
from supply.models import ServiceAgreement

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")


@dataclass
class SettlementRun:
    concluded: list[int] = field(default_factory=list)
    opened: list[int] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)
    letters: list[int] = field(default_factory=list)
    mandates_revoked: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"final bills concluded: {len(self.concluded)}, settlements opened: {len(self.opened)}, "
            f"refunds: {len(self.refunds)}, closing letters: {len(self.letters)}, "
            f"mandates revoked: {len(self.mandates_revoked)}, accounts closed: {len(self.closed)}"
        )


def _live_agreements(account_id) -> Exists:
    return Exists(ServiceAgreement.objects.filter(account_id=account_id, status__in=ServiceAgreement.LIVE_STATES))


def final_bills_to_settle() -> list[int]:
    """Issued final bills without a settlement, of accounts with no live
    supply and no settlement still open."""
    return list(
        Invoice.objects.filter(kind=Invoice.Kind.FINAL, status=Invoice.Status.ISSUED, settlement__isnull=True)
        .exclude(_live_agreements(OuterRef("account_id")))
        .exclude(Exists(Settlement.objects.filter(account_id=OuterRef("account_id"), status=Settlement.Status.OPEN)))
        .order_by("id")
        .values_list("pk", flat=True)
    )


def settlement_open(*, invoice_id: int) -> tuple[Settlement, bool]:
    """The settlement of a final bill, opened once with the balance after it."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account").get(pk=invoice_id)
        existing = Settlement.objects.filter(final_invoice=invoice).first()
        if existing is not None:
            return existing, False
        settlement = Settlement.objects.create(
            account=invoice.account,
            final_invoice=invoice,
            balance=round_money(account_balance(account=invoice.account)),
            refund_due_on=invoice.issue_date + dt.timedelta(days=settings.FINAL_REFUND_DEADLINE_DAYS),
        )
    return settlement, True


def _stale_collections_cancel(account: Account) -> int:
    """Direct debits asked for (not yet in a file) whose items are all settled."""
    cancelled = 0
    planned = SepaCollection.objects.filter(
        account=account, batch__isnull=True, status=SepaCollection.Status.PLANNED
    ).prefetch_related("ledger_entries")
    for collection in planned.order_by("id"):
        if all(entry_open_amount(entry=entry) <= 0 for entry in collection.ledger_entries.all()):
            SepaCollection.objects.filter(pk=collection.pk, status=SepaCollection.Status.PLANNED).update(
                status=SepaCollection.Status.CANCELLED
            )
            cancelled += 1
    return cancelled


def _last_payment(account: Account) -> Payment | None:
    return (
        Payment.objects.filter(account=account, status__in=(Payment.Status.SUCCEEDED, Payment.Status.REFUNDED))
        .order_by("-received_on", "-id")
        .first()
    )


def _refunds_issue(*, settlement: Settlement, as_of: dt.date) -> list[Refund]:
    """Pay a credit back: to the card when the last payment was online, the
    rest to the IBAN on file. Sets the settlement's note when neither is possible."""
    account = settlement.account
    credit = -round_money(account_balance(account=account))
    if credit <= 0:
        return []
    issued: list[Refund] = []
    reason = _("Credit after the final bill %(number)s") % {"number": settlement.final_invoice.number}
    card_failed = settlement.refunds.filter(method=Refund.Method.CARD, status=Refund.Status.FAILED).exists()
    last = _last_payment(account)
    if last is not None and last.method in CARD_METHODS and last.status == Payment.Status.SUCCEEDED and not card_failed:
        amount = min(credit, last.amount - refunded_total(last))
        if amount > 0:
            try:
                refund = refund_issue(
                    account=account,
                    amount=amount,
                    method=Refund.Method.CARD,
                    created_by=None,
                    as_of=as_of,
                    payment=last,
                    reason=reason,
                )
            except RefundRefused as error:
                logger.warning("card refund for account %s refused: %s", account.number, error)
            else:
                Refund.objects.filter(pk=refund.pk).update(settlement=settlement)
                issued.append(refund)
                credit -= amount
    if credit > 0:
        has_mandate = SepaMandate.objects.filter(account=account, status=SepaMandate.Status.ACTIVE).exists()
        if has_mandate:
            refund = refund_issue(
                account=account,
                amount=credit,
                method=Refund.Method.SEPA_TRANSFER,
                created_by=None,
                as_of=as_of,
                reason=reason,
            )
            Refund.objects.filter(pk=refund.pk).update(settlement=settlement)
            issued.append(refund)
            credit = ZERO
    note = ""
    if credit > 0:
        note = _("A credit of %(amount)s EUR is left and there is no IBAN or card on file: refund it by hand.") % {
            "amount": f"{credit:.2f}"
        }
    if note != settlement.note:
        Settlement.objects.filter(pk=settlement.pk).update(note=note)
        settlement.note = note
    return issued


def _letter_send(*, settlement: Settlement, as_of: dt.date) -> bool:
    """Write and send the closing letter once."""
    from payments.documents import closing_letter_context, closing_letter_pdf

    with transaction.atomic():
        locked = Settlement.objects.select_for_update().get(pk=settlement.pk)
        if locked.letter_sent_at is not None:
            return False
        context = closing_letter_context(settlement=locked, as_of=as_of)
        pdf = closing_letter_pdf(context=context)
        filename = f"closing-letter-{locked.account.number}.pdf"
        locked.letter.save(filename, ContentFile(pdf), save=False)
        locked.letter_sent_at = clock.now()
        locked.save(update_fields=["letter", "letter_sent_at"])
        customer = locked.account.customer
        message_send(
            recipient=customer.as_recipient(),
            template="closing_letter",
            context={**context, "customer": customer, "site_url": settings.SITE_URL},
            attachments=[Attachment(filename=filename, content=pdf)],
        )
    settlement.letter_sent_at = locked.letter_sent_at
    settlement.letter = locked.letter
    return True


def _pending_collections(account: Account) -> bool:
    return SepaCollection.objects.filter(account=account, status__in=PENDING_STATES).exists()


def settlement_advance(*, settlement_id: int, as_of: dt.date, run: SettlementRun | None = None) -> Settlement:
    """Move one open settlement on as far as it can go today (see the module)."""
    run = run if run is not None else SettlementRun()
    settlement = Settlement.objects.select_related("account__customer", "final_invoice").get(pk=settlement_id)
    if not settlement.is_open:
        return settlement
    account = settlement.account
    _stale_collections_cancel(account)
    run.refunds.extend(refund.pk for refund in _refunds_issue(settlement=settlement, as_of=as_of))
    balance = round_money(account_balance(account=account))
    if settlement.letter_sent_at is None and _letter_send(settlement=settlement, as_of=as_of):
        run.letters.append(settlement.pk)
    pending_collections = _pending_collections(account)
    if balance <= 0 and not pending_collections and mandates_revoke(account=account):
        Settlement.objects.filter(pk=settlement.pk).update(mandate_revoked_at=clock.now())
        run.mandates_revoked.append(settlement.pk)
    still_supplied = ServiceAgreement.objects.filter(account=account, status__in=ServiceAgreement.LIVE_STATES).exists()
    refunds_pending = Refund.objects.filter(account=account, status=Refund.Status.PENDING).exists()
    if balance == 0 and not (pending_collections or refunds_pending or still_supplied):
        with transaction.atomic():
            account_close(account=account)
            Settlement.objects.filter(pk=settlement.pk).update(status=Settlement.Status.DONE, closed_at=clock.now())
        run.closed.append(settlement.pk)
    settlement.refresh_from_db()
    return settlement


def settlements_run(*, as_of: dt.date) -> SettlementRun:
    """The daily run (see the module); idempotent."""
    run = SettlementRun(concluded=final_bills_conclude(as_of=as_of))
    for invoice_id in final_bills_to_settle():
        settlement, created = settlement_open(invoice_id=invoice_id)
        if created:
            run.opened.append(settlement.pk)
    open_ids = Settlement.objects.filter(status=Settlement.Status.OPEN).order_by("id").values_list("pk", flat=True)
    for settlement_id in list(open_ids):
        settlement_advance(settlement_id=settlement_id, as_of=as_of, run=run)
    return run
