"""The back-office shell: customer search, the customer 360 page, phone onboarding."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.decorators import method_decorator

from accounts.models import Account, Customer, SepaMandate
from accounts.queries import customer_search
from accounts.views import OnboardingWizard
from portal.core.queries import outbox_for


def staff_required(permission: str):
    """Signed-in staff with `permission`; others get the login page or 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (request.user.is_staff and request.user.has_perm(permission)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@staff_required("accounts.view_customer")
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    results = list(customer_search(query=query)) if query else []
    template = "staff/search.html#results" if request.htmx and not request.htmx.boosted else "staff/search.html"
    return render(request, template, {"query": query, "results": results})


def _history(customer: Customer, accounts: list[Account], mandates: list[SepaMandate]) -> list[dict[str, Any]]:
    """Every change to the customer, their accounts and mandates: who, when, old -> new."""
    entries: list[dict[str, Any]] = []
    sources = [
        (customer.history.select_related("history_user"), Customer),
        (Account.history.filter(id__in=[a.pk for a in accounts]).select_related("history_user"), Account),
        (SepaMandate.history.filter(id__in=[m.pk for m in mandates]).select_related("history_user"), SepaMandate),
    ]
    for records, model in sources:
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
                        "when": record.history_date,
                        "who": record.history_user,
                        "kind": record.get_history_type_display(),
                        "object": f"{model._meta.verbose_name} {record.instance}",
                        "changes": changes,
                    }
                )
                previous = record
    entries.sort(key=lambda e: e["when"], reverse=True)
    return entries


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
    context = {
        "customer": customer,
        "accounts": accounts,
        "mandates": mandates,
        "outbox": outbox_for(customer)[:50],
        "history": _history(customer, accounts, mandates),
        "tab": request.GET.get("tab", "overview"),
    }
    return render(request, "staff/customer_detail.html", context)


@method_decorator(staff_required("accounts.add_customer"), name="dispatch")
class StaffOnboardingWizard(OnboardingWizard):
    """An agent onboards a customer on the phone through the same service."""

    session_key = "staff_onboarding"
    url_name = "staff:onboarding_step"
    staff_mode = True

    def done_url(self, account: Account) -> str:
        return reverse("staff:customer", kwargs={"customer_id": account.customer_id}) + "?onboarded=1"
