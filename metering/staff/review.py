"""The agents' review queue of suspect meter reads: accept, reject with a
reason (the customer is told) or correct; every decision is a ReadReview,
shown on the read's page. Also a read's page, its photo and the whole read
history of one supply for agents."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.staff import staff_required
from metering.forms import ReviewCorrectForm, ReviewRejectForm
from metering.queries.reads import HISTORY_PAGE_SIZE, history_queryset, history_rows
from metering.queries.review import REVIEW_QUEUE_LIMIT, read_detail, review_queue, staff_agreement, suspect_reads_count
from metering.services.intake import ReviewRefused, review_accept, review_correct, review_reject
from meters.models import Read, ReadReview

QUEUE_TEMPLATE = "metering/staff/review/queue.html"
DECIDE_PERMISSION = "meters.change_read"
PHOTO_TYPES = {"jpg": "image/jpeg", "png": "image/png", "heic": "image/heic", "heif": "image/heif"}


def _queue(request: HttpRequest, *, problems: dict[int, dict[str, Any]] | None = None) -> HttpResponse:
    rows = review_queue(limit=REVIEW_QUEUE_LIMIT)
    problems = problems or {}
    for row in rows:
        _with_forms(row, problems.get(row.read.pk))
    context = {"rows": rows, "count": suspect_reads_count(), "limit": REVIEW_QUEUE_LIMIT}
    return render(request, QUEUE_TEMPLATE, context)


def _with_forms(row, problem: dict[str, Any] | None) -> None:
    problem = problem or {}
    prefix = f"read{row.read.pk}"
    row.reject_form = problem.get("reject") or ReviewRejectForm(prefix=prefix)
    row.correct_form = problem.get("correct") or ReviewCorrectForm(prefix=prefix)
    row.error = problem.get("error", "")


@staff_required("meters.view_read")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Suspect reads, oldest first."""
    return _queue(request)


def _suspect(read_id: int) -> Read:
    return get_object_or_404(Read.objects.select_related("register__meter"), pk=read_id)


def _problem_text(problem: dict[str, Any]) -> str:
    """Why a decision was not taken, as one sentence."""
    texts = [problem.get("error", "")]
    for key in ("reject", "correct"):
        if key in problem:
            texts.extend(error for errors in problem[key].errors.values() for error in errors)
    return " ".join(text for text in texts if text)


def _answer(request: HttpRequest, read: Read, *, review: ReadReview | None, problem: dict[str, Any]) -> HttpResponse:
    """After a decision: the row redrawn (HTMX), else the queue."""
    if review is not None:
        done = _("%(decision)s: reading %(value)s of meter %(serial)s.") % {
            "decision": review.get_decision_display().capitalize(),
            "value": formats.number_format(read.value.normalize(), force_grouping=True),
            "serial": read.register.meter.serial,
        }
        if request.htmx:
            return render(request, f"{QUEUE_TEMPLATE}#decided", {"read": read, "review": review, "done": done})
        messages.success(request, done)
        return redirect("staff:read_review")
    rows = review_queue(read_ids=[read.pk])
    if not rows:  # decided by someone else meanwhile
        if request.htmx:
            return render(request, f"{QUEUE_TEMPLATE}#gone", {"read": read, "error": _problem_text(problem)})
        messages.error(request, _problem_text(problem))
        return redirect("staff:read_review")
    if request.htmx:
        _with_forms(rows[0], problem)
        return render(request, f"{QUEUE_TEMPLATE}#row", {"row": rows[0]})
    return _queue(request, problems={read.pk: problem})


@staff_required(DECIDE_PERMISSION)
@require_POST
def accept(request: HttpRequest, read_id: int) -> HttpResponse:
    read = _suspect(read_id)
    try:
        review = review_accept(read=read, agent=request.user)
    except ReviewRefused as error:
        return _answer(request, read, review=None, problem={"error": str(error)})
    return _answer(request, read, review=review, problem={})


@staff_required(DECIDE_PERMISSION)
@require_POST
def reject(request: HttpRequest, read_id: int) -> HttpResponse:
    read = _suspect(read_id)
    form = ReviewRejectForm(request.POST, prefix=f"read{read.pk}")
    if not form.is_valid():
        return _answer(request, read, review=None, problem={"reject": form})
    try:
        review = review_reject(read=read, agent=request.user, reason=form.cleaned_data["reason"])
    except ReviewRefused as error:
        form.add_error("reason", str(error))
        return _answer(request, read, review=None, problem={"reject": form})
    return _answer(request, read, review=review, problem={})


@staff_required(DECIDE_PERMISSION)
@require_POST
def correct(request: HttpRequest, read_id: int) -> HttpResponse:
    read = _suspect(read_id)
    form = ReviewCorrectForm(request.POST, prefix=f"read{read.pk}")
    if not form.is_valid():
        return _answer(request, read, review=None, problem={"correct": form})
    try:
        review = review_correct(read=read, agent=request.user, value=form.cleaned_data["value"])
    except ReviewRefused as error:
        form.add_error("value", str(error))
        return _answer(request, read, review=None, problem={"correct": form})
    return _answer(request, read, review=review, problem={})


@staff_required("meters.view_read")
@require_GET
def read_page(request: HttpRequest, read_id: int) -> HttpResponse:
    """One read with the read it was compared with and every decision on it."""
    detail = read_detail(read_id=read_id)
    if detail is None:
        raise Http404
    return render(request, "metering/staff/review/read.html", {"detail": detail, "read": detail.read})


@staff_required("meters.view_read")
@require_GET
def read_photo(request: HttpRequest, read_id: int) -> FileResponse:
    """The meter photo a customer sent with a read (kept out of public media)."""
    read = get_object_or_404(Read, pk=read_id)
    if not read.photo:
        raise Http404
    extension = read.photo.name.rsplit(".", 1)[-1].lower()
    content_type = PHOTO_TYPES.get(extension)
    if content_type is None:
        raise Http404
    try:
        stream = read.photo.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    return FileResponse(stream, content_type=content_type)


@staff_required("meters.view_read")
@require_GET
def read_history(request: HttpRequest, agreement_id: int) -> HttpResponse:
    """Every read of a supply while the agreement supplied it, newest first, with the decisions."""
    agreement = staff_agreement(agreement_id=agreement_id)
    if agreement is None:
        raise Http404
    reads = history_queryset(agreement=agreement, for_staff=True)
    page = Paginator(reads, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    back_url = reverse("staff:customer", kwargs={"customer_id": agreement.account.customer_id}) + "?tab=reads"
    return render(
        request,
        "metering/history.html",
        {
            "agreement": agreement,
            "page": page,
            "rows": history_rows(page.object_list, for_staff=True),
            "for_staff": True,
            "back_url": back_url,
        },
    )
