"""E-invoices for business customers: Factur-X / ZUGFeRD, profile EN 16931.

`einvoice_xml` builds the Cross Industry Invoice XML with drafthorse (which
validates it against the Factur-X EN 16931 schema while serialising);
`einvoice_embed` puts it into the invoice PDF as a PDF/A-3 attachment
(factur-x.xml) with the factur-x library, which checks the schema again and
writes the XMP metadata.

A credit note is document type 381 with the amounts of the invoice it
cancels as positive figures (EN 16931 signs a credit note by its type), and
it names that invoice (BT-25/26). A settlement credits the instalments paid
as prepaid amount (BT-113); the amount due (BT-115) is then negative when
the customer gets money back.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _
from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from accounts.models import SepaMandate
from billing.models import Invoice, InvoiceLine
from core.money import round_money

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
SCHEMA = "FACTUR-X_EN16931"
TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
PAYMENT_CREDIT_TRANSFER = "58"
PAYMENT_DIRECT_DEBIT = "59"
VAT_STANDARD = "S"
# UN/ECE Recommendation 20 unit codes.
UNIT_CODES = {"KWH": "KWH", "kWh": "KWH", "M3": "MTQ", "m³": "MTQ"}
LINE_KIND_UNITS = {InvoiceLine.Kind.STANDING_CHARGE: "DAY", InvoiceLine.Kind.MONTHLY_FEE: "MON"}
ZERO = Decimal("0.00")


class EInvoiceError(ValueError):
    """The invoice cannot be written as an EN 16931 e-invoice."""


def _unit_code(line: InvoiceLine) -> str:
    if line.kind in LINE_KIND_UNITS:
        return LINE_KIND_UNITS[InvoiceLine.Kind(line.kind)]
    try:
        return UNIT_CODES[line.unit]
    except KeyError as error:
        raise EInvoiceError(f"no unit code for {line.unit!r} on line {line.position}") from error


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(Decimal("0.01"))


def _address(party, *, lines: list[str], postcode: str, city: str, country: str) -> None:
    party.address.line_one = lines[0] if lines else ""
    if len(lines) > 1:
        party.address.line_two = lines[1]
    party.address.postcode = postcode
    party.address.city_name = city
    party.address.country_id = country


def _customer_address(invoice: Invoice) -> tuple[list[str], str, str, str]:
    """Street lines, postcode, city and country from the address snapshot
    (street [, extra], "postcode city" [, country code])."""
    lines = [line.strip() for line in invoice.customer_address.splitlines() if line.strip()]
    country = "DE"
    if len(lines) > 2 and len(lines[-1]) == 2 and lines[-1].isalpha():
        country = lines.pop().upper()
    postcode, _space, city = lines[-1].partition(" ") if lines else ("", "", "")
    return lines[:-1], postcode, city, country


def _mandate(invoice: Invoice) -> SepaMandate | None:
    if not invoice.account.pays_by_direct_debit:
        return None
    return (
        SepaMandate.objects.filter(account_id=invoice.account_id, status=SepaMandate.Status.ACTIVE)
        .order_by("-created_at", "-id")
        .first()
    )


def _line_item(line: InvoiceLine, *, sign: Decimal) -> LineItem:
    item = LineItem()
    item.document.line_id = str(line.position)
    name = line.description
    if line.supply_point:
        name = f"{name} – {line.supply_point}"
    if line.meter_serial:
        name = f"{name} ({line.meter_serial})"
    item.product.name = name
    item.agreement.net.amount = line.unit_price
    item.delivery.billed_quantity = (sign * line.quantity, _unit_code(line))
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = VAT_STANDARD
    item.settlement.trade_tax.rate_applicable_percent = _percent(line.vat_rate)
    item.settlement.period.start = line.period_start
    item.settlement.period.end = line.period_end
    item.settlement.monetary_summation.total_amount = sign * line.net_amount
    return item


def _taxes(lines: list[InvoiceLine], *, sign: Decimal) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(rate, basis, VAT) per rate: the VAT on the sum of the rate's lines, rounded once."""
    nets: dict[Decimal, Decimal] = {}
    for line in lines:
        nets[line.vat_rate] = nets.get(line.vat_rate, ZERO) + sign * line.net_amount
    return [(rate, net, round_money(net * rate)) for rate, net in sorted(nets.items())]


def einvoice_xml(*, invoice: Invoice) -> bytes:
    """The invoice or credit note as Factur-X EN 16931 XML (UTF-8), schema-valid."""
    if invoice.number is None or invoice.issue_date is None:
        raise EInvoiceError("only an issued invoice has an e-invoice")
    sign = Decimal(-1) if invoice.is_credit_note else Decimal(1)
    lines = list(invoice.lines.order_by("position"))
    doc = Document()
    doc.context.guideline_parameter.id = GUIDELINE_EN16931
    _header(doc, invoice=invoice)
    _seller(doc.trade.agreement.seller, supplier=invoice.supplier)
    _buyer(doc.trade.agreement, invoice=invoice)
    for line in lines:
        doc.trade.items.add(_line_item(line, sign=sign))
    settlement = doc.trade.settlement
    settlement.currency_code = invoice.currency
    settlement.payment_reference = invoice.number
    settlement.period.start = invoice.period_start
    settlement.period.end = invoice.period_end
    if invoice.cancels is not None:
        settlement.invoice_referenced_document.issuer_assigned_id = invoice.cancels.number
        settlement.invoice_referenced_document.issue_date_time = invoice.cancels.issue_date
    _payment(settlement, invoice=invoice)
    _totals(settlement, invoice=invoice, lines=lines, sign=sign)
    return doc.serialize(schema=SCHEMA)


