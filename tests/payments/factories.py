"""Payments test data: bank statements (camt.053) and Stripe's webhook
events, signed the way Stripe signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

DATA = Path(__file__).parent / "data"
OUR_IBAN = "DE02120300000000202051"


def stripe_signature(payload: str, *, secret: str, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `payload`: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<payload>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    signature = hmac.new(secret.encode(), msg=signed, digestmod=hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signature}"


def stripe_event(event_id: str, event_type: str, obj: dict[str, Any]) -> str:
    """A Stripe event body as Stripe sends it (JSON text)."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "data": {"object": obj},
        }
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
