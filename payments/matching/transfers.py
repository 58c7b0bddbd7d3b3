"""Who a credit transfer on a bank statement is from: by the invoice or
account numbers in its remittance text first, then by one open invoice of
exactly its amount whose customer has the payer's name."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts.models import Account
from billing.models import Invoice, LedgerClearing, LedgerEntry
from payments.files.camt import StatementLine
from payments.matching.references import names_match, reference_key, references_in
from payments.models import BankTransaction


@dataclass(frozen=True)
class Match:
    status: str
    account: Account | None = None
    invoices: tuple[Invoice, ...] = ()
    note: str = ""


class ReferenceIndex:
    """Invoice and account numbers by their normalized form, loaded once per import."""

    def __init__(self) -> None:
        self.invoices: dict[str, tuple[int, int]] = {
            reference_key(number): (pk, account_id)
            for number, pk, account_id in Invoice.objects.filter(
                kind__in=Invoice.PAYABLE_KINDS,
                status__in=(Invoice.Status.ISSUED, Invoice.Status.CANCELLED),
                number__isnull=False,
            ).values_list("number", "pk", "account_id")
        }
        self.accounts: dict[str, int] = {
            reference_key(number): pk for number, pk in Account.objects.values_list("number", "pk")
        }


def _by_reference(line: StatementLine, index: ReferenceIndex) -> Match | None:
    invoice_hits = references_in(line.remittance, index.invoices)
    account_hits = references_in(line.remittance, index.accounts)
    account_ids = list(dict.fromkeys([account_id for _pk, account_id in invoice_hits] + account_hits))
    if not account_ids:
        return None
    accounts = Account.objects.in_bulk(account_ids)
    if len(account_ids) > 1:
        numbers = ", ".join(accounts[pk].number for pk in account_ids)
        return Match(
            BankTransaction.Status.AMBIGUOUS,
            note=_("The reference names several accounts: %(numbers)s.") % {"numbers": numbers},
        )
    invoices = Invoice.objects.in_bulk([pk for pk, _account_id in invoice_hits])
    ordered = tuple(invoices[pk] for pk, _account_id in invoice_hits)
    return Match(BankTransaction.Status.MATCHED, account=accounts[account_ids[0]], invoices=ordered)


def _by_amount_and_name(line: StatementLine) -> Match:
    if not line.counterparty_name:
        return Match(BankTransaction.Status.UNMATCHED, note=_("No reference and no payer name."))
    settled = LedgerClearing.objects.filter(debit_id=OuterRef("pk"), reversed_at__isnull=True)
    candidates = [
        entry
        for entry in LedgerEntry.objects.filter(
            kind=LedgerEntry.Kind.INVOICE, amount=line.amount, invoice__status=Invoice.Status.ISSUED
        )
        .exclude(Exists(settled))
        .select_related("invoice", "account")
        .order_by("id")
        if names_match(line.counterparty_name, entry.invoice.customer_name)
    ]
    if len(candidates) == 1:
        entry = candidates[0]
        return Match(BankTransaction.Status.MATCHED, account=entry.account, invoices=(entry.invoice,))
    if candidates:
        numbers = ", ".join(entry.invoice.number for entry in candidates[:10])
        return Match(
            BankTransaction.Status.AMBIGUOUS,
            note=_("Several open invoices of this amount and name: %(numbers)s.") % {"numbers": numbers},
        )
    return Match(BankTransaction.Status.UNMATCHED, note=_("No reference found and no open invoice of this amount."))


def transfer_match(*, line: StatementLine, index: ReferenceIndex) -> Match:
    """Who a credit transfer is from: by reference first, then by amount and name."""
    return _by_reference(line, index) or _by_amount_and_name(line)
