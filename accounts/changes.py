"""Changes to a customer's data: contact details, name, billing address, e-mail,
bank details and authorised representatives, each kept in the audit trail.

Who asked and how travels as a `Requested` (the customer in the portal or the
app; an agent for a caller, a letter or an e-mail, possibly on a
representative's request). Every use case checks the input with the
onboarding rules, saves in one transaction, writes one `CustomerChange` per
changed field (`change_record`) and tells other departments
(`core.departments.change_announce`).

Sensitive changes:
- the login e-mail and the billing e-mail are one address: a new address takes
  effect only when it is confirmed from that address (allauth's
  verification), then login and billing address change together and the old
  address is told (`email_change_request`, `email_change_confirm`);
- a bank change creates a new SEPA mandate (the customer's consent required)
  and revokes the old one from the day of the change; collections not yet in
  a written file move to the new mandate (payments listens to
  `mandate_replaced`); the e-mail address on file is told;
- four-eyes: the name of a business (company name) and a change of the
  account holder wait for a second staff user's approval. A change of the
  account holder is a change of the person who holds the customer's
  accounts: a private customer's first name and last name both changing at
  once (a single name changing, e.g. on marriage, is a name change that
  takes effect at once);
- a representative acts only within their scopes and validity: contact data
  (phone, e-mail, billing address, language) needs "change contact data";
  name and bank details are the customer's own and never a representative's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts import validation
from accounts.models import (
    Account,
    ChangeChannel,
    Customer,
    CustomerChange,
    PaymentMethod,
    PendingChange,
    Representative,
    Requester,
    SepaMandate,
)
from accounts.signals import mandate_replaced
from core import clock, communications
from core.departments import change_announce

CUSTOMER_FIELDS = ("first_name", "last_name", "company_name", "phone", "language")
ADDRESS_FIELDS = ("street", "house_number", "address_extra", "postcode", "city", "country")
NAME_FIELDS = ("first_name", "last_name", "company_name")
# The department notice kind of each field.
FIELD_KINDS = {
    **dict.fromkeys(NAME_FIELDS, "name"),
    "phone": "contact",
    "language": "contact",
    "email": "contact",
    **dict.fromkeys(ADDRESS_FIELDS, "address"),
    "bank_account": "bank",
    "payment_method": "bank",
}
# The representative scope a field's change needs; fields missing here are
# never changed on a representative's request.
FIELD_SCOPES = {
    "phone": Representative.Scope.CHANGE_CONTACT,
    "language": Representative.Scope.CHANGE_CONTACT,
    "email": Representative.Scope.CHANGE_CONTACT,
    **dict.fromkeys(ADDRESS_FIELDS, Representative.Scope.CHANGE_CONTACT),
}


class ChangeRefused(Exception):
    """The change is not allowed; `messages` names the field of each message."""

    def __init__(self, messages: dict[str, list[str]]) -> None:
        self.messages = messages
        super().__init__("; ".join(text for texts in messages.values() for text in texts))


class FourEyesRefused(Exception):
    """The user who asked for a change cannot approve it."""

    def __init__(self) -> None:
        super().__init__(_("A second person must approve this change: you entered it yourself."))


@dataclass(frozen=True)
class Requested:
    """Who makes a change (`by`, a login or nobody), on whose request and through which channel."""

    by: AbstractBaseUser | None
    requested_by: str = Requester.CUSTOMER
    channel: str = ChangeChannel.PORTAL
    representative: Representative | None = None

    @classmethod
    def customer(cls, user: AbstractBaseUser, *, channel: str = ChangeChannel.PORTAL) -> Requested:
        return cls(by=user, requested_by=Requester.CUSTOMER, channel=channel)

    def summary(self) -> dict[str, Any]:
        return {
            "requested_by": self.requested_by,
            "channel": self.channel,
            "representative": self.representative.name if self.representative else None,
        }


@dataclass
class ChangeResult:
    """What a change did: the audit entries saved now and what waits."""

    entries: list[CustomerChange] = field(default_factory=list)
    pending: list[PendingChange] = field(default_factory=list)


# --- The audit trail and the representative rule ---------------------------------------


def change_record(
    *,
    customer: Customer,
    field: str,
    old: Any,
    new: Any,
    requested: Requested,
    account: Account | None = None,
    approved_by: AbstractBaseUser | None = None,
    at: dt.datetime | None = None,
) -> CustomerChange:
    """Write one audit entry: `field` of `customer` (of `account` when the
    field is the account's) went from `old` to `new` (written as text, None as
    empty), made by `requested.by`, on the request of `requested.requested_by`
    (naming the representative) through `requested.channel`. Call it inside
    the transaction that saves the change, once per changed field; it saves
    nothing else and sends nothing."""
    return CustomerChange.objects.create(
        customer=customer,
        account=account,
        at=at or clock.now(),
        field=field,
        old="" if old is None else str(old),
        new="" if new is None else str(new),
        by=requested.by,
        requested_by=requested.requested_by,
        representative=requested.representative,
        channel=requested.channel,
        approved_by=approved_by,
    )


def representative_may(representative: Representative, scope: str, *, on: dt.date) -> bool:
    """Whether `representative` may act within `scope` (Representative.Scope) on day `on`:
    the scope was granted and `valid_until` (inclusive) has not passed."""
    if representative.valid_until is not None and on > representative.valid_until:
        return False
    return scope in (representative.scopes or [])


def _check_representative(*, requested: Requested, account: Account, fields: list[str], as_of: dt.date) -> None:
    representative = requested.representative
    if requested.requested_by != Requester.REPRESENTATIVE:
        return
    if representative is None:
        raise ChangeRefused({"representative": [_("Choose the representative who asked for the change.")]})
    if representative.account_id != account.pk:
        raise ChangeRefused({"representative": [_("This person is not a representative of this account.")]})
    if representative.valid_until is not None and as_of > representative.valid_until:
        raise ChangeRefused(
            {
                "representative": [
                    _("%(name)s may act for this account only until %(date)s.")
                    % {"name": representative.name, "date": representative.valid_until.strftime("%d.%m.%Y")}
                ]
            }
        )
    for name in fields:
        scope = FIELD_SCOPES.get(name)
        if scope is None or not representative_may(representative, scope, on=as_of):
            raise ChangeRefused(
                {
                    "representative": [
                        _("%(name)s may not make this change for the customer (%(field)s).")
                        % {"name": representative.name, "field": field_label(name)}
                    ]
                }
            )


def field_label(name: str) -> str:
    labels = {
        "first_name": _("first name"),
        "last_name": _("last name"),
        "company_name": _("company name"),
        "phone": _("phone"),
        "language": _("language"),
        "email": _("e-mail"),
        "street": _("street"),
        "house_number": _("house number"),
        "address_extra": _("address line 2"),
        "postcode": _("postcode"),
        "city": _("city"),
        "country": _("country"),
        "bank_account": _("bank account"),
        "payment_method": _("payment method"),
        "mandate": _("direct debit mandate"),
        "status": _("account status"),
        "supply_end": _("end of supply"),
    }
    return str(labels.get(name, name))


def _announce(*, account: Account, entries: list[CustomerChange], requested: Requested) -> None:
    by_kind: dict[str, dict[str, Any]] = {}
    for entry in entries:
        by_kind.setdefault(FIELD_KINDS.get(entry.field, "contact"), {})[entry.field] = {
            "old": entry.old,
            "new": entry.new,
        }
    for kind, fields in by_kind.items():
        change_announce(kind=kind, account_number=account.number, summary={"fields": fields, **requested.summary()})


# --- Name, phone, language, billing address ---------------------------------------------


def _display(name: str, value: Any) -> str:
    return "" if value is None else str(value)


def _waits_for_approval(*, customer: Customer, changes: dict[str, Any]) -> str | None:
    """The pending kind a name change needs, or None when it takes effect at once."""
    if customer.is_business:
        if "company_name" in changes and changes["company_name"] != customer.company_name:
            return PendingChange.Kind.BUSINESS_NAME
        return None
    first = changes.get("first_name", customer.first_name)
    last = changes.get("last_name", customer.last_name)
    if first != customer.first_name and last != customer.last_name:
        return PendingChange.Kind.HOLDER
    return None


def customer_change(
    *, customer: Customer, account: Account, changes: dict[str, Any], requested: Requested
) -> ChangeResult:
    """Apply `changes` (checked values, e.g. by `accounts.forms.ProfileForm`:
    field -> new value) of the customer's name, phone and language and of
    `account`'s billing address, in one transaction. Unchanged values are
    ignored. A business name change or a change of the account holder is
    stored as a pending change instead (see the module). Refused
    (ChangeRefused, nothing saved) when a representative's scope does not
    cover a field."""
    as_of = clock.today()
    unknown = set(changes) - set(CUSTOMER_FIELDS) - set(ADDRESS_FIELDS)
    if unknown:
        raise ValueError(f"not a profile field: {', '.join(sorted(unknown))}")
    result = ChangeResult()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        account = Account.objects.select_for_update().get(pk=account.pk, customer=customer)
        changed = {
            name: value
            for name, value in changes.items()
            if _display(name, getattr(customer if name in CUSTOMER_FIELDS else account, name)) != _display(name, value)
        }
        if not changed:
            return result
        _check_representative(requested=requested, account=account, fields=list(changed), as_of=as_of)
        pending_kind = _waits_for_approval(customer=customer, changes=changed)
        if pending_kind is not None:
            names = {name: changed.pop(name) for name in NAME_FIELDS if name in changed}
            result.pending.append(_pending_create(customer=customer, kind=pending_kind, new=names, requested=requested))
        result.entries = _apply(customer=customer, account=account, changes=changed, requested=requested)
    return result


def _apply(
    *,
    customer: Customer,
    account: Account,
    changes: dict[str, Any],
    requested: Requested,
    approved_by: AbstractBaseUser | None = None,
) -> list[CustomerChange]:
    """Save `changes` on customer and account (already locked) with their audit entries and notices."""
    entries = []
    customer_changed = [name for name in changes if name in CUSTOMER_FIELDS]
    account_changed = [name for name in changes if name in ADDRESS_FIELDS]
    for name in customer_changed:
        old = getattr(customer, name)
        setattr(customer, name, changes[name])
        entries.append(
            change_record(
                customer=customer,
                field=name,
                old=old,
                new=changes[name],
                requested=requested,
                approved_by=approved_by,
            )
        )
    for name in account_changed:
        old = getattr(account, name)
        setattr(account, name, changes[name])
        entries.append(
            change_record(
                customer=customer,
                account=account,
                field=name,
                old=old,
                new=changes[name],
                requested=requested,
                approved_by=approved_by,
            )
        )
    if customer_changed:
        customer.full_clean(validate_unique=False)
        if requested.by is not None:
            customer._history_user = requested.by
        customer.save(update_fields=customer_changed)
    if account_changed:
        account.full_clean(validate_unique=False)
        if requested.by is not None:
            account._history_user = requested.by
        account.save(update_fields=account_changed)
    if entries:
        _announce(account=account, entries=entries, requested=requested)
    return entries


# --- Pending changes: four-eyes ---------------------------------------------------------


def _pending_create(*, customer: Customer, kind: str, new: dict[str, Any], requested: Requested) -> PendingChange:
    if PendingChange.objects.filter(customer=customer, kind=kind, status=PendingChange.Status.PENDING).exists():
        raise ChangeRefused(
            {"__all__": [_("A change of this kind is already waiting for approval. Please wait for the decision.")]}
        )
    return PendingChange.objects.create(
        customer=customer,
        kind=kind,
        old={name: getattr(customer, name) for name in new},
        new=new,
        requested_at=clock.now(),
        requested_by_user=requested.by,
        requested_by=requested.requested_by,
        representative=requested.representative,
        channel=requested.channel,
    )


def pending_change_decide(
    *, pending: PendingChange, user: AbstractBaseUser, approve: bool, note: str = ""
) -> ChangeResult:
    """A second staff user approves (the change takes effect, audited with both
    names) or rejects a waiting business name or account holder change. The
    user who entered it cannot decide it (FourEyesRefused); a change decided
    before is refused (ChangeRefused)."""
    with transaction.atomic():
        pending = PendingChange.objects.select_for_update().get(pk=pending.pk)
        if not pending.is_pending or pending.kind == PendingChange.Kind.EMAIL:
            raise ChangeRefused({"__all__": [_("This change has been decided already.")]})
        if pending.requested_by_user_id is not None and pending.requested_by_user_id == user.pk:
            raise FourEyesRefused()
        pending.status = PendingChange.Status.APPROVED if approve else PendingChange.Status.REJECTED
        pending.decided_by = user
        pending.decided_at = clock.now()
        pending.note = note
        pending.save(update_fields=["status", "decided_by", "decided_at", "note"])
        result = ChangeResult()
        if approve:
            customer = Customer.objects.select_for_update().get(pk=pending.customer_id)
            account = customer.accounts.order_by("id").first()
            requested = Requested(
                by=pending.requested_by_user,
                requested_by=pending.requested_by,
                channel=pending.channel,
                representative=pending.representative,
            )
            changes = {name: value for name, value in pending.new.items() if getattr(customer, name) != value}
            result.entries = _apply(
                customer=customer, account=account, changes=changes, requested=requested, approved_by=user
            )
    return result


# --- E-mail: login and billing address are one -------------------------------------------


def email_check(*, customer: Customer, email: str) -> str:
    """The new address, lower-case, or ValidationError (invalid, unchanged or another person's)."""
    address = (email or "").strip().lower()
    validate_email(address)
    if address == customer.email:
        raise ValidationError(_("This is already your e-mail address."), code="email_unchanged")
    taken = Customer.objects.filter(email=address).exclude(pk=customer.pk).exists()
    other_login = EmailAddress.objects.filter(email__iexact=address)
    if customer.user_id is not None:
        other_login = other_login.exclude(user_id=customer.user_id)
    if taken or other_login.exists():
        raise ValidationError(
            _("A customer with this e-mail address already exists. Please sign in or use another address."),
            code="email_taken",
        )
    return address


def email_change_request(
    *, customer: Customer, email: str, requested: Requested, request: HttpRequest
) -> PendingChange | ChangeResult:
    """Ask for a new login and billing e-mail address. With a login, allauth
    sends a confirmation link to the new address and nothing changes until it
    is confirmed (`email_change_confirm`); a new request replaces a waiting
    one. Without a login (a customer onboarded by phone) there is nothing to
    take over and the billing address changes at once. Either way the old
    address is told once the change takes effect. `request` is the one the
    link's site comes from (allauth builds it). ValidationError for a bad
    address; ChangeRefused when a representative may not change it."""
    address = email_check(customer=customer, email=email)
    account = customer.accounts.order_by("id").first()
    if account is not None:
        _check_representative(requested=requested, account=account, fields=["email"], as_of=clock.today())
    if customer.user_id is None:
        with transaction.atomic():
            locked = Customer.objects.select_for_update().get(pk=customer.pk)
            return _email_apply(customer=locked, address=address, requested=requested)
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        for waiting in PendingChange.objects.select_for_update().filter(
            customer=locked, kind=PendingChange.Kind.EMAIL, status=PendingChange.Status.PENDING
        ):
            EmailAddress.objects.filter(
                user_id=locked.user_id, email__iexact=waiting.new.get("email", ""), verified=False
            ).delete()
            waiting.status = PendingChange.Status.CANCELLED
            waiting.decided_at = clock.now()
            waiting.save(update_fields=["status", "decided_at"])
        pending = _pending_create(
            customer=locked, kind=PendingChange.Kind.EMAIL, new={"email": address}, requested=requested
        )
        pending.old = {"email": locked.email}
        pending.save(update_fields=["old"])
        EmailAddress.objects.filter(user_id=locked.user_id, email__iexact=address).delete()
        email_address = EmailAddress.objects.create(
            user_id=locked.user_id, email=address, verified=False, primary=False
        )
        transaction.on_commit(lambda: _confirmation_send(email_address=email_address, request=request))
    return pending


def _confirmation_send(*, email_address: EmailAddress, request: HttpRequest) -> None:
    # allauth renders its mails for the request of its context.
    with allauth_context.request_context(request):
        email_address.send_confirmation(request)


def email_change_confirm(*, user: AbstractBaseUser, email: str) -> ChangeResult | None:
    """The address `email` of `user` was confirmed: when it is not their
    customer's address yet it becomes both the login (primary) and the
    billing address, the other addresses of the login are removed and the
    old address is told, in one transaction. None when there is no customer
    or nothing to change. Also covers an address added on allauth's own
    e-mail page: login and billing address never part."""
    address = email.strip().lower()
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(user=user).first()
        if customer is None or customer.email == address:
            return None
        if Customer.objects.filter(email=address).exclude(pk=customer.pk).exists():
            return None
        pending = (
            PendingChange.objects.select_for_update()
            .filter(customer=customer, kind=PendingChange.Kind.EMAIL, status=PendingChange.Status.PENDING)
            .first()
        )
        requested = Requested.customer(user)
        if pending is not None and pending.new.get("email") == address:
            requested = Requested(
                by=pending.requested_by_user,
                requested_by=pending.requested_by,
                channel=pending.channel,
                representative=pending.representative,
            )
            pending.status = PendingChange.Status.APPROVED
            pending.decided_at = clock.now()
            pending.save(update_fields=["status", "decided_at"])
        elif pending is not None:
            pending.status = PendingChange.Status.CANCELLED
            pending.decided_at = clock.now()
            pending.save(update_fields=["status", "decided_at"])
        confirmed = EmailAddress.objects.get(user=user, email__iexact=address)
        confirmed.set_as_primary()
        EmailAddress.objects.filter(user=user).exclude(pk=confirmed.pk).delete()
        return _email_apply(customer=customer, address=address, requested=requested)


def _email_apply(*, customer: Customer, address: str, requested: Requested) -> ChangeResult:
    old = customer.email
    customer.email = address
    customer.full_clean(validate_unique=False)
    if requested.by is not None:
        customer._history_user = requested.by
    customer.save(update_fields=["email"])
    entry = change_record(customer=customer, field="email", old=old, new=address, requested=requested)
    account = customer.accounts.order_by("id").first()
    if account is not None:
        _announce(account=account, entries=[entry], requested=requested)
    communications.message_send(
        recipient=communications.Recipient(
            name=customer.display_name, language=customer.language, email=old, about=customer
        ),
        template="email_changed",
        context={"customer": customer, "old_email": old, "new_email": address},
    )
    return ChangeResult(entries=[entry])


# --- Bank details: a new SEPA mandate -----------------------------------------------------


@dataclass(frozen=True)
class BankChange:
    entries: list[CustomerChange]
    mandate: SepaMandate
    revoked: SepaMandate | None


def mandate_summary(mandate: SepaMandate | None) -> str:
    if mandate is None:
        return ""
    return f"{mandate.masked_iban} · {mandate.account_holder} · {mandate.reference}"


def bank_account_change(
    *,
    account: Account,
    iban: str,
    account_holder: str,
    consent: bool,
    requested: Requested,
    reference: str | None = None,
) -> BankChange:
    """Pay `account` by direct debit from a new bank account: with the
    customer's consent to the mandate, the active mandate (if any) is revoked
    from today and a new one (new reference, our creditor id, signed today)
    takes its place, in one transaction. Collections already written into a
    collection file stay with the old mandate, which was valid when they were
    written; collections asked for but not yet in a file move to the new one
    (payments listens to `mandate_replaced`). The e-mail address on file is
    told (a guard against fraud). ChangeRefused with every field's message
    for a missing consent, holder or a bad IBAN; nothing is saved then."""
    from accounts.forms import new_mandate_reference

    messages: dict[str, list[str]] = {}
    holder = (account_holder or "").strip()
    if not holder:
        messages["account_holder"] = [_("Please enter the account holder.")]
    elif len(holder) > SepaMandate._meta.get_field("account_holder").max_length:
        messages["account_holder"] = [_("The account holder has at most 70 characters.")]
    try:
        bank = validation.check_iban(iban)
    except ValidationError as error:
        messages["iban"] = error.messages
    if consent is not True:
        messages["consent"] = [_("Please confirm the direct debit mandate.")]
    if messages:
        raise ChangeRefused(messages)
    today = clock.today()
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("customer").get(pk=account.pk)
        customer = account.customer
        _check_representative(requested=requested, account=account, fields=["bank_account"], as_of=today)
        old = SepaMandate.objects.select_for_update().filter(account=account, status=SepaMandate.Status.ACTIVE).first()
        if old is not None:
            old.status = SepaMandate.Status.REVOKED
            old.revoked_on = today
            if requested.by is not None:
                old._history_user = requested.by
            old.save(update_fields=["status", "revoked_on"])
        mandate = SepaMandate(
            account=account,
            reference=reference or new_mandate_reference(),
            creditor_id=settings.SEPA_CREDITOR_ID,
            account_holder=holder,
            iban=bank.iban,
            bic=bank.bic,
            bank_name=bank.bank_name,
            signed_date=today,
        )
        mandate.full_clean(validate_constraints=False)
        if requested.by is not None:
            mandate._history_user = requested.by
        mandate.save()
        entries = [
            change_record(
                customer=customer,
                account=account,
                field="bank_account",
                old=mandate_summary(old),
                new=mandate_summary(mandate),
                requested=requested,
            )
        ]
        if account.payment_method != PaymentMethod.SEPA:
            entries.append(
                change_record(
                    customer=customer,
                    account=account,
                    field="payment_method",
                    old=account.get_payment_method_display(),
                    new=PaymentMethod.SEPA.label,
                    requested=requested,
                )
            )
            account.payment_method = PaymentMethod.SEPA
            account.save(update_fields=["payment_method"])
        if old is not None:
            mandate_replaced.send(sender=SepaMandate, account=account, old=old, new=mandate)
        _announce(account=account, entries=entries, requested=requested)
        communications.message_send(
            recipient=customer.as_recipient(),
            template="bank_details_changed",
            context={
                "customer": customer,
                "account": account,
                "mandate": mandate,
                "old_mandate": old,
                "creditor_id": settings.SEPA_CREDITOR_ID,
            },
        )
    return BankChange(entries=entries, mandate=mandate, revoked=old)


# --- Authorised representatives -----------------------------------------------------------


def representative_add(
    *,
    account: Account,
    name: str,
    kind: str,
    scopes: list[str],
    valid_until: dt.date | None,
    user: AbstractBaseUser | None,
) -> Representative:
    """Record who may act for the customer of `account`, within `scopes`, until `valid_until` (inclusive)."""
    unknown = set(scopes) - set(Representative.Scope.values)
    if unknown:
        raise ChangeRefused({"scopes": [_("Choose what the representative may do.")]})
    if valid_until is not None and valid_until < clock.today():
        raise ChangeRefused({"valid_until": [_("The date lies in the past.")]})
    with transaction.atomic():
        representative = Representative(
            account=account,
            name=(name or "").strip(),
            kind=kind,
            scopes=sorted(set(scopes)),
            valid_until=valid_until,
            created_by=user,
        )
        representative.full_clean()
        if user is not None:
            representative._history_user = user
        representative.save()
    return representative


def representative_end(*, representative: Representative, user: AbstractBaseUser | None) -> Representative:
    """The representative may no longer act from tomorrow on (kept for the audit trail)."""
    today = clock.today()
    with transaction.atomic():
        representative = Representative.objects.select_for_update().get(pk=representative.pk)
        if representative.valid_until is None or representative.valid_until > today:
            representative.valid_until = today
            if user is not None:
                representative._history_user = user
            representative.save(update_fields=["valid_until"])
    return representative
