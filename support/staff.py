"""Back-office tickets (/staff/tickets/): the queues with filters, SLA
countdown and live refresh; one ticket with the conversation, the actions and
the customer 360 panel; phone tickets; escalations; reports with CSV export.

Agents see only the queues of their groups (supervisors: all); a ticket in
another queue is 404 to them."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Customer
from core import clock
from core.staff import staff_required
from support.forms.tickets import (
    CannedForm,
    MergeForm,
    NoteForm,
    PhoneTicketForm,
    ReplyForm,
    ReportPeriodForm,
    ResolveForm,
    RouteForm,
    StatusForm,
    attachments_from,
)
from support.models import SupportSettings, Ticket, TicketAttachment
from support.queries.reports import report_rows, service_report
from support.queries.tickets import (
    TicketFilters,
    agents_for_queue,
    customer_360,
    due_label,
    escalated_tickets,
    merge_candidates,
    queue_counts,
    queues_for_user,
    ticket_for_staff,
    ticket_queue,
    visible_tickets,
)
from support.services.tickets import (
    TicketError,
    canned_reply_render,
    ticket_assign,
    ticket_create,
    ticket_merge,
    ticket_note,
    ticket_reply,
    ticket_resolve,
    ticket_route,
    ticket_status_change,
)

VIEW = "support.view_ticket"
WORK = "support.work_ticket"
QUEUE_LIMIT = 200
REFRESH_SECONDS = 15
REPORT_DAYS = 30


def _filters(request: HttpRequest) -> TicketFilters:
    get = request.GET
    return TicketFilters(
        queue=get.get("queue", "")[:20],
        status=get.get("status", "open")[:20] or "open",
        kind=get.get("kind", "")[:20],
        assignee=get.get("assignee", "")[:4],
        query=get.get("q", "")[:100],
        sort=get.get("sort", "sla")[:10],
    )


@staff_required(VIEW)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """The agent's tickets: filters, sorted by SLA; htmx refreshes the table every few seconds."""
    filters = _filters(request)
    now = clock.now()
    tickets = list(ticket_queue(user=request.user, filters=filters, limit=QUEUE_LIMIT))
    rows = [
        {
            "ticket": ticket,
            "due": due_label(due=ticket.sla_due_at, now=now) if ticket.is_open else "",
            "overdue": ticket.is_open and ticket.sla_due_at is not None and ticket.sla_due_at <= now,
            "first_due": (
                due_label(due=ticket.first_response_due_at, now=now)
                if ticket.is_open and ticket.first_response_at is None
                else ""
            ),
        }
        for ticket in tickets
    ]
    context = {
        "filters": filters,
        "rows": rows,
        "limit": QUEUE_LIMIT,
        "queues": queue_counts(user=request.user),
        "statuses": Ticket.Status.choices,
        "kinds": Ticket.Kind.choices,
        "refresh_seconds": REFRESH_SECONDS,
        "now": now,
        "query_string": request.GET.urlencode(),
    }
    template = (
        "support/staff/queue.html#table" if request.htmx and not request.htmx.boosted else "support/staff/queue.html"
    )
    return render(request, template, context)


def _ticket_or_404(request: HttpRequest, reference: str) -> Ticket:
    ticket = ticket_for_staff(user=request.user, reference=reference)
    if ticket is None:
        raise Http404
    return ticket


def _page(request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any) -> HttpResponse:
    now = clock.now()
    queues = queues_for_user(user=request.user)
    context = {
        "ticket": ticket,
        "messages_list": list(ticket.messages.all()),
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "canned_form": forms.get("canned_form") or CannedForm(),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "route_form": forms.get("route_form")
        or RouteForm(queues=queues, initial={"queue": ticket.queue_id, "priority": ticket.priority}),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": ticket.status}),
        "merge_form": forms.get("merge_form") or MergeForm(),
        "agents": agents_for_queue(queue=ticket.queue),
        "merge_candidates": merge_candidates(ticket=ticket, user=request.user),
        "panel": customer_360(customer=ticket.customer, ticket=ticket) if ticket.customer else None,
        "due": due_label(due=ticket.sla_due_at, now=now) if ticket.is_open else "",
        "overdue": ticket.is_open and ticket.sla_due_at is not None and ticket.sla_due_at <= now,
        "first_due": (
            due_label(due=ticket.first_response_due_at, now=now)
            if ticket.is_open and ticket.first_response_at is None
            else ""
        ),
        "can_work": request.user.has_perm(WORK),
        "can_reject": ticket.kind in (Ticket.Kind.COMPLAINT, Ticket.Kind.BILLING_DISPUTE),
    }
    return render(request, "support/staff/ticket.html", context, status=status)


