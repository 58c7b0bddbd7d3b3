"""The SEPA core direct debit file (pain.008.001.02) for one collection
date, built with sepaxml from plain data, and the TARGET2 banking days a
collection may fall on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import holidays
from sepaxml import SepaDD
from sepaxml.validation import ValidationError

from core.money import round_money

SCHEMA = "pain.008.001.02"
FIRST, RECURRING = "FRST", "RCUR"


class SepaFileError(Exception):
    """The direct debit file cannot be written from this data (a wrong IBAN, BIC or creditor id)."""


@dataclass(frozen=True)
class Creditor:
    name: str
    creditor_id: str
    iban: str
    bic: str


@dataclass(frozen=True)
class DirectDebit:
    end_to_end_id: str
    amount: Decimal
    debtor_name: str
    iban: str
    bic: str
    mandate_reference: str
    mandate_signed: dt.date
    sequence_type: str
    remittance: str


@cache
def _target_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.financial_holidays("XECB", years=year))


def is_banking_day(day: dt.date) -> bool:
    """A TARGET2 day: Monday to Friday, not New Year, Good Friday, Easter Monday, 1 May, 25/26 December."""
    return day.weekday() < 5 and day not in _target_holidays(day.year)


def next_banking_day(day: dt.date) -> dt.date:
    """`day` itself when banks collect on it, else the next day they do."""
    while not is_banking_day(day):
        day += dt.timedelta(days=1)
    return day


def _cents(amount: Decimal) -> int:
    if round_money(amount) != amount or amount <= 0:
        raise SepaFileError(f"a direct debit is a positive amount in whole cents, not {amount}")
    return int(amount * 100)


def pain008_build(*, creditor: Creditor, collection_date: dt.date, debits: list[DirectDebit]) -> tuple[bytes, str]:
    """The pain.008.001.02 XML of `debits` (grouped by sequence type) and its message id.
    The XML is checked against the schema; a value the schema refuses raises SepaFileError."""
    if not debits:
        raise SepaFileError("a direct debit file needs at least one debit")
    document = SepaDD(
        {
            "name": creditor.name,
            "IBAN": creditor.iban.replace(" ", ""),
            "BIC": creditor.bic,
            "batch": True,
            "creditor_id": creditor.creditor_id,
            "currency": "EUR",
        },
        schema=SCHEMA,
    )
    for debit in debits:
        payment = {
            "name": debit.debtor_name,
            "IBAN": debit.iban.replace(" ", ""),
            "amount": _cents(debit.amount),
            "type": debit.sequence_type,
            "collection_date": collection_date,
            "mandate_id": debit.mandate_reference,
            "mandate_date": debit.mandate_signed,
            "description": debit.remittance,
            "endtoend_id": debit.end_to_end_id,
        }
        if debit.bic:
            payment["BIC"] = debit.bic
        document.add_payment(payment)
    try:
        content = document.export(validate=True)
    except ValidationError as error:
        raise SepaFileError(str(error.__cause__ or error)) from error
    return content, document.msg_id
