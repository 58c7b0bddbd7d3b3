"""The customer's tickets (/service/tickets/): the list, one conversation with
the reply form, rating the answer, and writing to the service team.
Another customer's ticket is 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Customer
from billing.models import Invoice
from core import clock
from support.forms.tickets import MessageForm, RateForm, TicketNewForm, attachments_from
from support.models import Ticket, TicketAttachment, TicketMessage
from support.queries.tickets import customer_ticket, customer_tickets
from support.services.tickets import TicketError, ticket_create, ticket_customer_reply, ticket_rate


def _customer(request: HttpRequest) -> Customer:
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404
    return customer


def _ticket(request: HttpRequest, reference: str) -> tuple[Customer, Ticket]:
    customer = _customer(request)
    ticket = customer_ticket(customer=customer, reference=reference)
    if ticket is None:
        raise Http404
    return customer, ticket


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    tickets = customer_tickets(customer=customer)
    return render(request, "support/tickets/list.html", {"tickets": tickets})


def _detail(request: HttpRequest, ticket: Ticket, *, form=None, rate_form=None, status: int = 200) -> HttpResponse:
    can_rate = (
        ticket.status in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED)
        and ticket.csat_score is None
        and ticket.resolution != Ticket.Resolution.DUPLICATE
    )
    return render(
        request,
        "support/tickets/detail.html",
        {
            "ticket": ticket,
            "form": form or MessageForm(),
            "rate_form": rate_form or RateForm(),
            "can_rate": can_rate,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The conversation; a POST adds the customer's reply."""
    _customer_obj, ticket = _ticket(request, reference)
    if request.method == "GET":
        return _detail(request, ticket)
    form = MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, ticket, form=form, status=400)
    try:
        message = ticket_customer_reply(
            ticket=ticket,
            body=form.cleaned_data["body"],
            as_of=clock.now(),
            attachments=attachments_from(form.cleaned_data["files"]),
        )
    except TicketError as error:
        form.add_error("body", str(error))
        return _detail(request, ticket, form=form, status=400)
    messages.success(request, _("Your message has been sent."))
    return redirect("support:ticket_detail", reference=message.ticket.reference)


@login_required
@require_POST
def ticket_rate_view(request: HttpRequest, reference: str) -> HttpResponse:
    _customer_obj, ticket = _ticket(request, reference)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _detail(request, ticket, rate_form=form, status=400)
    try:
        ticket_rate(
            ticket=ticket,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            as_of=clock.now(),
        )
    except TicketError as error:
        messages.error(request, str(error))
        return redirect("support:ticket_detail", reference=ticket.reference)
    messages.success(request, _("Thank you for your rating."))
    return redirect("support:ticket_detail", reference=ticket.reference)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Write to the service team directly (a new ticket)."""
    customer = _customer(request)
    invoices = Invoice.objects.filter(
        account__customer=customer, status=Invoice.Status.ISSUED, number__isnull=False
    ).order_by("-issue_date", "-id")
    initial = {"kind": request.GET.get("kind", Ticket.Kind.INQUIRY)}
    form = TicketNewForm(request.POST or None, request.FILES or None, invoices=invoices, initial=initial)
    if request.method == "POST" and form.is_valid():
        accounts = list(customer.accounts.order_by("id")[:2])
        invoice = form.cleaned_data["disputed_invoice"]
        try:
            ticket = ticket_create(
                customer=customer,
                kind=form.cleaned_data["kind"],
                channel=Ticket.Channel.PORTAL,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                account=invoice.account if invoice else (accounts[0] if len(accounts) == 1 else None),
                disputed_invoice=invoice,
                as_of=clock.now(),
                attachments=attachments_from(form.cleaned_data["files"]),
            )
        except TicketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Thank you. Your request has the reference %(reference)s.") % {"reference": ticket.reference}
            )
            return redirect("support:ticket_detail", reference=ticket.reference)
    status = 400 if request.method == "POST" else 200
    return render(request, "support/tickets/new.html", {"form": form}, status=status)


@login_required
@require_GET
def attachment_download(request: HttpRequest, reference: str, attachment_id: int) -> FileResponse:
    """A file of a message the customer can see on their own ticket."""
    customer = _customer(request)
    attachment = get_object_or_404(
        TicketAttachment.objects.select_related("message"),
        pk=attachment_id,
        message__ticket__reference=reference,
        message__ticket__customer=customer,
        message__author_kind__in=[TicketMessage.AuthorKind.CUSTOMER, TicketMessage.AuthorKind.AGENT],
    )
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
