"""After the final bill: the supplies it covers become ENDED, and budget
instalments falling due after the last day of supply are cancelled.

A final bill (Invoice.Kind.FINAL) is issued by a bill run or released by an
agent after a hold; the daily settlement concludes every issued final bill
that still has something to conclude, so both ways are covered and a second
run changes nothing. An instalment raised for a day after the end (a
move-out reported late) is credited back with its own ledger entry (key
"instalment-cancelled:<id>") and counts as settled by the final bill.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.models import Instalment, Invoice, LedgerEntry
from billing.services.ledger import ledger_book, ledger_clear
from supply.models import ServiceAgreement
from supply.services.agreements import agreement_end


def _ending(invoice: Invoice, *, as_of: dt.date):
    return ServiceAgreement.objects.filter(
        account_id=invoice.account_id,
        status=ServiceAgreement.Status.ENDING,
        end_date__lte=invoice.period_end,
        end_date__lt=as_of,
    )


def final_bill_conclude(*, invoice_id: int, as_of: dt.date) -> bool:
    """End the agreements an issued final bill covers and cancel the
    instalments due after its period. False when there was nothing to do."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().select_related("account__customer").get(pk=invoice_id)
        if invoice.kind != Invoice.Kind.FINAL or invoice.status != Invoice.Status.ISSUED:
            return False
        agreement_ids = list(_ending(invoice, as_of=as_of).order_by("id").values_list("pk", flat=True))
        for agreement_id in agreement_ids:
            agreement_end(agreement_id=agreement_id, as_of=as_of)
        later = list(
            Instalment.objects.select_for_update()
            .filter(account_id=invoice.account_id, settled_by__isnull=True, due_date__gt=invoice.period_end)
            .order_by("due_date", "id")
        )
        for instalment in later:
            with translation.override(invoice.account.customer.language):
                text = _("Instalment %(date)s cancelled: supply ended") % {
                    "date": date_format(instalment.due_date, "SHORT_DATE_FORMAT")
                }
            ledger_book(
                account=invoice.account,
                kind=LedgerEntry.Kind.INSTALMENT_CREDIT,
                amount=-instalment.amount,
                booked_on=as_of,
                key=f"instalment-cancelled:{instalment.pk}",
                text=text,
                invoice=invoice,
                reference=invoice.number or "",
            )
        if later:
            Instalment.objects.filter(pk__in=[i.pk for i in later]).update(settled_by=invoice)
            ledger_clear(account=invoice.account)
    return bool(agreement_ids or later)


def final_bills_to_conclude(*, as_of: dt.date) -> list[int]:
    """Issued final bills whose agreements are still ENDING or whose account
    has instalments due after the end not yet cancelled."""
    ending = ServiceAgreement.objects.filter(
        account_id=OuterRef("account_id"),
        status=ServiceAgreement.Status.ENDING,
        end_date__lte=OuterRef("period_end"),
        end_date__lt=as_of,
    )
    later = Instalment.objects.filter(
        account_id=OuterRef("account_id"), settled_by__isnull=True, due_date__gt=OuterRef("period_end")
    )
    return list(
        Invoice.objects.filter(kind=Invoice.Kind.FINAL, status=Invoice.Status.ISSUED)
        .filter(Exists(ending) | Exists(later))
        .order_by("id")
        .values_list("pk", flat=True)
    )


def final_bills_conclude(*, as_of: dt.date) -> list[int]:
    """Conclude every issued final bill that needs it (idempotent); each in
    its own transaction. Returns the bills concluded now."""
    return [
        invoice_id
        for invoice_id in final_bills_to_conclude(as_of=as_of)
        if final_bill_conclude(invoice_id=invoice_id, as_of=as_of)
    ]
