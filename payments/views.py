"""The customer's payment pages: history (with CSV and PDF), "Pay now",
the pages the provider sends the customer back to, the sandbox's payment
page, and the providers' webhooks."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Account, Customer
from accounts.queries import accounts_for_user
from billing.services.ledger import balances
from core import clock
from core.money import round_money
from payments.documents import history_csv, history_pdf
from payments.forms.payments import PayForm
from payments.models import CheckoutSession, Settlement
from payments.providers import provider_get, provider_label
from payments.providers.base import WebhookRefused
from payments.providers.sandbox import SandboxProvider
from payments.queries.payments import open_invoices, payment_history, payment_years
from payments.queries.settlement import closing_letters
from payments.services.online import CheckoutRefused, checkout_start, provider_event_receive

logger = logging.getLogger(__name__)


def _customer(request: HttpRequest) -> Customer:
    customer = Customer.objects.filter(user=request.user).first()
    if customer is None:
        raise Http404
    return customer


def _year(request: HttpRequest) -> int | None:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and 1900 < int(value) < 3000 else None


@login_required
def history(request: HttpRequest) -> HttpResponse:
    """Every payment with date, amount, method, status and the bills it paid; filter by year."""
    customer = _customer(request)
    accounts = list(accounts_for_user(request.user).order_by("number", "id"))
    year = _year(request)
    account_balances = balances(account_ids=[account.pk for account in accounts])
    for account in accounts:
        account.balance = round_money(account_balances[account.pk])
    return render(
        request,
        "payments/history.html",
        {
            "customer": customer,
            "accounts": accounts,
            "several_accounts": len(accounts) > 1,
            "rows": payment_history(accounts=accounts, year=year),
            "years": payment_years(accounts=accounts),
            "year": year,
            "closing_letters": list(closing_letters(accounts=accounts)),
        },
    )


@login_required
def closing_letter(request: HttpRequest, settlement_id: int) -> HttpResponse:
    """The closing letter after the final bill, as it was sent."""
    settlement = get_object_or_404(
        Settlement.objects.select_related("account"),
        pk=settlement_id,
        account__customer__user=request.user,
        letter_sent_at__isnull=False,
    )
    if not settlement.letter:
        raise Http404
    with settlement.letter.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type="application/pdf")
    filename = _("closing-letter-%(account)s.pdf") % {"account": settlement.account.number}
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@login_required
def history_export(request: HttpRequest, kind: str) -> HttpResponse:
    """The history (filtered by year) as CSV or a PDF statement."""
    customer = _customer(request)
    accounts = accounts_for_user(request.user)
    year = _year(request)
    rows = payment_history(accounts=accounts, year=year)
    name = f"payments-{year}" if year else "payments"
    if kind == "csv":
        response = HttpResponse(history_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    language = translation.get_language() or customer.language
    pdf = history_pdf(customer=customer, rows=rows, year=year, language=language, as_of=clock.today())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


def _own_account(request: HttpRequest, number: str | None) -> Account:
    accounts = accounts_for_user(request.user).select_related("customer").order_by("number", "id")
    account = accounts.filter(number=number).first() if number else accounts.first()
    if account is None:
        raise Http404
    return account


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """Pay one open bill, several, or the whole balance: off to the provider's page."""
    _customer(request)
    account = _own_account(request, request.POST.get("account") or request.GET.get("account"))
    items = open_invoices(account=account)
    balance = round_money(balances(account_ids=[account.pk])[account.pk])
    form = PayForm(request.POST or None, open_items=items)
    if request.method == "POST" and form.is_valid():
        try:
            checkout = checkout_start(
                account=account,
                invoices=form.chosen_invoices(),
                created_by=request.user,
                idempotency_key=f"web-{request.user.pk}-{form.cleaned_data['token']}",
                as_of=clock.today(),
            )
        except CheckoutRefused as error:
            messages.error(request, str(error))
        else:
            return redirect(checkout.url)
    return render(
        request,
        "payments/pay.html",
        {
            "account": account,
            "accounts": list(accounts_for_user(request.user).order_by("number", "id")),
            "form": form,
            "items": items,
            "balance": balance,
        },
    )


def _own_checkout(request: HttpRequest, checkout_id: int) -> CheckoutSession:
    return get_object_or_404(
        CheckoutSession.objects.select_related("account"),
        pk=checkout_id,
        account__in=accounts_for_user(request.user),
    )


@login_required
def checkout_done(request: HttpRequest, checkout_id: int) -> HttpResponse:
    """Back from the provider: paid, still being confirmed, or failed."""
    checkout = _own_checkout(request, checkout_id)
    return render(request, "payments/checkout_done.html", {"checkout": checkout, "payments": checkout.payments.all()})


@login_required
def checkout_cancelled(request: HttpRequest, checkout_id: int) -> HttpResponse:
    checkout = _own_checkout(request, checkout_id)
    return render(request, "payments/checkout_cancelled.html", {"checkout": checkout})


@login_required
@require_http_methods(["GET", "POST"])
def sandbox(request: HttpRequest, checkout_id: int) -> HttpResponse:
    """The sandbox's payment page: "Pay (success)" or "Fail", no real money.
    Either sends an event through the same processing as a real provider's webhook."""
    checkout = _own_checkout(request, checkout_id)
    if checkout.provider != SandboxProvider.identifier:
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action")
        if action not in ("pay", "fail"):
            return redirect("payments:sandbox", checkout_id=checkout.pk)
        provider = provider_get(SandboxProvider.identifier)
        event = provider.event_build(checkout=checkout, succeeded=action == "pay")
        provider_event_receive(provider=provider, event=event, as_of=clock.today())
        if action == "pay":
            return redirect("payments:checkout_done", checkout_id=checkout.pk)
        messages.error(request, _("The payment failed. Nothing was charged; you can try again."))
        return redirect("payments:checkout_cancelled", checkout_id=checkout.pk)
    return render(
        request,
        "payments/sandbox.html",
        {"checkout": checkout, "invoices": checkout.invoices.all(), "provider_name": provider_label("sandbox")},
    )


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """A provider's webhook delivery: 400 unless its signature checks out on
    the raw body; 200 once applied (or for a delivery seen before)."""
    try:
        payment_provider = provider_get(provider)
    except KeyError as error:
        raise Http404 from error
    try:
        event = payment_provider.webhook_receive(request)
    except WebhookRefused as error:
        logger.warning("webhook from %s refused: %s", provider, error)
        return HttpResponse(str(error), status=400, content_type="text/plain")
    row, applied = provider_event_receive(provider=payment_provider, event=event, as_of=clock.today())
    text = row.result if applied else "duplicate: already processed"
    return HttpResponse(text, status=200, content_type="text/plain")
