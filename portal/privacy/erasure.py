"""Erasing a closed customer (GDPR Art. 17) and purging what the law kept.

Erasure gives way to legal retention (Art. 17(3)(b)): invoices and bookings
(billing, payments, arrears, supply records and the meters' data) stay as
they are for the retention period; everything else about the person is
anonymised or deleted, their old values in the history tables too:

- the customer: name, e-mail (a unique placeholder), phone, VAT id, external
  reference; the time of erasure is recorded on the row;
- accounts: the billing address (invoices keep the address copied on them);
- SEPA mandates: the account holder, the IBAN masked to its first and last
  four characters, an active mandate revoked;
- the login is deleted (with its e-mail addresses and two-factor keys);
- tickets: subject, sender address, messages, attachments, the satisfaction
  comment; the assistant's conversations;
- outbox messages to them: the address, the body, the attachments;
- the admin log's names of these rows;
- any other table with a key to the customer or an account (one another app
  adds later) outside the kept apps: its rows are deleted, or where a kept
  row protects them, their free texts are blanked.

After the retention period (PERSONAL_DATA_RETENTION_YEARS after the end of
the year of the last invoice or booking, §147(4) AO) `retained_records_purge`
deletes the kept rows, everything that refers to them, their history and
files, and finally the customer.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Max, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Account, BillingPreferences, Customer, CustomerType, SepaMandate
from billing.models import Invoice, LedgerEntry
from core.models import OutboxMessage
from portal.privacy.registry import (
    data_models,
    direct_keys,
    foreign_keys,
    history_model,
    outbox_messages,
)
from support.models import AssistantConversation, Ticket, TicketAttachment, TicketMessage

logger = logging.getLogger(__name__)

ERASED = "[erased]"
# Records the law keeps for the retention period (bills, bookings, payments,
# claims, supply and meter data); purged only when it is over.
RETAINED_APPS = {"billing", "payments", "arrears", "supply", "meters", "metering"}
# Tables this module anonymises itself, or that hold nothing about the person.
HANDLED = {Customer, Account, SepaMandate, BillingPreferences, Ticket, AssistantConversation, OutboxMessage}


class ErasureRefused(Exception):
    """The customer cannot be erased; the message says why, for a person."""


@dataclass
class ErasureReport:
    customer_id: int
    anonymised: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)


def erasure_check(*, customer: Customer) -> None:
    """Raise ErasureRefused unless every account of the customer is closed."""
    if customer.erased_at is not None:
        raise ErasureRefused(
            _("%(name)s was already erased on %(date)s.")
            % {"name": customer, "date": timezone.localtime(customer.erased_at).date().isoformat()}
        )
    open_accounts = [a.number for a in customer.accounts.all() if a.status != Account.Status.CLOSED]
    if open_accounts:
        raise ErasureRefused(
            _("%(name)s still has accounts that are not closed (%(numbers)s): only a closed customer can be erased.")
            % {"name": customer, "numbers": ", ".join(open_accounts)}
        )


def _update(model: type[models.Model], pks: list, values: dict, report: ErasureReport) -> None:
    """Set `values` on the rows and on every historical version of them."""
    if not pks:
        return
    model.objects.filter(pk__in=pks).update(**values)
    report.anonymised[model._meta.label] = report.anonymised.get(model._meta.label, 0) + len(pks)
    history = history_model(model)
    if history is not None:
        names = {f.name for f in history._meta.concrete_fields}
        history.objects.filter(**{f"{model._meta.pk.attname}__in": pks}).update(
            **{k: v for k, v in values.items() if k in names}
        )


def _masked(iban: str) -> str:
    return iban[:4] + "X" * max(len(iban) - 8, 0) + iban[-4:] if len(iban) > 8 else "X" * len(iban)


def _mandates_anonymise(account_ids: list[int], report: ErasureReport) -> None:
    mandates = list(SepaMandate.objects.filter(account_id__in=account_ids))
    for mandate in mandates:
        SepaMandate.objects.filter(pk=mandate.pk).update(
            iban=_masked(mandate.iban),
            account_holder=ERASED,
            status=SepaMandate.Status.REVOKED,
        )
    history = history_model(SepaMandate)
    for version in history.objects.filter(id__in=[m.pk for m in mandates]):
        history.objects.filter(pk=version.pk).update(iban=_masked(version.iban), account_holder=ERASED)
    if mandates:
        report.anonymised[SepaMandate._meta.label] = len(mandates)


def _files_delete(rows) -> None:
    for row in rows:
        for f in row._meta.concrete_fields:
            if isinstance(f, models.FileField):
                stored = getattr(row, f.name)
                if stored:
                    name, storage = stored.name, stored.storage
                    transaction.on_commit(lambda n=name, s=storage: s.delete(n))


def _blank_values(model: type[models.Model]) -> dict:
    """The free texts of a table this module does not know, emptied (unique
    ones only where they may be empty)."""
    values = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.is_relation or f.choices:
            continue
        if isinstance(f, models.CharField | models.TextField):
            if not f.unique:
                values[f.name] = ""
            elif f.null:
                values[f.name] = None
        elif isinstance(f, models.JSONField):
            values[f.name] = None if f.null else f.get_default()
    return values


def _others_erase(customer: Customer, account_ids: list[int], report: ErasureReport) -> None:
    """Rows of tables outside the kept apps that this module does not know.

    A table whose rows another such table protects (a representative named in
    the change log) is tried again once the others are gone; what stays
    protected (by a kept record) has its free text blanked."""
    ids = {Customer: [customer.pk], Account: account_ids}
    waiting: list[tuple[type[models.Model], list]] = []
    for model in data_models():
        keys = direct_keys(model)
        if not keys or model in HANDLED or model._meta.app_label in RETAINED_APPS:
            continue
        condition = models.Q()
        for key in keys:
            condition |= models.Q(**{f"{key.name}__in": ids[key.related_model]})
        rows = list(model.objects.filter(condition))
        if rows:
            waiting.append((model, rows))
    while waiting:
        protected = [(model, rows) for model, rows in waiting if not _rows_delete(model, rows, report)]
        if len(protected) == len(waiting):
            break
        waiting = protected
    for model, rows in waiting:
        _update(model, [row.pk for row in rows], _blank_values(model), report)


def _rows_delete(model: type[models.Model], rows: list, report: ErasureReport) -> bool:
    """Delete the rows with their history; False when something protects them."""
    pks = [row.pk for row in rows]
    try:
        with transaction.atomic():
            model.objects.filter(pk__in=pks).delete()
    except (ProtectedError, RestrictedError):
        return False
    _files_delete(rows)
    history = history_model(model)
    if history is not None:
        history.objects.filter(**{f"{model._meta.pk.attname}__in": pks}).delete()
    report.deleted[model._meta.label] = len(pks)
    return True


def _log_entries_anonymise(objects: dict[type[models.Model], list]) -> None:
    for model, pks in objects.items():
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in pks]
        ).update(object_repr=ERASED)


def customer_erase(*, customer: Customer, by: AbstractBaseUser | None, as_of: dt.datetime) -> ErasureReport:
    """Erase a closed customer's personal data, keeping invoices and bookings."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        erasure_check(customer=customer)
        report = ErasureReport(customer_id=customer.pk)
        account_ids = list(customer.accounts.values_list("pk", flat=True))
        user = customer.user
        _update(
            Customer,
            [customer.pk],
            {
                "first_name": "",
                "last_name": ERASED,
                "company_name": ERASED if customer.customer_type == CustomerType.BUSINESS else "",
                "vat_id": "",
                "email": f"erased-{customer.pk}@erased.invalid",
                "phone": "",
                "external_ref": None,
                "user": None,
            },
            report,
        )
        Customer.objects.filter(pk=customer.pk).update(erased_at=as_of)
        _update(
            Account,
            account_ids,
            {"street": ERASED, "house_number": "", "address_extra": "", "postcode": "", "city": ""},
            report,
        )
        _mandates_anonymise(account_ids, report)

        tickets = list(Ticket.objects.filter(models.Q(customer=customer) | models.Q(account_id__in=account_ids)))
        ticket_ids = [t.pk for t in tickets]
        _update(Ticket, ticket_ids, {"subject": ERASED, "sender_email": "", "csat_comment": ""}, report)
        messages = TicketMessage.objects.filter(ticket_id__in=ticket_ids)
        _update(TicketMessage, list(messages.values_list("pk", flat=True)), {"body": ERASED}, report)
        attachments = list(TicketAttachment.objects.filter(message__ticket_id__in=ticket_ids))
        _files_delete(attachments)
        TicketAttachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        conversations = AssistantConversation.objects.filter(customer=customer)
        _update(
            AssistantConversation,
            list(conversations.values_list("pk", flat=True)),
            {"question": ERASED, "answer_text": ""},
            report,
        )

        outbox = list(outbox_messages(customer=customer, account_ids=account_ids))
        _update(OutboxMessage, [m.pk for m in outbox], {"to_address": ERASED, "body": ERASED}, report)
        for message in outbox:
            attached = list(message.attachments.all())
            _files_delete(attached)
            message.attachments.all().delete()

        _others_erase(customer, account_ids, report)
        _log_entries_anonymise({Customer: [customer.pk], Account: account_ids, Ticket: ticket_ids})
        if user is not None:
            user.delete()
            report.deleted["login"] = 1
        logger.info("Customer %s erased by %s", customer.pk, getattr(by, "pk", None))
    return report


