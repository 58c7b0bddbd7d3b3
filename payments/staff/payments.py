"""Back-office payment pages: a customer's payments with provider references
and allocations, recording a manual payment, and refunding a credit
balance (with a confirmation step)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import Account, Customer
from billing.services.ledger import balances
from core import clock
from core.money import round_money
from core.staff import staff_required
from payments.forms.payments import ManualPaymentForm, RefundForm
from payments.models import CheckoutSession
from payments.queries.payments import open_invoices, payment_history, refunds_of
from payments.services.payments import PaymentRefused, RefundRefused, payment_record_manual, refund_issue

CHECKOUTS_SHOWN = 20


@staff_required("accounts.view_customer", "payments.view_payment")
def customer_payments(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=customer_id)
    accounts = list(customer.accounts.order_by("number", "id"))
    account_balances = balances(account_ids=[account.pk for account in accounts])
    for account in accounts:
        account.balance = round_money(account_balances[account.pk])
        account.open_items = open_invoices(account=account)
    checkouts = (
        CheckoutSession.objects.filter(account__in=accounts)
        .select_related("account")
        .order_by("-created_at", "-id")[:CHECKOUTS_SHOWN]
    )
    return render(
        request,
        "payments/staff/customer_payments.html",
        {
            "customer": customer,
            "accounts": accounts,
            "rows": payment_history(accounts=accounts),
            "refunds": refunds_of(accounts=accounts),
            "checkouts": checkouts,
        },
    )


def _back(account: Account) -> HttpResponse:
    return redirect("staff_payments:customer", customer_id=account.customer_id)


@staff_required("accounts.view_customer", "payments.add_payment")
@require_http_methods(["GET", "POST"])
def payment_record(request: HttpRequest, account_id: int) -> HttpResponse:
    """Cash at a service centre, a cheque, a transfer seen elsewhere: booked and allocated at once."""
    account = get_object_or_404(Account.objects.select_related("customer"), pk=account_id)
    form = ManualPaymentForm(request.POST or None, account=account, initial={"received_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record_manual(
                account=account,
                amount=data["amount"],
                method=data["method"],
                received_on=data["received_on"],
                invoice=data["invoice"],
                reference=data["reference"],
                payer_name=data["payer_name"],
                created_by=request.user,
                as_of=clock.today(),
            )
        except PaymentRefused as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(
                request,
                _("The payment of %(amount)s EUR was booked on account %(number)s.")
                % {"amount": payment.amount, "number": account.number},
            )
            return _back(account)
    return render(request, "payments/staff/payment_record.html", {"account": account, "form": form})


@staff_required("accounts.view_customer", "payments.add_refund")
@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, account_id: int) -> HttpResponse:
    """A credit balance back to the customer: the form, then a confirmation of what will happen."""
    account = get_object_or_404(Account.objects.select_related("customer"), pk=account_id)
    credit = -round_money(balances(account_ids=[account.pk])[account.pk])
    mandate = account.mandates.filter(status="ACTIVE").order_by("-id").first()
    form = RefundForm(request.POST or None, account=account)
    context = {"account": account, "form": form, "credit": credit, "mandate": mandate}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("confirm") == "no":
            return render(request, "payments/staff/refund.html", context)
        if request.POST.get("confirm") != "yes":
            return render(request, "payments/staff/refund_confirm.html", {**context, "data": data})
        try:
            issued = refund_issue(
                account=account,
                amount=data["amount"],
                method=data["method"],
                payment=data["payment"],
                reason=data["reason"],
                created_by=request.user,
                as_of=clock.today(),
            )
        except RefundRefused as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if issued.status == issued.Status.SUCCEEDED:
                text = _("The refund of %(amount)s EUR went back to the card.")
            elif issued.method == issued.Method.CARD:
                text = _("The refund of %(amount)s EUR was sent to the card; the provider confirms it shortly.")
            else:
                text = _("The refund of %(amount)s EUR to %(iban)s is booked and waits for the bank transfer.")
            messages.success(request, text % {"amount": issued.amount, "iban": issued.masked_iban})
            return _back(account)
    return render(request, "payments/staff/refund.html", context)
