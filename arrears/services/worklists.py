"""The supervisor's decisions on the work lists: disconnection orders
(approve with the announcement letter, or stop) and hand-overs to the
collection agency (approve, export as CSV, recall)."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from arrears.models import AgencyReferral, DisconnectionOrder, DunningCase, DunningNotice
from arrears.queries.arrears import account_arrears
from arrears.signals import disconnection_recorded
from billing.models import LedgerEntry
from core import clock
from core.communications import message_send
from core.models import Channel
from core.workdays import working_days_add
from orders.services import OrderRefused, order_create_for_system
from supply.models import ServiceAgreement


class DecisionRefused(Exception):
    """A decision that cannot be taken (the message is for the supervisor)."""


def disconnection_decide(
    *, order: DisconnectionOrder, user: AbstractBaseUser, approve: bool, note: str, as_of: dt.date
) -> DisconnectionOrder:
    """Approve (the date is set at least the announcement period ahead and
    the customer gets the announcement letter; the order is recorded on the
    account for the field crew) or stop it with a reason. Nothing is
    disconnected here."""
    with transaction.atomic():
        order = (
            DisconnectionOrder.objects.select_for_update()
            .select_related("account__customer", "case__procedure")
            .get(pk=order.pk)
        )
        if order.status != DisconnectionOrder.Status.PROPOSED:
            raise DecisionRefused(_("This disconnection was decided before."))
        order.decided_by = user
        order.decided_at = clock.now()
        order.note = note[:300]
        if not approve:
            if not note.strip():
                raise DecisionRefused(_("Say why the disconnection is stopped."))
            order.status = DisconnectionOrder.Status.STOPPED
            order.save()
            return order
        arrears = account_arrears(account=order.account, as_of=as_of)
        procedure = order.case.procedure
        if arrears.amount < procedure.disconnection_minimum:
            raise DecisionRefused(_("The undisputed arrears are below the minimum now; stop the order instead."))
        order.status = DisconnectionOrder.Status.APPROVED
        order.announced_on = as_of
        order.planned_on = max(order.earliest_on, working_days_add(as_of, procedure.disconnection_notice_working_days))
        order.arrears = arrears.amount
        order.save()
        from arrears.services.dunning import _recipient_with_address

        customer = order.account.customer
        for channel in (Channel.LETTER, Channel.EMAIL):
            message_send(
                recipient=_recipient_with_address(order.account),
                template="disconnection_announced",
                context={"customer": customer, "order": order},
                channel=channel,
            )
    return order


def disconnection_carried_out(
    *, order: DisconnectionOrder, user: AbstractBaseUser, on: dt.date, as_of: dt.date
) -> DisconnectionOrder:
    """Record the field crew's report: the approved disconnection was carried
    out on `on` (not before it was announced, not in the future)."""
    with transaction.atomic():
        order = DisconnectionOrder.objects.select_for_update().get(pk=order.pk)
        if order.status != DisconnectionOrder.Status.APPROVED:
            raise DecisionRefused(_("Only an approved disconnection can be recorded as carried out."))
        if on > as_of or (order.announced_on and on < order.announced_on):
            raise DecisionRefused(
                _("The date lies between the announcement (%(start)s) and today.")
                % {"start": order.announced_on.strftime("%d.%m.%Y") if order.announced_on else "—"}
            )
        order.status = DisconnectionOrder.Status.DISCONNECTED
        order.disconnected_on = on
        order.save(update_fields=["status", "disconnected_on"])
        disconnection_recorded.send(sender=DisconnectionOrder, order=order, event="disconnected", on=on, by=user)
    return order


def reconnection_record(
    *, order: DisconnectionOrder, user: AbstractBaseUser, on: dt.date, as_of: dt.date
) -> DisconnectionOrder:
    """Record that supply was restored on `on`; the reconnection fee is
    charged through an order (its invoice is issued at once), so every
    one-off charge has an order behind it. Recording twice is refused; the
    order's idempotency key keeps the fee single even on a retry."""
    with transaction.atomic():
        order = DisconnectionOrder.objects.select_for_update().select_related("account").get(pk=order.pk)
        if order.status != DisconnectionOrder.Status.DISCONNECTED:
            raise DecisionRefused(_("Only a disconnected supply can be recorded as reconnected."))
        if on > as_of or on < order.disconnected_on:
            raise DecisionRefused(
                _("The date lies between the disconnection (%(start)s) and today.")
                % {"start": order.disconnected_on.strftime("%d.%m.%Y")}
            )
        agreement = (
            ServiceAgreement.objects.filter(account=order.account, supply_point__utility=order.utility)
            .select_related("supply_point")
            .order_by("-start_date", "-id")
            .first()
        )
        try:
            fee = order_create_for_system(
                account=order.account,
                product_code="RECONNECTION",
                idempotency_key=f"reconnection:{order.pk}",
                as_of=as_of,
                supply_point=agreement.supply_point if agreement else None,
                by=user,
                note=_("Reconnection on %(date)s") % {"date": on.strftime("%d.%m.%Y")},
            )
        except OrderRefused as error:
            raise DecisionRefused(str(error)) from error
        order.status = DisconnectionOrder.Status.RECONNECTED
        order.reconnected_on = on
        order.reconnection_order = fee
        order.save(update_fields=["status", "reconnected_on", "reconnection_order"])
        disconnection_recorded.send(sender=DisconnectionOrder, order=order, event="reconnected", on=on, by=user)
    return order


