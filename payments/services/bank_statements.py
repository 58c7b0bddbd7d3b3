"""Importing a camt.053 bank statement: every line is kept as a
BankTransaction and dealt with once.

- The credit of one of our direct-debit files (its message id) or of one
  collection (its end-to-end id) confirms those collections: their pending
  payments are booked.
- A credit transfer naming an invoice or account number is booked to that
  account and settles the named invoices first; without a reference, one
  open invoice with exactly that amount whose customer has the payer's name
  is taken. Several candidates: AMBIGUOUS; none: UNMATCHED. Both wait in the
  reconciliation queue, where an agent assigns the line to an account (and an
  invoice) or ignores it with a note.
- A returned direct debit (a reversal or a line with a return reason) gives
  the collection back: the payment is RETURNED, its bills are open again, the
  fee in SEPA_RETURN_FEE is booked, the customer is told why in plain words
  and the account is flagged for dunning.
- Other debits (our own transfers, bank charges) are kept as IGNORED.

A file imported before (same SHA-256) books nothing; a line seen before in
another file (same bank reference) is counted as a duplicate and skipped."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from accounts.models import Account
from billing.models import Invoice
from core.communications import message_send
from core.money import round_money
from payments.files.camt import CamtError, Statement, StatementLine, statement_read
from payments.matching.references import return_reason_text
from payments.matching.transfers import ReferenceIndex, transfer_match
from payments.models import (
    BankStatement,
    BankTransaction,
    Payment,
    PaymentMethod,
    PaymentSource,
    SepaBatch,
    SepaCollection,
)
from payments.services.payments import invoice_debits, payment_book, payment_return
from payments.services.sepa import PENDING_STATES, sepa_batch_confirm, sepa_collection_confirm

QUEUE_STATES = (BankTransaction.Status.UNMATCHED, BankTransaction.Status.AMBIGUOUS)
MAX_STATEMENT_BYTES = 20 * 1024 * 1024
ZERO = Decimal("0.00")


class StatementRejected(Exception):
    """The file cannot be imported; the message says why, for people."""


@dataclass
class ImportResult:
    statement: BankStatement | None = None
    imported_before: BankStatement | None = None
    matched: int = 0
    ambiguous: int = 0
    unmatched: int = 0
    returns: int = 0
    duplicates: int = 0
    ignored: int = 0

    def as_counts(self) -> dict[str, int]:
        return {
            "matched": self.matched,
            "ambiguous": self.ambiguous,
            "unmatched": self.unmatched,
            "returns": self.returns,
            "duplicates": self.duplicates,
        }


def bank_payment_book(
    *, transaction_row: BankTransaction, account: Account, invoices: tuple[Invoice, ...], user=None
) -> Payment:
    """A credit of the statement as a payment of `account`, booked and settling `invoices` first."""
    payment = Payment.objects.create(
        account=account,
        amount=transaction_row.amount,
        method=PaymentMethod.TRANSFER,
        status=Payment.Status.PENDING,
        provider="bank",
        source=PaymentSource.BANK,
        reference=transaction_row.entry_ref,
        received_on=transaction_row.booking_date,
        invoice=invoices[0] if invoices else None,
        payer_name=transaction_row.counterparty_name,
        remittance=transaction_row.remittance[:300],
        created_by=user,
    )
    prefer = [entry for invoice in invoices[1:] for entry in invoice_debits(invoice)]
    return payment_book(payment=payment, as_of=transaction_row.booking_date, prefer=prefer)


def _sepa_credit(line: StatementLine, row: BankTransaction) -> bool:
    """The bank's credit of a direct-debit file or of one collection confirms it."""
    if line.batch_id:
        batch = SepaBatch.objects.filter(message_id=line.batch_id).first()
        if batch is not None:
            confirmed = sepa_batch_confirm(batch=batch, as_of=line.booked_on)
            row.status = BankTransaction.Status.MATCHED
            row.note = _("Credit of direct-debit file %(id)s: %(count)s collections confirmed.") % {
                "id": batch.message_id,
                "count": confirmed,
            }
            return True
    if line.end_to_end_id:
        collection = SepaCollection.objects.filter(end_to_end_id=line.end_to_end_id).select_related("payment").first()
        if collection is not None:
            sepa_collection_confirm(collection_id=collection.pk, as_of=line.booked_on)
            row.status = BankTransaction.Status.MATCHED
            row.matched_account_id = collection.account_id
            if not BankTransaction.objects.filter(payment=collection.payment).exists():
                row.payment = collection.payment
            row.note = _("Direct debit %(id)s collected.") % {"id": collection.end_to_end_id}
            return True
    return False


