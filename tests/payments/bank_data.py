"""Test data for direct debits and bank statements: issued invoices with
their ledger debit, instalments, mandates, and camt.053 files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from accounts.models import Account, PaymentMethod
from billing.models import Instalment, Invoice, LedgerEntry
from billing.services.ledger import ledger_book
from core.money import round_money
from tests.factories import AccountFactory, CustomerFactory, SepaMandateFactory

DATA = Path(__file__).parent / "data"
OUR_IBAN = "DE02120300000000202051"


def account_with(number: str, first_name: str, last_name: str, *, direct_debit: bool = False, **customer) -> Account:
    account = AccountFactory(
        number=number,
        customer=CustomerFactory(first_name=first_name, last_name=last_name, **customer),
        payment_method=PaymentMethod.SEPA if direct_debit else PaymentMethod.TRANSFER,
    )
    if direct_debit:
        SepaMandateFactory(
            account=account,
            reference=f"MANDATE-{number}",
            account_holder=f"{first_name} {last_name}",
        )
    return account


def _vat_sqlite_can_check(gross: Decimal) -> Decimal:
    """19 % VAT in the gross, moved by a cent where SQLite's floating-point CHECK
    (gross = net + VAT) would refuse the exact decimal split."""
    vat = round_money(gross * Decimal(19) / Decimal(119))
    for candidate in (vat, vat - Decimal("0.01"), vat + Decimal("0.01"), Decimal("0.00")):
        if float(gross - candidate) + float(candidate) == float(gross):
            return candidate
    return Decimal("0.00")


def issued_invoice(
    account: Account,
    *,
    number: str,
    gross: Decimal,
    due_date: dt.date,
    issue_date: dt.date | None = None,
    customer_name: str | None = None,
    period_start: dt.date | None = None,
) -> Invoice:
    """An issued bill with its INVOICE debit on the ledger, booked as billing does."""
    vat = _vat_sqlite_can_check(gross)
    issue_date = issue_date or due_date - dt.timedelta(days=14)
    invoice = Invoice.objects.create(
        account=account,
        number=number,
        kind=Invoice.Kind.INVOICE,
        status=Invoice.Status.ISSUED,
        period_start=period_start or issue_date - dt.timedelta(days=30),
        period_end=period_start or issue_date - dt.timedelta(days=1),
        issue_date=issue_date,
        due_date=due_date,
        net_total=gross - vat,
        vat_total=vat,
        gross_total=gross,
        customer_name=customer_name or account.customer.display_name,
        customer_address="\n".join(account.billing_address_lines),
    )
    ledger_book(
        account=account,
        kind=LedgerEntry.Kind.INVOICE,
        amount=invoice.amount_due,
        booked_on=issue_date,
        key=f"invoice:{invoice.pk}",
        text=f"Invoice {number}",
        invoice=invoice,
        reference=number,
        due_date=due_date,
    )
    return invoice


def instalment(account: Account, *, amount: Decimal, due_date: dt.date) -> Instalment:
    entry, _created = ledger_book(
        account=account,
        kind=LedgerEntry.Kind.INSTALMENT,
        amount=amount,
        booked_on=due_date - dt.timedelta(days=14),
        key=f"instalment:{account.pk}:{due_date}",
        text="Instalment",
        due_date=due_date,
    )
    return Instalment.objects.create(account=account, due_date=due_date, amount=amount, ledger_entry=entry)


def invoice_open(invoice: Invoice) -> Decimal:
    from billing.services.ledger import entry_open_amount

    return sum(
        (entry_open_amount(entry=entry) for entry in LedgerEntry.objects.filter(invoice=invoice, amount__gt=0)),
        Decimal("0.00"),
    )


def credit_line(
    *,
    amount: str,
    name: str,
    remittance: str = "",
    booked: str = "2026-04-16",
    reference: str = "",
    end_to_end: str = "NOTPROVIDED",
    iban: str = "DE89370400440532013000",
) -> str:
    ref = f"<AcctSvcrRef>{reference}</AcctSvcrRef>" if reference else ""
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>{ref}
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{escape(end_to_end)}</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>{escape(name)}</Nm></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id></DbtrAcct></RltdPties>
          <RmtInf><Ustrd>{escape(remittance)}</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def return_line(
    *, amount: str, end_to_end: str, mandate: str, reason: str = "AM04", booked: str = "2026-04-20", reference: str = ""
) -> str:
    ref = f"<AcctSvcrRef>{reference}</AcctSvcrRef>" if reference else ""
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts>BOOK</Sts>
        <BookgDt><Dt>{booked}</Dt></BookgDt><ValDt><Dt>{booked}</Dt></ValDt>{ref}
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>IDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>{end_to_end}</EndToEndId><MndtId>{mandate}</MndtId></Refs>
          <RtrInf><Rsn><Cd>{reason}</Cd></Rsn></RtrInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def statement(*entries: str, statement_id: str = "STMT-2026-04-16") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>{statement_id}</MsgId><CreDtTm>2026-04-16T18:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id><CreDtTm>2026-04-16T18:00:00</CreDtTm>
      <Acct><Id><IBAN>{OUR_IBAN}</IBAN></Id></Acct>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()
