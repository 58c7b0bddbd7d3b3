"""The back-office shell: customer search, the customer 360 page and phone
onboarding. Each app's own back-office pages live in its `staff` module."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator

from accounts.changes import field_label
from accounts.models import Account, Customer, PendingChange, Representative, SepaMandate
from accounts.queries import customer_changes, customer_search
from accounts.views import OnboardingWizard
from core import clock
from core.queries import outbox_for
from core.staff import staff_required
from metering.queries.reads import customer_reads
from supply.models import ServiceAgreement
from supply.queries import STATUS_BADGES, customer_supplies
from supply.staff import CORRECTABLE


@staff_required("accounts.view_customer")
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = list(customer_search(query=query)) if query else []
    template = "staff/search.html#results" if request.htmx and not request.htmx.boosted else "staff/search.html"
    return render(request, template, {"query": query, "results": results})


def _versions(
    records: models.QuerySet, model: type[models.Model], names: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """History records as entries (who, when, old -> new), oldest first per
    object; `names` labels the objects without loading each record's relations."""
    entries: list[dict[str, Any]] = []
    by_object: dict[int, list] = {}
    for record in records.order_by("history_date", "history_id"):
        by_object.setdefault(record.id, []).append(record)
    for versions in by_object.values():
        previous = None
        for record in versions:
            changes = []
            if previous is not None:
                delta = record.diff_against(previous)
                changes = [
                    {"field": model._meta.get_field(c.field).verbose_name, "old": c.old, "new": c.new}
                    for c in delta.changes
                ]
            entries.append(
                {
                    "id": record.id,
                    "history_id": record.history_id,
                    "when": record.history_date,
                    "who": record.history_user,
                    "kind": record.get_history_type_display(),
                    "object": f"{model._meta.verbose_name} {names[record.id] if names else record.instance}",
                    "changes": changes,
                }
            )
            previous = record
    return entries


def _history(
    customer: Customer,
    accounts: list[Account],
    mandates: list[SepaMandate],
    agreement_history: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Every change to the customer, their accounts, mandates and agreements: who, when, old -> new."""
    entries: list[dict[str, Any]] = list(agreement_history or [])
    sources = [
        (customer.history.select_related("history_user"), Customer),
        (Account.history.filter(id__in=[a.pk for a in accounts]).select_related("history_user"), Account),
        (SepaMandate.history.filter(id__in=[m.pk for m in mandates]).select_related("history_user"), SepaMandate),
    ]
    for records, model in sources:
        entries.extend(_versions(records, model))
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries


def _supplies(customer: Customer) -> tuple[list[ServiceAgreement], list[dict[str, Any]]]:
    """The customer's agreements, each with its own change history (newest first)."""
    agreements = customer_supplies(customer=customer)
    records = ServiceAgreement.history.filter(id__in=[a.pk for a in agreements]).select_related("history_user")
    history = _versions(records, ServiceAgreement, names={a.pk: str(a) for a in agreements})
    for agreement in agreements:
        agreement.awaits_start = agreement.status in CORRECTABLE
        agreement.badge = STATUS_BADGES[ServiceAgreement.Status(agreement.status)]
        agreement.change_log = sorted(
            (e for e in history if e["id"] == agreement.pk), key=lambda e: (e["when"], e["history_id"]), reverse=True
        )
    return agreements, history


@staff_required("accounts.view_customer")
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_object_or_404(
        Customer.objects.select_related("user").prefetch_related(
            Prefetch("accounts", queryset=Account.objects.order_by("id").prefetch_related("mandates"))
        ),
        pk=customer_id,
    )
    accounts = list(customer.accounts.all())
    mandates = [m for a in accounts for m in a.mandates.all()]
    may_see_supplies = request.user.has_perm("supply.view_serviceagreement")
    supplies, agreement_history = _supplies(customer) if may_see_supplies else ([], [])
    context = {
        "customer": customer,
        "accounts": accounts,
        "mandates": mandates,
        "outbox": outbox_for(customer)[:50] if request.user.has_perm("core.view_outboxmessage") else [],
        "history": _history(customer, accounts, mandates, agreement_history),
        "may_see_supplies": may_see_supplies,
        "supplies": supplies,
        "tab": request.GET.get("tab", "overview"),
    }
    changes = list(customer_changes(customer=customer))
    for change in changes:
        change.label = field_label(change.field)
    context["changes"] = changes
    context["representatives"] = list(
        Representative.objects.filter(account__customer=customer).select_related("account").order_by("name", "id")
    )
    context["pending_changes"] = list(
        PendingChange.objects.filter(customer=customer, status=PendingChange.Status.PENDING).order_by("id")
    )
    context["may_see_reads"] = request.user.has_perm("meters.view_read")
    if context["may_see_reads"] and context["tab"] == "reads":
        context["reads"] = customer_reads(customer=customer, as_of=clock.now(), for_staff=True)
    return render(request, "staff/customer_detail.html", context)


@method_decorator(staff_required("accounts.add_customer"), name="dispatch")
class StaffOnboardingWizard(OnboardingWizard):
    """An agent onboards a customer on the phone through the same service."""

    session_key = "staff_onboarding"
    url_name = "staff:onboarding_step"
    staff_mode = True

    def done_url(self, account: Account) -> str:
        return reverse("staff:customer", kwargs={"customer_id": account.customer_id}) + "?onboarded=1"
