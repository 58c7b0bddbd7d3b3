"""Reads for customers and accounts."""

from django.db.models import Q, QuerySet

from accounts.models import Account, Customer


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
