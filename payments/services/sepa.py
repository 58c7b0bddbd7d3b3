"""SEPA core direct debit: gather what is due from the accounts with an
active mandate, tell each customer ahead (pre-notification), write one
pain.008 file per collection date and keep each collection as a PENDING
payment until the bank confirms it.

A pending collection is a Payment with status PENDING and no ledger entry:
the balance only changes when the money has arrived (the bank statement
credits it, or an agent marks the file confirmed); then the payment is booked
and settles the very invoices and instalments it collected. A returned
collection never becomes a credit and so never needs undoing. Entries of a
returned collection are not collected again automatically: dunning takes
over. Items a higher app holds back (arrears: a dispute, a payment plan)
are not collected: it registers a filter with `collection_exclusion_register`.
A higher app may also ask for one collection of given items and amounts
(`sepa_collection_request`: a payment-plan instalment, an overdue amount
presented again): it is pre-notified at once and goes into the file of its
collection date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import formats, translation
from django.utils.translation import gettext as _

from accounts.models import Account, PaymentMethod, SepaMandate
from billing.models import BillingSettings, LedgerClearing, LedgerEntry
from core import clock
from core.communications import message_send
from payments.files.pain008 import FIRST, RECURRING, Creditor, DirectDebit, next_banking_day, pain008_build
from payments.models import Payment, PaymentSource, SepaBatch, SepaCollection
from payments.models import PaymentMethod as PayMethod
from payments.services.payments import payment_book

ZERO = Decimal("0.00")
COLLECTED_KINDS = (LedgerEntry.Kind.INVOICE, LedgerEntry.Kind.INSTALMENT)
# A collection holds its entries while it waits for the bank, and after a return.
HOLDING_STATES = (
    SepaCollection.Status.PLANNED,
    SepaCollection.Status.PRE_NOTIFIED,
    SepaCollection.Status.SUBMITTED,
    SepaCollection.Status.RETURNED,
)
PENDING_STATES = (
    SepaCollection.Status.PLANNED,
    SepaCollection.Status.PRE_NOTIFIED,
    SepaCollection.Status.SUBMITTED,
)
REMITTANCE_MAX = 140
# Filters (each a callable giving an Exists over LedgerEntry) of items not to collect.
_exclusions: list[Callable[[], Exists]] = []


def collection_exclusion_register(exclusion: Callable[[], Exists]) -> None:
    """Items matching `exclusion()` are left out of the collections (registered once)."""
    if exclusion not in _exclusions:
        _exclusions.append(exclusion)


@dataclass(frozen=True)
class PlannedItem:
    entry: LedgerEntry
    amount: Decimal


@dataclass(frozen=True)
class PlannedCollection:
    account: Account
    mandate: SepaMandate
    items: list[PlannedItem]
    # Credit on the account (an overpayment, a credit note) that lowers the amount.
    credit: Decimal
    amount: Decimal
    sequence_type: str
    end_to_end_id: str


@dataclass(frozen=True)
class CollectionRun:
    collection_date: dt.date
    batch: SepaBatch | None
    created: bool
    planned: list[PlannedCollection]

    @property
    def total(self) -> Decimal:
        return sum((plan.amount for plan in self.planned), ZERO)


def collection_date_for(*, as_of: dt.date) -> dt.date:
    """The collection date of a run on `as_of`: the pre-notification period ahead, on a banking day."""
    return next_banking_day(as_of + dt.timedelta(days=settings.SEPA_PRENOTIFICATION_DAYS))


def end_to_end_id(*, account: Account, collection_date: dt.date) -> str:
    return f"{account.number}-{collection_date:%Y%m%d}"


def sepa_collections_plan(*, collection_date: dt.date) -> list[PlannedCollection]:
    """What each account with an active mandate owes by `collection_date` and
    is not yet being collected, in a few queries for all accounts."""
    mandates = {
        mandate.account_id: mandate
        for mandate in SepaMandate.objects.filter(
            status=SepaMandate.Status.ACTIVE, account__payment_method=PaymentMethod.SEPA
        ).select_related("account__customer")
    }
    if not mandates:
        return []
    held = SepaCollection.ledger_entries.through.objects.filter(
        ledgerentry_id=OuterRef("pk"), sepacollection__status__in=HOLDING_STATES
    )
    candidates = LedgerEntry.objects.filter(
        account_id__in=list(mandates),
        kind__in=COLLECTED_KINDS,
        amount__gt=0,
        due_date__lte=collection_date,
    ).exclude(Exists(held))
    for exclusion in _exclusions:
        candidates = candidates.exclude(exclusion())
    entries = list(candidates.select_related("invoice").order_by("account_id", "due_date", "id"))
    cleared = dict(
        LedgerClearing.objects.filter(debit_id__in=[entry.pk for entry in entries], reversed_at__isnull=True)
        .values("debit_id")
        .annotate(total=Sum("amount"))
        .values_list("debit_id", "total")
    )
    credit_left = _unused_credits(account_ids=list(mandates))
    used_mandates = set(
        SepaCollection.objects.filter(mandate_id__in=[m.pk for m in mandates.values()])
        .exclude(status=SepaCollection.Status.CANCELLED)
        .values_list("mandate_id", flat=True)
    )
    by_account: dict[int, list[PlannedItem]] = {}
    for entry in entries:
        left = entry.amount - cleared.get(entry.pk, ZERO)
        if left > 0:
            by_account.setdefault(entry.account_id, []).append(PlannedItem(entry=entry, amount=left))
    plans = []
    for account_id, items in by_account.items():
        credit = credit_left.get(account_id, ZERO)
        amount = sum((item.amount for item in items), ZERO) - credit
        if amount <= 0:
            continue
        mandate = mandates[account_id]
        plans.append(
            PlannedCollection(
                account=mandate.account,
                mandate=mandate,
                items=items,
                credit=credit,
                amount=amount,
                sequence_type=RECURRING if mandate.pk in used_mandates else FIRST,
                end_to_end_id=end_to_end_id(account=mandate.account, collection_date=collection_date),
            )
        )
    return plans


def _unused_credits(*, account_ids: list[int]) -> dict[int, Decimal]:
    """Per account: credits (payments, credit notes) not yet used to settle a debit."""
    credits = LedgerEntry.objects.filter(account_id__in=account_ids, amount__lt=0)
    totals = dict(credits.values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total"))
    used = dict(
        LedgerClearing.objects.filter(credit__in=credits, reversed_at__isnull=True)
        .values("credit__account_id")
        .annotate(total=Sum("amount"))
        .values_list("credit__account_id", "total")
    )
    return {
        account_id: -total - used.get(account_id, ZERO)
        for account_id, total in totals.items()
        if -total - used.get(account_id, ZERO) > 0
    }


def _item_label(entry: LedgerEntry) -> str:
    if entry.invoice is not None and entry.invoice.number:
        return _("Invoice %(number)s") % {"number": entry.invoice.number}
    return _("Instalment due %(date)s") % {"date": formats.date_format(entry.due_date, "SHORT_DATE_FORMAT")}


def _remittance(plan: PlannedCollection) -> str:
    """The text on the customer's bank statement, in the customer's language."""
    with translation.override(plan.account.customer.language):
        labels = ", ".join(_item_label(item.entry) for item in plan.items)
        text = _("Account %(account)s: %(items)s") % {"account": plan.account.number, "items": labels}
    if len(text) > REMITTANCE_MAX:
        text = text[: REMITTANCE_MAX - 1] + "…"
    return text


def _creditor() -> Creditor:
    company = BillingSettings.current()
    return Creditor(name=company.supplier_name, creditor_id=company.creditor_id, iban=company.iban, bic=company.bic)


def _prenotify(*, plan: PlannedCollection, collection_date: dt.date, creditor: Creditor) -> None:
    customer = plan.account.customer
    with translation.override(customer.language):
        items = [{"label": _item_label(item.entry), "amount": item.amount} for item in plan.items]
    message_send(
        recipient=customer.as_recipient(),
        template="sepa_prenotification",
        context={
            "customer": customer,
            "account": plan.account,
            "amount": plan.amount,
            "collection_date": collection_date,
            "items": items,
            "credit": plan.credit,
            "mandate_reference": plan.mandate.reference,
            "masked_iban": plan.mandate.masked_iban,
            "creditor_id": creditor.creditor_id,
            "creditor_name": creditor.name,
        },
    )


def sepa_collect(*, as_of: dt.date, dry_run: bool = False) -> CollectionRun:
    """The run of `as_of`: plan the collections of its collection date, and
    (unless `dry_run`) write the pain.008 file, pending payments and
    collections and send the pre-notifications, in one transaction.
    A second run for the same collection date finds the file and does nothing."""
    collection_date = collection_date_for(as_of=as_of)
    existing = SepaBatch.objects.filter(collection_date=collection_date).order_by("id").first()
    if existing is not None:
        return CollectionRun(collection_date=collection_date, batch=existing, created=False, planned=[])
    plans = sepa_collections_plan(collection_date=collection_date)
    requested = list(
        SepaCollection.objects.filter(
            batch__isnull=True, status=SepaCollection.Status.PLANNED, collection_date=collection_date
        )
        .select_related("mandate", "account__customer")
        .order_by("id")
    )
    if dry_run or not (plans or requested):
        return CollectionRun(collection_date=collection_date, batch=None, created=False, planned=plans)
    creditor = _creditor()
    debits = [
        DirectDebit(
            end_to_end_id=plan.end_to_end_id,
            amount=plan.amount,
            debtor_name=plan.mandate.account_holder,
            iban=plan.mandate.iban,
            bic=plan.mandate.bic,
            mandate_reference=plan.mandate.reference,
            mandate_signed=plan.mandate.signed_date,
            sequence_type=plan.sequence_type,
            remittance=_remittance(plan),
        )
        for plan in plans
    ]
    requested_debits = [
        DirectDebit(
            end_to_end_id=collection.end_to_end_id,
            amount=collection.amount,
            debtor_name=collection.mandate.account_holder,
            iban=collection.mandate.iban,
            bic=collection.mandate.bic,
            mandate_reference=collection.mandate.reference,
            mandate_signed=collection.mandate.signed_date,
            sequence_type=collection.sequence_type,
            remittance=collection.remittance,
        )
        for collection in requested
    ]
    content, message_id = pain008_build(
        creditor=creditor, collection_date=collection_date, debits=debits + requested_debits
    )
    now = clock.now()
    with transaction.atomic():
        batch = SepaBatch.objects.create(
            collection_date=collection_date,
            message_id=message_id,
            total=sum((plan.amount for plan in plans), ZERO) + sum((c.amount for c in requested), ZERO),
            count=len(plans) + len(requested),
        )
        for collection, debit in zip(requested, requested_debits, strict=True):
            collection.payment = Payment.objects.create(
                account=collection.account,
                amount=collection.amount,
                method=PayMethod.SEPA_DIRECT_DEBIT,
                status=Payment.Status.PENDING,
                provider="sepa",
                reference=collection.end_to_end_id,
                source=PaymentSource.SEPA,
                received_on=collection_date,
                payer_name=collection.mandate.account_holder,
                remittance=debit.remittance,
            )
            collection.batch = batch
            collection.status = SepaCollection.Status.PRE_NOTIFIED
            collection.save(update_fields=["payment", "batch", "status"])
        batch.file.save(f"pain.008-{collection_date:%Y-%m-%d}.xml", ContentFile(content), save=True)
        for plan, debit in zip(plans, debits, strict=True):
            payment = Payment.objects.create(
                account=plan.account,
                amount=plan.amount,
                method=PayMethod.SEPA_DIRECT_DEBIT,
                status=Payment.Status.PENDING,
                provider="sepa",
                reference=plan.end_to_end_id,
                source=PaymentSource.SEPA,
                received_on=collection_date,
                payer_name=plan.mandate.account_holder,
                remittance=debit.remittance,
            )
            collection = SepaCollection.objects.create(
                batch=batch,
                account=plan.account,
                mandate=plan.mandate,
                amount=plan.amount,
                collection_date=collection_date,
                sequence_type=plan.sequence_type,
                end_to_end_id=plan.end_to_end_id,
                status=SepaCollection.Status.PRE_NOTIFIED,
                pre_notified_at=now,
                payment=payment,
            )
            collection.ledger_entries.set([item.entry for item in plan.items])
            _prenotify(plan=plan, collection_date=collection_date, creditor=creditor)
    return CollectionRun(collection_date=collection_date, batch=batch, created=True, planned=plans)


def sepa_collection_request(
    *,
    account: Account,
    mandate: SepaMandate,
    items: list[tuple[LedgerEntry, Decimal]],
    as_of: dt.date,
    tag: str,
    not_before: dt.date | None = None,
) -> SepaCollection | None:
    """One collection of `items` (each entry with the amount to collect of it)
    for the first collection date after the pre-notification period (and not
    before `not_before`) whose file is not yet written. The customer is
    pre-notified now; the daily run puts it into that date's file. The same
    `tag` for the same account and date asks once. None when there is nothing to collect."""
    amount = sum((part for _entry, part in items), ZERO)
    if amount <= 0:
        return None
    collection_date = collection_date_for(as_of=as_of)
    if not_before is not None and collection_date < not_before:
        collection_date = next_banking_day(not_before)
    while SepaBatch.objects.filter(collection_date=collection_date).exists():
        collection_date = next_banking_day(collection_date + dt.timedelta(days=1))
    end_to_end = f"{account.number}-{collection_date:%Y%m%d}-{tag}"[:35]
    existing = SepaCollection.objects.filter(end_to_end_id=end_to_end).first()
    if existing is not None:
        return existing
    used = SepaCollection.objects.filter(mandate=mandate).exclude(status=SepaCollection.Status.CANCELLED).exists()
    plan = PlannedCollection(
        account=account,
        mandate=mandate,
        items=[PlannedItem(entry=entry, amount=part) for entry, part in items],
        credit=ZERO,
        amount=amount,
        sequence_type=RECURRING if used else FIRST,
        end_to_end_id=end_to_end,
    )
    with transaction.atomic():
        collection = SepaCollection.objects.create(
            account=account,
            mandate=mandate,
            amount=amount,
            collection_date=collection_date,
            sequence_type=plan.sequence_type,
            end_to_end_id=end_to_end,
            status=SepaCollection.Status.PLANNED,
            pre_notified_at=clock.now(),
            remittance=_remittance(plan),
        )
        collection.ledger_entries.set([entry for entry, _part in items])
        _prenotify(plan=plan, collection_date=collection_date, creditor=_creditor())
    return collection


def sepa_collection_confirm(*, collection_id: int, as_of: dt.date) -> bool:
    """The bank collected: book the pending payment, settling the collected
    entries first. False when it was confirmed (or returned) before."""
    with transaction.atomic():
        collection = (
            SepaCollection.objects.select_for_update(of=("self",))
            .select_related("payment")
            .filter(pk=collection_id)
            .first()
        )
        if collection is None or collection.status not in PENDING_STATES:
            return False
        payment_book(payment=collection.payment, as_of=as_of, prefer=list(collection.ledger_entries.all()))
        collection.status = SepaCollection.Status.CONFIRMED
        collection.save(update_fields=["status"])
    return True


def sepa_batch_confirm(*, batch: SepaBatch, as_of: dt.date) -> int:
    """An agent (or the statement's batch credit) confirms a whole file: every
    collection still pending is booked. Returns how many were booked now."""
    pending = batch.collections.filter(status__in=PENDING_STATES).order_by("id").values_list("pk", flat=True)
    return sum(
        1 for collection_id in list(pending) if sepa_collection_confirm(collection_id=collection_id, as_of=as_of)
    )


def sepa_batch_mark_downloaded(*, batch: SepaBatch, user) -> None:
    """Remember the first download of the file (who, when)."""
    updated = SepaBatch.objects.filter(pk=batch.pk, downloaded_at__isnull=True).update(
        downloaded_at=clock.now(), downloaded_by=user, status=SepaBatch.Status.DOWNLOADED
    )
    if updated:
        batch.refresh_from_db(fields=["downloaded_at", "downloaded_by", "status"])


def sepa_collections_move_to_mandate(*, old: SepaMandate, new: SepaMandate) -> int:
    """A bank change replaced `old` by `new`: collections asked for but not yet
    written into a file are taken from the new bank account (the first of them
    as a first collection of the new mandate). Collections already in a file
    stay with the old mandate, which was valid when the file was written.
    Returns how many moved; a second call moves nothing."""
    with transaction.atomic():
        waiting = list(
            SepaCollection.objects.select_for_update()
            .filter(mandate=old, batch__isnull=True, status=SepaCollection.Status.PLANNED)
            .order_by("collection_date", "id")
        )
        used = SepaCollection.objects.filter(mandate=new).exclude(status=SepaCollection.Status.CANCELLED).exists()
        for collection in waiting:
            collection.mandate = new
            collection.sequence_type = (
                SepaCollection.SequenceType.RECURRING if used else SepaCollection.SequenceType.FIRST
            )
            collection.save(update_fields=["mandate", "sequence_type"])
            used = True
    return len(waiting)


def sepa_collections_cancel(*, entries: list[LedgerEntry]) -> int:
    """Call off the direct debits asked for these entries that are not yet in
    a file (a cancelled order's invoice); how many were called off."""
    return SepaCollection.objects.filter(
        ledger_entries__in=entries,
        batch__isnull=True,
        status__in=(SepaCollection.Status.PLANNED, SepaCollection.Status.PRE_NOTIFIED),
    ).update(status=SepaCollection.Status.CANCELLED)