# --- purge after the retention period --------------------------------------


@dataclass
class PurgeItem:
    customer_id: int
    last_record_on: dt.date
    purge_from: dt.date
    rows: dict[str, int] = field(default_factory=dict)


def purge_from(*, last_record_on: dt.date, years: int) -> dt.date:
    """The first day a record may be deleted: the retention period runs from
    the end of the calendar year of the last record (§147(4) AO)."""
    return dt.date(last_record_on.year + years + 1, 1, 1)


def last_record_on(*, customer: Customer) -> dt.date:
    """The latest of the erasure, the last booking and the last invoice."""
    days = [timezone.localtime(customer.erased_at).date()]
    days.append(LedgerEntry.objects.filter(account__customer=customer).aggregate(d=Max("booked_on"))["d"])
    days.append(Invoice.objects.filter(account__customer=customer).aggregate(d=Max("issue_date"))["d"])
    return max(day for day in days if day is not None)


def _closure(customer: Customer) -> tuple[dict[type[models.Model], set], list[tuple]]:
    """Every row that goes with the customer: their accounts, the rows that
    refer to those (whatever the on_delete), and so on; and the references by
    SET_NULL keys of rows that stay, to be emptied."""
    account_ids = set(Account.objects.filter(customer=customer).values_list("pk", flat=True))
    rows: dict[type[models.Model], set] = defaultdict(set)
    rows[Customer].add(customer.pk)
    rows[Account] |= account_ids
    outbox = outbox_messages(customer=customer, account_ids=list(account_ids))
    rows[OutboxMessage] |= set(outbox.values_list("pk", flat=True))
    # With the tables behind many-to-many fields, whose rows go too.
    tables = data_models(include_auto_created=True)
    changed = True
    while changed:
        changed = False
        for model in tables:
            for key in foreign_keys(model):
                targets = rows.get(key.related_model)
                if not targets or key.remote_field.on_delete is models.SET_NULL:
                    continue
                found = set(model.objects.filter(**{f"{key.name}__in": targets}).values_list("pk", flat=True))
                if not found <= rows[model]:
                    rows[model] |= found
                    changed = True
    nulls = []
    for model in tables:
        for key in foreign_keys(model):
            targets = rows.get(key.related_model)
            if targets and key.remote_field.on_delete is models.SET_NULL:
                nulls.append((model, key, targets))
    return {m: pks for m, pks in rows.items() if pks}, nulls


