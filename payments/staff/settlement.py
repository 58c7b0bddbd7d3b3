"""Back-office pages of the settlement after final bills: what is being
settled (refunds due by the 2-week rule, sent, debts), and the pain.001
files of refunds to download for the bank and mark sent."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import clock
from core.staff import staff_required
from payments.models import RefundBatch
from payments.queries.settlement import refund_batches, settlements_list
from payments.services.refund_files import (
    RefundFileRefused,
    refund_batch_mark_downloaded,
    refund_batch_mark_sent,
)

VIEW_SETTLEMENTS = "payments.view_settlement"
VIEW_FILES = "payments.view_refundbatch"
CHANGE_FILES = "payments.change_refundbatch"


@staff_required(VIEW_SETTLEMENTS, VIEW_FILES)
@require_GET
def settlements(request: HttpRequest) -> HttpResponse:
    """Open settlements (or all with ?all=1) and the refund transfer files."""
    show_all = request.GET.get("all") == "1"
    context = {
        "settlements": settlements_list(open_only=not show_all),
        "show_all": show_all,
        "batches": refund_batches(),
        "today": clock.today(),
    }
    return render(request, "payments/staff/settlements.html", context)


@staff_required(VIEW_FILES)
@require_GET
def refund_file_download(request: HttpRequest, batch_id: int) -> FileResponse:
    """The pain.001 file for the bank; the first download is remembered."""
    batch = get_object_or_404(RefundBatch, pk=batch_id)
    if not batch.file:
        raise Http404(_("This transfer file has no XML."))
    refund_batch_mark_downloaded(batch=batch, user=request.user)
    return FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=f"pain.001-{batch.execution_date:%Y-%m-%d}-{batch.pk}.xml",
        content_type="application/xml",
    )


@staff_required(VIEW_FILES, CHANGE_FILES)
@require_POST
def refund_file_sent(request: HttpRequest, batch_id: int) -> HttpResponse:
    """The bank has executed the file: its refunds are complete."""
    batch = get_object_or_404(RefundBatch, pk=batch_id)
    try:
        count = refund_batch_mark_sent(batch=batch, user=request.user)
    except RefundFileRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(count)d refunds marked as sent.") % {"count": count})
    return redirect("bank:settlements")
