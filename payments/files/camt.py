"""Reading a bank statement in ISO 20022 camt.053 (versions .001.02 up to
.001.08 and later), namespace-agnostic, into plain lines.

One line per transaction: an entry with several transaction details (a
batch booked as one amount, several returns) becomes several lines, each
with its own amount; an entry without details is one line. Every line gets
a `key` that stays the same when the same statement is read again (the
bank's reference where there is one, else a hash of what identifies it), so
an import can book each line once."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree

# Bank transaction sub-family codes (ISO 20022 BkTxCd) of returned direct
# debits: unpaid (UPDD) and reversed (RRTN for returns of credit transfers).
RETURN_SUBFAMILIES = {"UPDD", "RRTN", "PRDD"}


class CamtError(Exception):
    """The file is not a camt.053 statement that can be read."""


@dataclass(frozen=True)
class StatementLine:
    key: str
    booked_on: dt.date
    value_date: dt.date | None
    amount: Decimal
    credit: bool
    is_reversal: bool
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    end_to_end_id: str
    mandate_reference: str
    return_reason: str
    bank_reference: str
    batch_id: str

    @property
    def is_return(self) -> bool:
        """A direct debit (or a transfer) that came back: a reversal or a line with a return reason."""
        return self.is_reversal or bool(self.return_reason)


@dataclass(frozen=True)
class Statement:
    statement_id: str
    iban: str
    created_on: dt.date | None
    version: str
    lines: list[StatementLine] = field(default_factory=list)


def _strip_namespaces(root: etree._Element) -> None:
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = etree.QName(element).localname


def _text(element: etree._Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return (found.text or "").strip() if found is not None else ""


def _first(element: etree._Element, *paths: str) -> str:
    for path in paths:
        value = _text(element, path)
        if value:
            return value
    return ""


def _date(value: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as error:
        raise CamtError(_("The statement has an invalid date: %(value)s.") % {"value": value}) from error


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation as error:
        raise CamtError(_("The statement has an invalid amount: %(value)s.") % {"value": value}) from error
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise CamtError(_("The statement has an invalid amount: %(value)s.") % {"value": value})
    return amount


def _party(details: etree._Element, role: str) -> tuple[str, str]:
    """Name and IBAN of the debtor or creditor (in .08 the name sits under Pty)."""
    name = _first(details, f"RltdPties/{role}/Nm", f"RltdPties/{role}/Pty/Nm")
    iban = _text(details, f"RltdPties/{role}Acct/Id/IBAN")
    return name, iban


def _parse(content: bytes) -> tuple[etree._Element, str]:
    if not content.strip():
        raise CamtError(_("The file is empty."))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(content, parser=parser)
    except etree.XMLSyntaxError as error:
        raise CamtError(_("The file is not XML: %(error)s") % {"error": error}) from error
    namespace = etree.QName(root).namespace or ""
    _strip_namespaces(root)
    if root.tag != "Document" or root.find("BkToCstmrStmt") is None:
        raise CamtError(_("The file is not a camt.053 bank statement."))
    if namespace and "camt.053" not in namespace:
        raise CamtError(_("The file is not a camt.053 bank statement."))
    return root, namespace.rpartition(":")[2]


def _key(iban: str, *parts: str) -> str:
    digest = hashlib.sha256("\x1f".join([iban, *parts]).encode()).hexdigest()
    return f"camt:{digest}"


def statement_read(content: bytes) -> list[Statement]:
    """The statements in a camt.053 file (usually one)."""
    root, version = _parse(content)
    statements = []
    for statement in root.find("BkToCstmrStmt").findall("Stmt"):
        iban = _first(statement, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        statement_id = _text(statement, "Id")
        lines: list[StatementLine] = []
        seen: dict[str, int] = {}
        for entry in statement.findall("Ntry"):
            lines.extend(_entry_lines(entry, iban=iban, seen=seen))
        statements.append(
            Statement(
                statement_id=statement_id,
                iban=iban,
                created_on=_date(_text(statement, "CreDtTm")),
                version=version,
                lines=lines,
            )
        )
    if not statements:
        raise CamtError(_("The file holds no statement."))
    return statements


def _entry_lines(entry: etree._Element, *, iban: str, seen: dict[str, int]) -> list[StatementLine]:
    status = _first(entry, "Sts/Cd", "Sts")
    if status and status != "BOOK":
        return []
    credit_debit = _text(entry, "CdtDbtInd")
    if credit_debit not in ("CRDT", "DBIT"):
        raise CamtError(_("An entry has no credit/debit indicator."))
    entry_amount = _amount(_text(entry, "Amt"))
    booked_on = _date(_first(entry, "BookgDt/Dt", "BookgDt/DtTm"))
    if booked_on is None:
        raise CamtError(_("An entry has no booking date."))
    value_date = _date(_first(entry, "ValDt/Dt", "ValDt/DtTm"))
    reversal = _text(entry, "RvslInd").lower() == "true"
    currency = entry.find("Amt").get("Ccy", "EUR")
    entry_reference = _text(entry, "AcctSvcrRef")
    entry_subfamily = _text(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
    batch_id = _first(entry, "NtryDtls/Btch/MsgId", "NtryDtls/Btch/PmtInfId")
    details_list = [d for details in entry.findall("NtryDtls") for d in details.findall("TxDtls")]
    lines = []
    for index, details in enumerate(details_list or [None]):
        if details is None:
            amount = entry_amount
        else:
            amount_text = _first(details, "AmtDtls/TxAmt/Amt", "Amt", "AmtDtls/InstdAmt/Amt")
            amount = _amount(amount_text) if amount_text else entry_amount
            if not amount_text and len(details_list) > 1:
                raise CamtError(_("A batch entry has a transaction without an amount."))
        role = "Dbtr" if credit_debit == "CRDT" else "Cdtr"
        name, counterparty_iban = _party(details, role) if details is not None else ("", "")
        remittance = " ".join(
            (element.text or "").strip() for element in (details.findall("RmtInf/Ustrd") if details is not None else [])
        ) or _text(entry, "AddtlNtryInf")
        end_to_end = _text(details, "Refs/EndToEndId")
        if end_to_end == "NOTPROVIDED":
            end_to_end = ""
        subfamily = _text(details, "BkTxCd/Domn/Fmly/SubFmlyCd") or entry_subfamily
        return_reason = _first(details, "RtrInf/Rsn/Cd", "RtrInf/Rsn/Prtry") if details is not None else ""
        if credit_debit == "DBIT" and not return_reason and subfamily in RETURN_SUBFAMILIES:
            return_reason = "NARR"
        bank_reference = _text(details, "Refs/AcctSvcrRef") or entry_reference
        identity = [
            bank_reference,
            str(index) if entry_reference else "",
            booked_on.isoformat(),
            credit_debit,
            str(amount),
            end_to_end,
            remittance,
            name,
        ]
        if not entry_reference:
            # No bank reference: two identical lines in one statement stay two lines.
            base = "\x1f".join(identity)
            seen[base] = seen.get(base, 0) + 1
            identity.append(str(seen[base]))
        lines.append(
            StatementLine(
                key=_key(iban, *identity),
                booked_on=booked_on,
                value_date=value_date,
                amount=amount,
                credit=credit_debit == "CRDT",
                is_reversal=reversal,
                currency=currency,
                counterparty_name=name,
                counterparty_iban=counterparty_iban,
                remittance=remittance,
                end_to_end_id=end_to_end,
                mandate_reference=_text(details, "Refs/MndtId"),
                return_reason=return_reason,
                bank_reference=bank_reference,
                batch_id=_first(details, "Refs/MsgId", "Refs/PmtInfId") or batch_id,
            )
        )
    return lines