def _returned_collection(line: StatementLine) -> SepaCollection | None:
    collections = SepaCollection.objects.select_related("payment", "account__customer", "mandate")
    if line.end_to_end_id:
        found = collections.filter(end_to_end_id=line.end_to_end_id).first()
        if found is not None:
            return found
    if line.mandate_reference:
        candidates = list(
            collections.filter(mandate__reference=line.mandate_reference, amount=line.amount).exclude(
                status=SepaCollection.Status.RETURNED
            )[:2]
        )
        if len(candidates) == 1:
            return candidates[0]
    return None


def return_fee() -> Decimal:
    """The fee a returned direct debit costs the customer (SEPA_RETURN_FEE; 0: none)."""
    fee = round_money(Decimal(str(settings.SEPA_RETURN_FEE)))
    return fee if fee > 0 else ZERO


def _direct_debit_return(line: StatementLine, row: BankTransaction) -> None:
    collection = _returned_collection(line)
    if collection is None:
        row.status = BankTransaction.Status.UNMATCHED
        row.note = _("A returned payment (%(code)s) that is not one of our direct debits.") % {
            "code": line.return_reason
        }
        return
    row.matched_account_id = collection.account_id
    row.status = BankTransaction.Status.RETURN_PROCESSED
    if collection.status == SepaCollection.Status.RETURNED:
        row.note = _("Direct debit %(id)s was returned before.") % {"id": collection.end_to_end_id}
        return
    with transaction.atomic():
        collection = SepaCollection.objects.select_for_update().get(pk=collection.pk)
        if collection.status in PENDING_STATES:
            # The bank's credit has not been seen yet: book it, then the return, as the bank did.
            sepa_collection_confirm(collection_id=collection.pk, as_of=line.booked_on)
        fee = return_fee()
        payment = payment_return(
            payment=collection.payment, as_of=line.booked_on, reason_code=line.return_reason, fee=fee or None
        )
        collection.status = SepaCollection.Status.RETURNED
        collection.return_reason_code = line.return_reason[:4]
        collection.save(update_fields=["status", "return_reason_code"])
        row.note = _("Direct debit %(id)s returned: %(reason)s.") % {
            "id": collection.end_to_end_id,
            "reason": return_reason_text(line.return_reason),
        }
        customer = collection.account.customer
        message_send(
            recipient=customer.as_recipient(),
            template="sepa_return",
            context={
                "customer": customer,
                "account": collection.account,
                "amount": payment.amount,
                "collection_date": collection.collection_date,
                "reason": return_reason_text(line.return_reason),
                "reason_code": line.return_reason,
                "fee": fee,
                "total": payment.amount + fee,
            },
        )


def _line_process(line: StatementLine, row: BankTransaction, index: ReferenceIndex) -> None:
    if not line.credit:
        if line.is_return:
            _direct_debit_return(line, row)
        else:
            row.status = BankTransaction.Status.IGNORED
            row.note = _("Money going out: nothing to book.")
        return
    if line.currency != "EUR":
        row.status = BankTransaction.Status.UNMATCHED
        row.note = _("The credit is in %(currency)s, not EUR.") % {"currency": line.currency}
        return
    if line.is_reversal:
        row.status = BankTransaction.Status.UNMATCHED
        row.note = _("The bank reversed an earlier debit; please check it.")
        return
    if _sepa_credit(line, row):
        return
    match = transfer_match(line=line, index=index)
    row.status = match.status
    row.note = match.note
    if match.status == BankTransaction.Status.MATCHED:
        row.matched_account = match.account
        row.matched_invoice = match.invoices[0] if match.invoices else None
        row.payment = bank_payment_book(transaction_row=row, account=match.account, invoices=match.invoices)


