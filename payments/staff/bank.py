"""Back-office bank pages: the SEPA direct-debit files (download, mark
confirmed), the upload of bank statements, and the reconciliation queue
where an agent assigns or ignores the lines the import could not match."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.staff import staff_required
from payments.forms.bank import AssignForm, IgnoreForm, StatementUploadForm
from payments.models import BankTransaction, SepaBatch
from payments.queries.bank import (
    QUEUE_LIMIT,
    bank_statements,
    reconciliation_count,
    reconciliation_queue,
    sepa_batch_collections,
    sepa_batches,
)
from payments.services.bank_statements import QUEUE_STATES, bank_statement_import, statement_summary
from payments.services.reconciliation import ReconciliationRefused, bank_transaction_assign, bank_transaction_ignore
from payments.services.sepa import sepa_batch_confirm, sepa_batch_mark_downloaded

VIEW_BATCHES = "payments.view_sepabatch"
CONFIRM_BATCHES = "payments.change_sepabatch"
IMPORT_STATEMENTS = "payments.add_bankstatement"
VIEW_QUEUE = "payments.view_banktransaction"
DECIDE_QUEUE = "payments.change_banktransaction"


@staff_required(VIEW_BATCHES)
@require_GET
def batches(request: HttpRequest) -> HttpResponse:
    """The latest direct-debit files, newest collection date first."""
    return render(request, "payments/staff/sepa_batches.html", {"batches": sepa_batches(), "today": clock.today()})


@staff_required(VIEW_BATCHES)
@require_GET
def batch(request: HttpRequest, batch_id: int) -> HttpResponse:
    """One file and its collections."""
    found = get_object_or_404(SepaBatch.objects.select_related("downloaded_by"), pk=batch_id)
    context = {"batch": found, "collections": sepa_batch_collections(batch=found), "today": clock.today()}
    return render(request, "payments/staff/sepa_batch.html", context)


@staff_required(VIEW_BATCHES)
@require_GET
def batch_download(request: HttpRequest, batch_id: int) -> FileResponse:
    """The pain.008 file for the bank; the first download is remembered."""
    found = get_object_or_404(SepaBatch, pk=batch_id)
    if not found.file:
        raise Http404(_("This collection file has no XML."))
    sepa_batch_mark_downloaded(batch=found, user=request.user)
    return FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=f"pain.008-{found.collection_date:%Y-%m-%d}.xml",
        content_type="application/xml",
    )


@staff_required(CONFIRM_BATCHES)
@require_POST
def batch_confirm(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The bank has collected the file: book every collection still pending."""
    found = get_object_or_404(SepaBatch, pk=batch_id)
    today = clock.today()
    if today < found.collection_date:
        messages.error(
            request,
            _("The bank collects on %(date)s; a file can be confirmed from that day on.")
            % {"date": formats.date_format(found.collection_date, "SHORT_DATE_FORMAT")},
        )
    else:
        booked = sepa_batch_confirm(batch=found, as_of=today)
        messages.success(request, _("%(count)d collections booked as paid.") % {"count": booked})
    return redirect("bank:sepa_batch", batch_id=found.pk)


@staff_required(IMPORT_STATEMENTS)
def statements(request: HttpRequest) -> HttpResponse:
    """Upload a camt.053 statement; the latest imports with their counts."""
    form = StatementUploadForm(request.POST, request.FILES) if request.method == "POST" else StatementUploadForm()
    if form.is_bound and form.is_valid():
        result = bank_statement_import(content=form.content, file_name=form.file_name, user=request.user)
        level = messages.WARNING if result.imported_before is not None else messages.SUCCESS
        messages.add_message(request, level, statement_summary(result))
        return redirect("bank:statements")
    return render(request, "payments/staff/statements.html", {"form": form, "statements": bank_statements()})


@staff_required(VIEW_QUEUE)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Credits the import could not match (or matched to several accounts), oldest first."""
    context = {"rows": reconciliation_queue(), "count": reconciliation_count(), "limit": QUEUE_LIMIT}
    return render(request, "payments/staff/queue.html", context)


@staff_required(VIEW_QUEUE, DECIDE_QUEUE)
def line(request: HttpRequest, transaction_id: int) -> HttpResponse:
    """One queued line: assign it to an account (and an invoice), or ignore it with a reason."""
    row = get_object_or_404(
        BankTransaction.objects.select_related("statement", "matched_account", "assigned_by", "payment"),
        pk=transaction_id,
    )
    action = request.POST.get("action") if request.method == "POST" else None
    assign = AssignForm(request.POST if action == "assign" else None, prefix="assign")
    ignore = IgnoreForm(request.POST if action == "ignore" else None, prefix="ignore")
    try:
        if action == "assign" and assign.is_valid():
            account = assign.cleaned_data["account_number"]
            bank_transaction_assign(
                transaction_id=row.pk,
                account=account,
                invoice=assign.cleaned_data["invoice_number"],
                user=request.user,
                note=assign.cleaned_data["note"],
            )
            messages.success(
                request,
                _("%(amount)s EUR booked to account %(number)s.") % {"amount": row.amount, "number": account.number},
            )
            return redirect("bank:queue")
        if action == "ignore" and ignore.is_valid():
            bank_transaction_ignore(transaction_id=row.pk, user=request.user, note=ignore.cleaned_data["reason"])
            messages.success(request, _("The line is marked as needing no booking."))
            return redirect("bank:queue")
    except ReconciliationRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("bank:line", transaction_id=row.pk)
    context = {
        "row": row,
        "assign": assign,
        "ignore": ignore,
        "open": row.status in QUEUE_STATES,
        "can_assign": row.status in QUEUE_STATES and row.amount > 0 and not row.is_return,
    }
    return render(request, "payments/staff/line.html", context, status=400 if action else 200)
