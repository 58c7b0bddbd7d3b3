"""Site shell: home / dashboard, health check, admin pages that moved."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import redirect, render

from accounts.models import Customer
from core import clock
from core.queries import outbox_for
from supply.queries import supply_cards


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "portal/landing.html")
    if request.user.is_staff and not hasattr(request.user, "customer"):
        return redirect("staff:search")
    return dashboard(request)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    customer = Customer.objects.filter(user=request.user).prefetch_related("accounts__mandates").first()
    if customer is None:
        return redirect("onboarding")
    accounts = list(customer.accounts.all())
    for account in accounts:
        account.active_mandate = next((m for m in account.mandates.all() if m.is_active), None)
    recent_messages = outbox_for(customer)[:5]
    supplies = supply_cards(customer=customer, day=clock.today())
    return render(
        request,
        "portal/dashboard.html",
        {
            "customer": customer,
            "accounts": accounts,
            "supplies": supplies,
            "several_accounts": len(accounts) > 1,
            "recent_messages": recent_messages,
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachability, as JSON (200 ok, 503 otherwise)."""
    from portal.celery import app

    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(error).__name__}"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["broker"] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


# Admin pages of models that moved to another app when the apps were split:
# old bookmarks keep working. (app in the old URL, model) -> app now.
ADMIN_MOVED = {
    **{("billing", model): "supply" for model in ("tariff", "tariffversion", "tariffprice", "vatrate")},
    ("billing", "serviceagreement"): "supply",
    ("billing", "billingpreferences"): "accounts",
    ("billing", "dunninghold"): "arrears",
    **{
        ("metering", model): "meters"
        for model in (
            "premise",
            "supplypoint",
            "meter",
            "register",
            "read",
            "gasconversionfactor",
            "plausibilityband",
            "readreview",
        )
    },
}


def admin_moved(request: HttpRequest, app: str, model: str, rest: str) -> HttpResponse:
    """/admin/billing/tariff/… -> /admin/supply/tariff/… (query string kept)."""
    target = ADMIN_MOVED[(app, model)]
    query = f"?{request.META['QUERY_STRING']}" if request.META.get("QUERY_STRING") else ""
    return HttpResponsePermanentRedirect(f"/admin/{target}/{model}/{rest}{query}")