# Which count of the result a processed line adds to.
COUNTERS = {
    BankTransaction.Status.MATCHED: "matched",
    BankTransaction.Status.AMBIGUOUS: "ambiguous",
    BankTransaction.Status.UNMATCHED: "unmatched",
    BankTransaction.Status.RETURN_PROCESSED: "returns",
    BankTransaction.Status.IGNORED: "ignored",
}


def _statements(content: bytes) -> list[Statement]:
    if len(content) > MAX_STATEMENT_BYTES:
        raise StatementRejected(_("The file is larger than 20 MB."))
    try:
        return statement_read(content)
    except CamtError as error:
        raise StatementRejected(str(error)) from error


def statement_check(content: bytes) -> None:
    """Refuse a file that is not a readable camt.053 statement (before anything is saved)."""
    _statements(content)


def bank_statement_import(*, content: bytes, file_name: str, user: AbstractBaseUser | None = None) -> ImportResult:
    """Import a camt.053 file in one transaction (see the module's description)."""
    statements = _statements(content)
    lines = [(statement, line) for statement in statements for line in statement.lines]
    file_hash = hashlib.sha256(content).hexdigest()
    result = ImportResult()
    earlier = BankStatement.objects.filter(file_hash=file_hash).first()
    if earlier is not None:
        result.imported_before = earlier
        result.duplicates = len(lines)
        return result
    index = ReferenceIndex()
    try:
        return _import_lines(
            result=result,
            statements=statements,
            lines=lines,
            content=content,
            file_name=file_name,
            file_hash=file_hash,
            index=index,
            user=user,
        )
    except IntegrityError as error:
        # Another upload of the same file (or of some of its lines) won the race: that one books them.
        earlier = BankStatement.objects.filter(file_hash=file_hash).first()
        if earlier is None:
            raise StatementRejected(
                _("Another import booked some of these lines at the same moment; please upload the file again.")
            ) from error
        return ImportResult(imported_before=earlier, duplicates=len(lines))


def _import_lines(
    *,
    result: ImportResult,
    statements: list[Statement],
    lines: list[tuple[Statement, StatementLine]],
    content: bytes,
    file_name: str,
    file_hash: str,
    index: ReferenceIndex,
    user: AbstractBaseUser | None,
) -> ImportResult:
    with transaction.atomic():
        stored = BankStatement.objects.create(
            original_name=Path(file_name).name[:255],
            file_hash=file_hash,
            statement_id=statements[0].statement_id[:35],
            account_iban=statements[0].iban[:34],
            imported_by=user,
        )
        stored.file.save(f"{file_hash[:16]}.xml", ContentFile(content), save=True)
        for statement, line in lines:
            if BankTransaction.objects.filter(account_iban=statement.iban[:34], entry_ref=line.key).exists():
                result.duplicates += 1
                continue
            row = BankTransaction(
                statement=stored,
                account_iban=statement.iban[:34],
                entry_ref=line.key,
                booking_date=line.booked_on,
                value_date=line.value_date,
                amount=line.amount if line.credit else -line.amount,
                currency=line.currency[:3],
                is_return=line.is_return and not line.credit,
                return_reason_code=line.return_reason[:4],
                counterparty_name=line.counterparty_name[:140],
                counterparty_iban=line.counterparty_iban[:34],
                remittance=line.remittance[:500],
                end_to_end_id=line.end_to_end_id[:35],
            )
            _line_process(line, row, index)
            row.save()
            counter = COUNTERS[BankTransaction.Status(row.status)]
            setattr(result, counter, getattr(result, counter) + 1)
    result.statement = stored
    return result


def statement_summary(result: ImportResult) -> str:
    """The outcome of an import in one sentence."""
    if result.imported_before is not None:
        return _("This statement was imported on %(date)s; nothing was booked again (%(count)s lines).") % {
            "date": formats.date_format(timezone.localtime(result.imported_before.created_at), "SHORT_DATETIME_FORMAT"),
            "count": result.duplicates,
        }
    return (
        _(
            "Statement imported: %(matched)s matched, %(ambiguous)s ambiguous, %(unmatched)s unmatched, "
            "%(returns)s returns, %(duplicates)s duplicates."
        )
        % result.as_counts()
    )
