"""The SEPA credit-transfer file (pain.001.001.03) of refunds, built with
sepaxml from plain data and checked against the schema."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError

from core.money import round_money

SCHEMA = "pain.001.001.03"


class SepaTransferFileError(Exception):
    """The credit-transfer file cannot be written from this data (a wrong IBAN or BIC)."""


@dataclass(frozen=True)
class Debtor:
    """Who pays: the company's account."""

    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    creditor_name: str
    iban: str
    remittance: str
    bic: str = ""


def _cents(amount: Decimal) -> int:
    if round_money(amount) != amount or amount <= 0:
        raise SepaTransferFileError(f"a credit transfer is a positive amount in whole cents, not {amount}")
    return int(amount * 100)


def pain001_build(*, debtor: Debtor, execution_date: dt.date, transfers: list[Transfer]) -> tuple[bytes, str]:
    """The pain.001.001.03 XML of `transfers` and its message id; a value the
    schema refuses raises SepaTransferFileError."""
    if not transfers:
        raise SepaTransferFileError("a credit-transfer file needs at least one transfer")
    document = SepaTransfer(
        {
            "name": debtor.name,
            "IBAN": debtor.iban.replace(" ", ""),
            "BIC": debtor.bic,
            "batch": True,
            "currency": "EUR",
        },
        schema=SCHEMA,
    )
    for transfer in transfers:
        payment = {
            "name": transfer.creditor_name,
            "IBAN": transfer.iban.replace(" ", ""),
            "amount": _cents(transfer.amount),
            "execution_date": execution_date,
            "description": transfer.remittance[:140],
            "endtoend_id": transfer.end_to_end_id,
        }
        if transfer.bic:
            payment["BIC"] = transfer.bic
        document.add_payment(payment)
    try:
        content = document.export(validate=True)
    except ValidationError as error:
        raise SepaTransferFileError(str(error.__cause__ or error)) from error
    return content, document.msg_id