@staff_required(VIEW)
@require_GET
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    return _page(request, _ticket_or_404(request, reference))


def _done(request: HttpRequest, ticket: Ticket, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("support_staff:ticket", reference=ticket.reference)


def _refused(request: HttpRequest, ticket: Ticket, error: TicketError) -> HttpResponse:
    messages.error(request, str(error))
    return redirect("support_staff:ticket", reference=ticket.reference)


@staff_required(VIEW, WORK)
@require_POST
def reply(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, ticket, reply_form=form, status=400)
    try:
        ticket_reply(
            ticket=ticket,
            agent=request.user,
            body=form.cleaned_data["body"],
            as_of=clock.now(),
            attachments=attachments_from(form.cleaned_data["files"]),
            wait_for_customer=not form.cleaned_data["keep_open"],
        )
    except TicketError as error:
        form.add_error("body", str(error))
        return _page(request, ticket, reply_form=form, status=400)
    return _done(request, ticket, _("The reply has been sent to the customer."))


@staff_required(VIEW, WORK)
@require_GET
def canned(request: HttpRequest, reference: str) -> HttpResponse:
    """A canned reply filled in for this ticket, put into the reply form (the
    reply field alone for htmx, the whole page otherwise)."""
    ticket = _ticket_or_404(request, reference)
    form = CannedForm(request.GET)
    if not form.is_valid():
        return _page(request, ticket, canned_form=form, status=400)
    reply_form = ReplyForm(
        initial={"body": canned_reply_render(reply=form.cleaned_data["canned"], ticket=ticket, agent=request.user)}
    )
    if request.htmx:
        return render(request, "support/staff/ticket.html#reply-body", {"reply_form": reply_form})
    return _page(request, ticket, reply_form=reply_form, canned_form=form)


@staff_required(VIEW, WORK)
@require_POST
def note(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, note_form=form, status=400)
    try:
        ticket_note(ticket=ticket, agent=request.user, body=form.cleaned_data["body"], as_of=clock.now())
    except TicketError as error:
        return _refused(request, ticket, error)
    return _done(request, ticket, _("The note has been added."))


@staff_required(VIEW, WORK)
@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    """Assign to me, to another agent of the queue, or to nobody."""
    ticket = _ticket_or_404(request, reference)
    choice = request.POST.get("assignee", "")
    if choice == "me":
        assignee = request.user
    elif choice == "":
        assignee = None
    else:
        assignee = next((agent for agent in agents_for_queue(queue=ticket.queue) if str(agent.pk) == choice), None)
        if assignee is None:
            return _refused(request, ticket, TicketError(_("Please choose an agent of this queue.")))
    try:
        ticket_assign(ticket=ticket, assignee=assignee, by=request.user, as_of=clock.now())
    except TicketError as error:
        return _refused(request, ticket, error)
    return _done(request, ticket, _("The assignment has been saved."))


@staff_required(VIEW, WORK)
@require_POST
def route(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = RouteForm(request.POST, queues=queues_for_user(user=request.user))
    if not form.is_valid():
        return _page(request, ticket, route_form=form, status=400)
    try:
        ticket_route(
            ticket=ticket,
            queue=form.cleaned_data["queue"],
            priority=form.cleaned_data["priority"],
            by=request.user,
            as_of=clock.now(),
        )
    except TicketError as error:
        return _refused(request, ticket, error)
    if ticket_for_staff(user=request.user, reference=reference) is None:
        messages.success(request, _("The ticket has been moved."))
        return redirect("support_staff:queue")
    return _done(request, ticket, _("The ticket has been moved."))


@staff_required(VIEW, WORK)
@require_POST
def status(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, status_form=form, status=400)
    try:
        ticket_status_change(ticket=ticket, status=form.cleaned_data["status"], by=request.user, as_of=clock.now())
    except TicketError as error:
        return _refused(request, ticket, error)
    return _done(request, ticket, _("The status has been changed."))


@staff_required(VIEW, WORK)
@require_POST
def resolve(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = _ticket_or_404(request, reference)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, resolve_form=form, status=400)
    try:
        ticket_resolve(
            ticket=ticket,
            agent=request.user,
            body=form.cleaned_data["body"],
            as_of=clock.now(),
            rejected=form.cleaned_data["rejected"],
        )
    except TicketError as error:
        form.add_error(None, str(error))
        return _page(request, ticket, resolve_form=form, status=400)
    return _done(request, ticket, _("The ticket is resolved and the answer has been sent."))


@staff_required(VIEW, WORK)
@require_POST
def merge(request: HttpRequest, reference: str) -> HttpResponse:
    """Merge this ticket (the duplicate) into another one the agent sees."""
    ticket = _ticket_or_404(request, reference)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, merge_form=form, status=400)
    into = visible_tickets(user=request.user).filter(reference=form.cleaned_data["into"].strip().upper()).first()
    if into is None:
        form.add_error("into", _("There is no such ticket in your queues."))
        return _page(request, ticket, merge_form=form, status=400)
    try:
        target = ticket_merge(duplicate=ticket, into=into, by=request.user, as_of=clock.now())
    except TicketError as error:
        form.add_error("into", str(error))
        return _page(request, ticket, merge_form=form, status=400)
    messages.success(request, _("%(duplicate)s has been merged into this ticket.") % {"duplicate": ticket.reference})
    return redirect("support_staff:ticket", reference=target.reference)


@staff_required(VIEW, WORK)
@require_http_methods(["GET", "POST"])
def phone_ticket(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Record a customer's call as a ticket (channel phone)."""
    customer = get_object_or_404(Customer, pk=customer_id)
    form = PhoneTicketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accounts = list(customer.accounts.order_by("id")[:2])
        try:
            ticket = ticket_create(
                customer=customer,
                kind=form.cleaned_data["kind"],
                channel=Ticket.Channel.PHONE,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                account=accounts[0] if len(accounts) == 1 else None,
                as_of=clock.now(),
                created_by=request.user,
            )
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Ticket %(reference)s has been created.") % {"reference": ticket.reference})
            if ticket_for_staff(user=request.user, reference=ticket.reference) is None:
                return redirect("support_staff:queue")
            return redirect("support_staff:ticket", reference=ticket.reference)
    return render(
        request,
        "support/staff/phone_ticket.html",
        {"form": form, "customer": customer},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_required(VIEW)
@require_GET
def attachment(request: HttpRequest, reference: str, attachment_id: int) -> FileResponse:
    ticket = _ticket_or_404(request, reference)
    found = get_object_or_404(TicketAttachment, pk=attachment_id, message__ticket=ticket)
    return FileResponse(found.file.open("rb"), as_attachment=True, filename=found.filename)


@staff_required(VIEW, "support.view_escalations")
@require_GET
def escalations(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    tickets = list(escalated_tickets(user=request.user)[:QUEUE_LIMIT])
    rows = [{"ticket": ticket, "due": due_label(due=ticket.sla_due_at, now=now)} for ticket in tickets]
    return render(request, "support/staff/escalations.html", {"rows": rows})


def _period(request: HttpRequest) -> tuple[ReportPeriodForm, dt.date, dt.date]:
    today = clock.today()
    form = ReportPeriodForm(request.GET or None)
    date_from, date_to = today - dt.timedelta(days=REPORT_DAYS - 1), today
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
        if date_from > date_to:
            date_from = date_to
    return form, date_from, date_to


@staff_required(VIEW, "support.view_ticket_reports")
@require_GET
def reports(request: HttpRequest) -> HttpResponse:
    form, date_from, date_to = _period(request)
    report = service_report(
        date_from=date_from,
        date_to=date_to,
        as_of=clock.now(),
        time_zone=ZoneInfo(SupportSettings.current().time_zone),
    )
    csv_url = f"{reverse('support_staff:reports_csv')}?{request.GET.urlencode()}"
    return render(
        request,
        "support/staff/reports.html",
        {"form": form, "report": report, "csv_url": csv_url},
        status=400 if form.is_bound and form.errors else 200,
    )


@staff_required(VIEW, "support.view_ticket_reports")
@require_GET
def reports_csv(request: HttpRequest) -> HttpResponse:
    _form, date_from, date_to = _period(request)
    report = service_report(
        date_from=date_from,
        date_to=date_to,
        as_of=clock.now(),
        time_zone=ZoneInfo(SupportSettings.current().time_zone),
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="service-report-{date_from}-{date_to}.csv"'
    writer = csv.writer(response)
    writer.writerow(["metric", "dimension", "value"])
    writer.writerows(report_rows(report))
    return response
