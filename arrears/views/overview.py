"""The customer's arrears overview: per account what is overdue, the
reminders sent (with their letters), holds and the plan; "Pay now" for
exactly the amount shown. Another customer's notice is 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from arrears.documents import notice_pdf_ensure
from arrears.forms import ArrearsPayForm
from arrears.models import DunningCase, DunningHold, DunningNotice
from arrears.queries.arrears import OverdueItem
from arrears.queries.overview import AccountOverview, account_overview, account_overviews
from arrears.services.plans import PlanProgress, plan_progress
from arrears.views.shared import (
    InstalmentRow,
    instalment_rows,
    language,
    own_account,
    own_accounts,
    own_customer,
    ticket_url,
)
from billing.models import Invoice, LedgerEntry
from core import clock
from payments.services.online import CheckoutRefused, checkout_start

# What a customer reads about a hold (an agent's reasons stay with the agents).
HOLD_TEXTS = {
    DunningHold.Reason.DISPUTE: gettext_lazy("We are checking your objection to a bill"),
    DunningHold.Reason.PAYMENT_PLAN: gettext_lazy("Your payment plan is running"),
    DunningHold.Reason.AGENT: gettext_lazy("Agreed with our team"),
    DunningHold.Reason.VULNERABLE: gettext_lazy("Agreed with our team"),
    DunningHold.Reason.DIRECT_DEBIT_RETURNED: gettext_lazy("We are looking into a returned direct debit"),
    DunningHold.Reason.CHARGEBACK: gettext_lazy("We are looking into a disputed card payment"),
}
CASE_TEXTS = {
    DunningCase.Status.OPEN: (gettext_lazy("Reminders are running"), "text-bg-warning"),
    DunningCase.Status.PLAN: (gettext_lazy("Paused while your payment plan runs"), "text-bg-info"),
    DunningCase.Status.AGENCY: (gettext_lazy("Handed over to a collection agency"), "text-bg-danger"),
    DunningCase.Status.CLOSED: (gettext_lazy("Closed: everything overdue was paid"), "text-bg-success"),
}


@dataclass(frozen=True)
class Section:
    """One account on the overview, with the texts the template shows."""

    overview: AccountOverview
    case_text: str
    case_badge: str
    holds: list[tuple[str, dt.date | None]]
    plan_rows: list[InstalmentRow]
    plan_progress: PlanProgress | None

    @property
    def held_items(self) -> list[OverdueItem]:
        """Overdue items dunning waits for, other than those a plan takes care of (the plan card shows them)."""
        planned = str(DunningHold.Reason.PAYMENT_PLAN.label)
        return [item for item in self.overview.arrears.held_items if item.held != planned]

    @property
    def label_cols(self) -> str:
        """The status card's label width: beside the overdue card, or alone across the page."""
        return "" if self.overview.has_arrears else "col-lg-3"

    @property
    def value_cols(self) -> str:
        return "" if self.overview.has_arrears else "col-lg-9"

    @property
    def notices(self) -> list[tuple[DunningNotice, str]]:
        """The reminders sent, each with its level's name."""
        names = self.overview.level_names
        return [(notice, names.get(notice.level, "")) for notice in self.overview.notices]

    @property
    def next_instalment(self) -> InstalmentRow | None:
        return next((row for row in self.plan_rows if row.status != "paid"), None)


def _section(overview: AccountOverview, *, as_of: dt.date) -> Section:
    case_text, case_badge = ("", "")
    if overview.case is not None:
        text, case_badge = CASE_TEXTS[DunningCase.Status(overview.case.status)]
        case_text = str(text)
    holds = []
    for hold in overview.holds:
        text = str(HOLD_TEXTS.get(hold.reason, _("Reminders are paused")))
        if (text, hold.until) not in holds:
            holds.append((text, hold.until))
    progress = None
    rows: list[InstalmentRow] = []
    if overview.plan is not None:
        progress = plan_progress(plan=overview.plan, as_of=as_of, instalments=list(overview.plan.instalments.all()))
        rows = instalment_rows(progress)
    return Section(
        overview=overview,
        case_text=case_text,
        case_badge=case_badge,
        holds=holds,
        plan_rows=rows,
        plan_progress=progress,
    )


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Per account: what is overdue, the reminders sent, holds and the plan; pay it or propose a plan."""
    customer = own_customer(request)
    accounts = own_accounts(request)
    number = request.GET.get("account")
    shown = [own_account(accounts, number)] if number else accounts
    today = clock.today()
    sections = [
        _section(overview, as_of=today)
        for overview in account_overviews(accounts=shown, as_of=today, language=language())
    ]
    return render(
        request,
        "arrears/overview.html",
        {
            "customer": customer,
            "sections": sections,
            "several_accounts": len(accounts) > 1,
            "pay_token": ArrearsPayForm.new_token(),
            "ticket_url": ticket_url(),
        },
    )


# --- Pay now -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest) -> HttpResponse:
    """Pay exactly the amount the overview showed, on the provider's page.
    GET (the link in a reminder) shows the overview first."""
    if request.method == "GET":
        account = request.GET.get("account")
        return redirect(reverse("arrears:overview") + (f"?account={account}" if account else ""))
    own_customer(request)
    form = ArrearsPayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please start the payment again from this page."))
        return redirect("arrears:overview")
    account = own_account(own_accounts(request), form.cleaned_data["account"])
    back = reverse("arrears:overview") + f"?account={account.number}"
    today = clock.today()
    summary = account_overview(account=account, as_of=today, language=language())
    amount = summary.to_pay
    if amount <= 0:
        messages.info(request, _("Nothing is overdue on this account any more."))
        return redirect(back)
    if amount != form.cleaned_data["amount"]:
        messages.warning(
            request, _("The amount due has changed in the meantime. Please check it and press “Pay now” again.")
        )
        return redirect(back)
    invoice_ids = [
        item.entry.invoice_id
        for item in summary.arrears.due
        if item.entry.invoice_id and item.entry.kind == LedgerEntry.Kind.INVOICE
    ]
    invoices = list(Invoice.objects.filter(pk__in=invoice_ids, status=Invoice.Status.ISSUED).order_by("id"))
    try:
        checkout = checkout_start(
            account=account,
            invoices=invoices,
            created_by=request.user,
            idempotency_key=f"arrears-{request.user.pk}-{form.cleaned_data['token']}",
            as_of=today,
            amount=amount,
        )
    except CheckoutRefused as error:
        messages.error(request, str(error))
        return redirect(back)
    return redirect(checkout.url)


# --- Letters ---------------------------------------------------------------------------------


@login_required
def notice_pdf(request: HttpRequest, notice_id: int) -> HttpResponse:
    """The reminder letter as it was sent."""
    notice = get_object_or_404(
        DunningNotice.objects.select_related("case__account__customer", "case__procedure"),
        pk=notice_id,
        case__account__customer__user=request.user,
    )
    response = HttpResponse(notice_pdf_ensure(notice=notice), content_type="application/pdf")
    filename = _("reminder-%(account)s-level-%(level)s.pdf") % {
        "account": notice.case.account.number,
        "level": notice.level,
    }
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