def _purge(customer: Customer) -> dict[str, int]:
    rows, nulls = _closure(customer)
    counts = {model._meta.label: len(pks) for model, pks in rows.items()}
    for model, key, targets in nulls:
        model.objects.filter(**{f"{key.name}__in": targets}).exclude(pk__in=rows.get(model, ())).update(
            **{key.name: None}
        )
    for model, pks in rows.items():
        _files_delete(model.objects.filter(pk__in=pks))
        history = history_model(model)
        if history is not None:
            history.objects.filter(**{f"{model._meta.pk.attname}__in": pks}).delete()
        # The kept documents refuse delete() (issued invoices and bookings are
        # never deleted in business): the end of the legal retention is the one
        # exception, so the rows go without their model's guard. The keys are
        # checked by the database when the transaction commits.
        model.objects.filter(pk__in=pks)._raw_delete(model.objects.db)
    return counts


def retained_records_purge(*, as_of: dt.date, dry_run: bool = False) -> list[PurgeItem]:
    """Delete the kept records of erased customers whose retention period is
    over, then the customers. A second run finds nothing left to do."""
    years = settings.PERSONAL_DATA_RETENTION_YEARS
    purged = []
    for customer in Customer.objects.filter(erased_at__isnull=False).order_by("pk"):
        last = last_record_on(customer=customer)
        first_day = purge_from(last_record_on=last, years=years)
        if as_of < first_day:
            continue
        item = PurgeItem(customer_id=customer.pk, last_record_on=last, purge_from=first_day)
        with transaction.atomic():
            if dry_run:
                item.rows = {model._meta.label: len(pks) for model, pks in _closure(customer)[0].items()}
            else:
                item.rows = _purge(Customer.objects.select_for_update().get(pk=customer.pk))
        purged.append(item)
    return purged
