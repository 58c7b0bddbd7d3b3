"""Which tables hold a customer's rows, found through the model registry, so
that a table another app adds later is included without a change here.

- direct: a foreign key (or one-to-one) to Customer or Account;
- parts: a table with no such key whose rows belong to a direct row (an
  invoice's lines, a ticket's messages and their attachments), followed on
  down;
- the outbox files messages under a customer or an account by a generic key;
- reads are the meter's, shared by every tenant of a place: only those of
  the customer's supply periods are theirs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

from accounts.models import Account, Customer
from core import clock
from core.models import OutboxMessage
from meters.models import Read
from supply.models import ServiceAgreement

PERSON_MODELS = (Customer, Account)


def is_history(model: type[models.Model]) -> bool:
    """A django-simple-history table (it keeps old values of its model's rows)."""
    return hasattr(model, "instance_type")


def history_model(model: type[models.Model]) -> type[models.Model] | None:
    for candidate in apps.get_models():
        if is_history(candidate) and candidate.instance_type is model:
            return candidate
    return None


def foreign_keys(model: type[models.Model]) -> Iterator[models.ForeignKey]:
    for field in model._meta.concrete_fields:
        if field.is_relation and (field.many_to_one or field.one_to_one) and field.related_model is not None:
            yield field


def direct_keys(model: type[models.Model]) -> list[models.ForeignKey]:
    return [f for f in foreign_keys(model) if f.related_model in PERSON_MODELS]


def data_models(*, include_auto_created: bool = False) -> list[type[models.Model]]:
    """Every table but the history ones."""
    return [m for m in apps.get_models(include_auto_created=include_auto_created) if not is_history(m)]


def outbox_messages(*, customer: Customer, account_ids: list[int]) -> models.QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        Q(recipient_type=ContentType.objects.get_for_model(Customer), recipient_id=customer.pk)
        | Q(recipient_type=ContentType.objects.get_for_model(Account), recipient_id__in=account_ids)
    )


def reads(*, account_ids: list[int]) -> models.QuerySet[Read]:
    """Reads of the customer's supply points taken while they were supplied
    there: from 00:00 of the start date to 00:00 after the end date (the final read)."""
    periods = Q()
    for agreement in ServiceAgreement.objects.filter(account_id__in=account_ids).only(
        "supply_point_id", "start_date", "end_date"
    ):
        period = Q(
            register__meter__supply_point_id=agreement.supply_point_id,
            taken_at__gte=clock.start_of_day(agreement.start_date),
        )
        if agreement.end_date is not None:
            period &= Q(taken_at__lte=clock.start_of_day(agreement.end_date + dt.timedelta(days=1)))
        periods |= period
    if not periods:
        return Read.objects.none()
    return Read.objects.filter(periods)


def customer_rows(*, customer: Customer) -> dict[type[models.Model], list[models.Model]]:
    """Every row of the customer's, by table (the customer row itself included)."""
    account_ids = list(Account.objects.filter(customer=customer).values_list("pk", flat=True))
    ids = {Customer: [customer.pk], Account: account_ids}
    found: dict[type[models.Model], list[models.Model]] = {Customer: [customer]}
    direct = set()
    for model in data_models():
        keys = direct_keys(model)
        if not keys:
            continue
        direct.add(model)
        if model is Customer:
            continue
        condition = Q()
        for key in keys:
            condition |= Q(**{f"{key.name}__in": ids[key.related_model]})
        rows = list(model.objects.filter(condition).order_by("pk"))
        if rows:
            found[model] = rows
    found[OutboxMessage] = list(outbox_messages(customer=customer, account_ids=account_ids).order_by("pk"))
    found[Read] = list(reads(account_ids=account_ids).order_by("taken_at", "pk"))
    parents = [m for m in found if found[m]]
    while parents:
        new_parents = []
        for model in data_models():
            if model in direct or model in found:
                continue
            keys = [k for k in foreign_keys(model) if k.related_model in parents]
            if not keys:
                continue
            condition = Q()
            for key in keys:
                condition |= Q(**{f"{key.name}__in": [row.pk for row in found[key.related_model]]})
            rows = list(model.objects.filter(condition).order_by("pk"))
            if rows:
                found[model] = rows
                new_parents.append(model)
        parents = new_parents
    return {model: rows for model, rows in found.items() if rows}