def referral_decide(*, referral: AgencyReferral, user: AbstractBaseUser, approve: bool, note: str) -> AgencyReferral:
    with transaction.atomic():
        referral = AgencyReferral.objects.select_for_update().select_related("case").get(pk=referral.pk)
        if referral.status != AgencyReferral.Status.PROPOSED:
            raise DecisionRefused(_("This hand-over was decided before."))
        referral.decided_by = user
        referral.decided_at = clock.now()
        referral.note = note[:300]
        if approve:
            referral.status = AgencyReferral.Status.APPROVED
            level = referral.case.procedure.levels.filter(agency_handover=True).order_by("number").first()
            DunningCase.objects.filter(pk=referral.case_id).update(
                status=DunningCase.Status.AGENCY, level=level.number if level else referral.case.level + 1
            )
        else:
            referral.status = AgencyReferral.Status.REJECTED
        referral.save()
    return referral


def referral_recall(*, referral: AgencyReferral, user: AbstractBaseUser, note: str) -> AgencyReferral:
    """Take a case back from the agency: dunning goes on in house."""
    with transaction.atomic():
        referral = AgencyReferral.objects.select_for_update().get(pk=referral.pk)
        if referral.status not in (AgencyReferral.Status.APPROVED, AgencyReferral.Status.EXPORTED):
            raise DecisionRefused(_("Only a case handed over can be recalled."))
        referral.status = AgencyReferral.Status.RECALLED
        referral.recalled_at = clock.now()
        referral.note = (note or referral.note)[:300]
        referral.save()
        DunningCase.objects.filter(pk=referral.case_id, status=DunningCase.Status.AGENCY).update(
            status=DunningCase.Status.OPEN
        )
    return referral


AGENCY_COLUMNS = (
    "case_id",
    "account_number",
    "debtor_name",
    "customer_type",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "email",
    "phone",
    "item",
    "item_due_date",
    "item_open_amount",
    "fees",
    "interest",
    "total_claim",
    "notices",
    "handed_over_on",
    "payments_since_handover",
)


def agency_export(*, as_of: dt.date, include_exported: bool = False) -> tuple[str, int]:
    """The approved hand-overs as a CSV for the agency (one row per open item,
    the case's fees, interest and notice history on each row), marking them
    exported. With `include_exported` the cases already with the agency are
    listed again, with the payments booked since. Returns (csv, cases)."""
    states = [AgencyReferral.Status.APPROVED]
    if include_exported:
        states.append(AgencyReferral.Status.EXPORTED)
    referrals = list(
        AgencyReferral.objects.filter(status__in=states).select_related("case__account__customer").order_by("id")
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(AGENCY_COLUMNS)
    now = clock.now()
    for referral in referrals:
        case = referral.case
        account = case.account
        customer = account.customer
        arrears = account_arrears(account=account, as_of=as_of)
        notices = DunningNotice.objects.filter(case=case).order_by("sent_on", "level")
        history = ", ".join(f"{notice.level}:{notice.sent_on.isoformat()}" for notice in notices)
        fees = sum((item.open_amount for item in arrears.items if item.entry.kind == LedgerEntry.Kind.FEE), start=0)
        interest = sum(
            (item.open_amount for item in arrears.items if item.entry.kind == LedgerEntry.Kind.INTEREST), start=0
        )
        handed = (referral.decided_at or now).date()
        paid_since = -sum(
            LedgerEntry.objects.filter(
                account=account, kind=LedgerEntry.Kind.PAYMENT, booked_on__gte=handed
            ).values_list("amount", flat=True),
            start=0,
        )
        items = [
            item for item in arrears.items if item.entry.kind not in (LedgerEntry.Kind.FEE, LedgerEntry.Kind.INTEREST)
        ] or [None]
        for item in items:
            writer.writerow(
                [
                    case.pk,
                    account.number,
                    customer.display_name,
                    customer.customer_type.lower(),
                    account.street,
                    account.house_number,
                    account.postcode,
                    account.city,
                    account.country,
                    customer.email,
                    str(customer.phone or ""),
                    item.label if item else "",
                    item.due_date.isoformat() if item else "",
                    f"{item.open_amount:.2f}" if item else "0.00",
                    f"{fees:.2f}",
                    f"{interest:.2f}",
                    f"{arrears.overdue_total:.2f}",
                    history,
                    handed.isoformat(),
                    f"{paid_since:.2f}",
                ]
            )
    AgencyReferral.objects.filter(pk__in=[r.pk for r in referrals], status=AgencyReferral.Status.APPROVED).update(
        status=AgencyReferral.Status.EXPORTED, exported_at=now
    )
    return out.getvalue(), len(referrals)


__all__ = [
    "DecisionRefused",
    "agency_export",
    "disconnection_decide",
    "referral_decide",
    "referral_recall",
]
