"""Changing an account's billing preferences, by the customer within what the
company allows (BillingSettings) or by an agent. Every change is kept in the
preferences' history (who, when, old -> new)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Account, BillingPreferences, Language
from accounts.services import billing_preferences_change
from billing.models import BillingSettings
from billing.models.settings import LEGAL_MIN_PAYMENT_TERMS_DAYS

# Longer terms than this are a typing error rather than a business decision.
MAX_PAYMENT_TERMS_DAYS = 90
CUSTOMER_FIELDS = ("frequency", "budget_billing", "delivery_channel", "invoice_language", "paperless")
STAFF_FIELDS = (*CUSTOMER_FIELDS, "payment_terms_days")


class PreferencesInvalid(Exception):
    """The changes break a rule; `messages` names the field of each message."""

    def __init__(self, messages: dict[str, list[str]]) -> None:
        self.messages = messages
        super().__init__("; ".join(text for texts in messages.values() for text in texts))


def preferences_for(*, account: Account) -> BillingPreferences:
    """The account's preferences, or the defaults (unsaved) when it has none yet."""
    return BillingPreferences.objects.filter(account=account).first() or BillingPreferences(account=account)


def _check(
    *, preferences: BillingPreferences, changes: dict[str, Any], by_staff: bool, settings: BillingSettings
) -> dict[str, list[str]]:
    messages: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        messages.setdefault(field, []).append(message)

    allowed = STAFF_FIELDS if by_staff else CUSTOMER_FIELDS
    for field in sorted(set(changes) - set(allowed)):
        if field == "payment_terms_days":
            refuse(field, _("Payment terms are set by our customer service."))
        else:
            refuse(field, _("This setting cannot be changed here."))
    if "frequency" in changes:
        frequency = changes["frequency"]
        if frequency not in BillingPreferences.Frequency.values:
            refuse("frequency", _("Choose monthly, quarterly, half-yearly or annual billing."))
        elif not by_staff and not settings.customer_may_choose_frequency and frequency != preferences.frequency:
            refuse("frequency", _("Your billing frequency is set by us; please contact our customer service."))
    if "delivery_channel" in changes and changes["delivery_channel"] not in BillingPreferences.DeliveryChannel.values:
        refuse("delivery_channel", _("Choose e-mail, portal or letter."))
    if "invoice_language" in changes and changes["invoice_language"] not in ("", *Language.values):
        refuse("invoice_language", _("Choose German or English."))
    for field in ("budget_billing", "paperless"):
        if field in changes and not isinstance(changes[field], bool):
            refuse(field, _("Choose yes or no."))
    if "payment_terms_days" in changes and "payment_terms_days" in allowed:
        days = changes["payment_terms_days"]
        if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
            refuse("payment_terms_days", _("Enter the payment terms as a whole number of days."))
        elif days is not None and days < LEGAL_MIN_PAYMENT_TERMS_DAYS:
            refuse(
                "payment_terms_days",
                _("Payment terms may not be shorter than %(days)d days.") % {"days": LEGAL_MIN_PAYMENT_TERMS_DAYS},
            )
        elif days is not None and days > MAX_PAYMENT_TERMS_DAYS:
            refuse(
                "payment_terms_days",
                _("Payment terms may not be longer than %(days)d days.") % {"days": MAX_PAYMENT_TERMS_DAYS},
            )
    channel = changes.get("delivery_channel", preferences.delivery_channel)
    paperless = changes.get("paperless", preferences.paperless)
    if not messages and paperless is True and channel == BillingPreferences.DeliveryChannel.LETTER:
        refuse(
            "paperless", _("Bills by letter are not paperless: choose e-mail or the portal, or switch paperless off.")
        )
    return messages


def preferences_update(*, account: Account, changes: dict[str, Any], by_staff: bool, user=None) -> BillingPreferences:
    """Apply `changes` (field -> new value) to the account's preferences in one
    transaction and record who made them. A customer (`by_staff` False) may
    change frequency (when the company lets customers choose), budget billing
    on/off, delivery channel, invoice language and paperless; an agent also
    the payment terms (never below the legal 14 days). Breaking a rule raises
    PreferencesInvalid and saves nothing; no actual change saves nothing."""
    settings = BillingSettings.current()
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=account.pk).first()
        preferences = preferences_for(account=account)
        messages = _check(preferences=preferences, changes=changes, by_staff=by_staff, settings=settings)
        if messages:
            raise PreferencesInvalid(messages)
        return billing_preferences_change(
            account=account, changes=changes, user=user, reason="agent" if by_staff else "customer"
        )
