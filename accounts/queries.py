"""Reads for customers and accounts."""

from django.db.models import Q, QuerySet

from accounts.models import Account, Customer, CustomerChange, PendingChange


def customer_search(*, query: str, limit: int = 50) -> QuerySet[Customer]:
    """Customers by name, company, e-mail, account number or postcode."""
    q = (query or "").strip()
    customers = Customer.objects.all()
    if not q:
        return customers.none()
    condition = (
        Q(email__icontains=q)
        | Q(company_name__icontains=q)
        | Q(accounts__number__startswith=q.replace(" ", ""))
        | Q(accounts__postcode__startswith=q)
        | Q(external_ref=q)
    )
    name_match = Q()
    for word in q.split():
        name_match &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
    condition |= name_match
    ids = customers.filter(condition).values("id").distinct()
    return (
        Customer.objects.filter(id__in=ids)
        .prefetch_related("accounts")
        .order_by("last_name", "first_name", "id")[:limit]
    )


def accounts_for_user(user) -> QuerySet[Account]:
    """The signed-in customer's accounts (empty for anyone else)."""
    if not user.is_authenticated:
        return Account.objects.none()
    return Account.objects.filter(customer__user=user)


def customer_changes(*, customer: Customer, limit: int = 200) -> QuerySet[CustomerChange]:
    """The audit trail of a customer and all their accounts, newest first."""
    return (
        CustomerChange.objects.filter(customer=customer)
        .select_related("by", "approved_by", "representative", "account")
        .order_by("-at", "-id")[:limit]
    )


def account_changes(*, account: Account) -> QuerySet[CustomerChange]:
    """The audit trail of an account: its own changes and its customer's, newest first."""
    return (
        CustomerChange.objects.filter(customer_id=account.customer_id)
        .filter(Q(account=account) | Q(account__isnull=True))
        .select_related("by", "representative")
        .order_by("-at", "-id")
    )


def pending_changes_waiting() -> QuerySet[PendingChange]:
    """Business name and account holder changes waiting for a second person, oldest first."""
    return (
        PendingChange.objects.filter(
            status=PendingChange.Status.PENDING,
            kind__in=[PendingChange.Kind.BUSINESS_NAME, PendingChange.Kind.HOLDER],
        )
        .select_related("customer", "requested_by_user", "representative")
        .order_by("requested_at", "id")
    )