def _header(doc: Document, *, invoice: Invoice) -> None:
    """Number, type, issue date and the notes (supply period and account, the supplier's register)."""
    doc.header.id = invoice.number
    doc.header.type_code = TYPE_CREDIT_NOTE if invoice.is_credit_note else TYPE_INVOICE
    doc.header.issue_date_time = invoice.issue_date
    with translation.override(invoice.language):
        note = IncludedNote()
        note.content = _("Supply period %(start)s to %(end)s, account %(account)s") % {
            "start": invoice.period_start.isoformat(),
            "end": invoice.period_end.isoformat(),
            "account": invoice.account.number,
        }
        doc.header.notes.add(note)
    register_court = invoice.supplier.get("register_court")
    if register_court:
        register = IncludedNote()
        register.content = register_court
        register.subject_code = "REG"
        doc.header.notes.add(register)


def _seller(seller, *, supplier: dict) -> None:
    seller.name = supplier["name"]
    _address(
        seller,
        lines=[supplier["street"]],
        postcode=supplier["postcode"],
        city=supplier["city"],
        country=supplier.get("country", "DE"),
    )
    if supplier.get("email"):
        seller.electronic_address.uri_ID = ("EM", supplier["email"])
    if supplier.get("vat_id"):
        seller.tax_registrations.add(TaxRegistration(id=("VA", supplier["vat_id"])))
    if supplier.get("tax_number"):
        seller.tax_registrations.add(TaxRegistration(id=("FC", supplier["tax_number"])))


def _buyer(agreement, *, invoice: Invoice) -> None:
    buyer = agreement.buyer
    buyer.id = invoice.account.number
    buyer.name = invoice.customer_name
    street_lines, postcode, city, country = _customer_address(invoice)
    _address(buyer, lines=street_lines, postcode=postcode, city=city, country=country)
    if invoice.customer_vat_id:
        buyer.tax_registrations.add(TaxRegistration(id=("VA", invoice.customer_vat_id)))
    agreement.buyer_reference = invoice.account.number


def _payment(settlement, *, invoice: Invoice) -> None:
    """Direct debit from the active mandate, else credit transfer to the supplier; the terms."""
    supplier = invoice.supplier
    mandate = _mandate(invoice)
    means = PaymentMeans()
    terms = PaymentTerms()
    with translation.override(invoice.language):
        terms.description = (
            _("Payable by %(date)s") % {"date": invoice.due_date.isoformat()} if invoice.due_date else _("Payable now")
        )
    if invoice.due_date:
        terms.due = invoice.due_date
    if mandate is not None:
        means.type_code = PAYMENT_DIRECT_DEBIT
        means.payer_account.iban = mandate.iban
        settlement.creditor_reference_id = supplier.get("creditor_id") or mandate.creditor_id
        terms.debit_mandate_id = mandate.reference
    else:
        means.type_code = PAYMENT_CREDIT_TRANSFER
        means.payee_account.iban = supplier["iban"]
        means.payee_account.account_name = supplier["name"]
        if supplier.get("bic"):
            means.payee_institution.bic = supplier["bic"]
    settlement.payment_means.add(means)
    settlement.terms.add(terms)


def _totals(settlement, *, invoice: Invoice, lines: list[InvoiceLine], sign: Decimal) -> None:
    """VAT per rate and the document totals, which must be those the invoice shows."""
    taxes = _taxes(lines, sign=sign)
    for rate, basis, vat in taxes:
        tax = ApplicableTradeTax()
        tax.calculated_amount = vat
        tax.basis_amount = basis
        tax.type_code = "VAT"
        tax.category_code = VAT_STANDARD
        tax.rate_applicable_percent = _percent(rate)
        settlement.trade_tax.add(tax)
    line_total = sum((sign * line.net_amount for line in lines), ZERO)
    vat_total = sum((vat for _rate, _basis, vat in taxes), ZERO)
    if line_total != sign * invoice.net_total or vat_total != sign * invoice.vat_total:
        raise EInvoiceError(f"the lines of {invoice.number} do not add up to its totals")
    totals = settlement.monetary_summation
    totals.line_total = line_total
    totals.charge_total = ZERO
    totals.allowance_total = ZERO
    totals.tax_basis_total = line_total
    totals.tax_total = (vat_total, invoice.currency)
    totals.grand_total = sign * invoice.gross_total
    totals.prepaid_total = sign * invoice.instalments_total
    totals.due_amount = sign * invoice.amount_due


def einvoice_embed(*, pdf: bytes, xml: bytes, invoice: Invoice) -> bytes:
    """The PDF as PDF/A-3 with the XML attached as factur-x.xml (checked against the XSD)."""
    import facturx  # loaded when a PDF is made, not at start-up

    return facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        lang="de-DE" if invoice.language == "de" else "en-GB",
        pdf_metadata={
            "author": invoice.supplier.get("name", ""),
            "keywords": "Factur-X, ZUGFeRD, EN 16931",
            "title": f"{invoice.supplier.get('name', '')}: {invoice.number}",
            "subject": f"{invoice.number} {invoice.issue_date.isoformat() if invoice.issue_date else ''}".strip(),
        },
    )
