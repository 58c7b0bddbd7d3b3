"""E-invoices for business customers: Factur-X EN 16931 XML that validates
against the schema, carries the invoice's totals to the cent and travels
inside the PDF/A-3."""

import io
from decimal import Decimal
from importlib.resources import files

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader

from billing.documents.einvoice import einvoice_xml
from billing.documents.pdf import invoice_pdf_render
from billing.models import Invoice, InvoiceLine
from tests.accounts.factories import SepaMandateFactory
from tests.billing.factories import credit_note_make, invoice_make

pytestmark = pytest.mark.django_db

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
EN16931_XSD = files("facturx") / "xsd_and_schematron" / "facturx-en16931" / "Factur-X_EN16931.xsd"


def parsed(xml: bytes):
    return etree.fromstring(xml)


def first(tree, path: str) -> str:
    return tree.xpath(path, namespaces=NS)[0].text


def money(tree, name: str) -> Decimal:
    return Decimal(first(tree, f"//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{name}"))


def test_the_xml_of_a_business_bill_validates_against_the_en16931_schema():
    invoice = invoice_make(business=True)

    xml = einvoice_xml(invoice=invoice)

    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    schema = etree.XMLSchema(file=str(EN16931_XSD))
    assert schema.validate(parsed(xml)), schema.error_log
    assert facturx.get_level(parsed(xml)) == "en16931"


def test_the_xml_carries_the_parties_lines_and_totals_to_the_cent():
    invoice = invoice_make(business=True)

    tree = parsed(einvoice_xml(invoice=invoice))

    assert first(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert first(tree, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert first(tree, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']") == "DE123456789"
    assert first(tree, "//ram:BuyerTradeParty/ram:Name") == "Bäckerei Kruse GmbH"
    assert first(tree, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "DE811907980"
    assert first(tree, "//ram:BuyerTradeParty//ram:PostcodeCode") == "51147"
    assert first(tree, "//ram:BuyerTradeParty//ram:CityName") == "Köln"
    lines = tree.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)
    assert len(lines) == 4
    units = [line.xpath(".//ram:BilledQuantity/@unitCode", namespaces=NS)[0] for line in lines]
    assert units == ["KWH", "KWH", "DAY", "DAY"]
    line_totals = [Decimal(line.xpath(".//ram:LineTotalAmount", namespaces=NS)[0].text) for line in lines]
    assert sum(line_totals) == invoice.net_total
    assert money(tree, "LineTotalAmount") == invoice.net_total == Decimal("1050.25")
    assert money(tree, "TaxBasisTotalAmount") == invoice.net_total
    assert money(tree, "TaxTotalAmount") == invoice.vat_total == Decimal("199.55")
    assert money(tree, "GrandTotalAmount") == invoice.gross_total == Decimal("1249.80")
    assert money(tree, "DuePayableAmount") == invoice.amount_due
    tax = tree.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
    assert [(first(t, "ram:CategoryCode"), first(t, "ram:RateApplicablePercent")) for t in tax] == [("S", "19.00")]
    assert first(tree, "//ram:ApplicableHeaderTradeSettlement/ram:BillingSpecifiedPeriod//udt:DateTimeString") == (
        "20260101"
    )
    assert first(tree, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/*") == "20270119"


def test_a_bank_transfer_names_the_suppliers_iban_and_the_invoice_number():
    tree = parsed(einvoice_xml(invoice=invoice_make(business=True)))

    assert first(tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "58"
    assert first(tree, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "DE02120300000000202051"
    assert first(tree, "//ram:ApplicableHeaderTradeSettlement/ram:PaymentReference") == "RE2027-000001"


def test_a_direct_debit_names_the_mandate_the_creditor_id_and_the_debtors_iban():
    mandate = SepaMandateFactory(
        reference="MANDATE-7",
        account__customer__customer_type="BUSINESS",
        account__customer__company_name="Kruse KG",
        account__customer__vat_id="DE811907980",
    )
    tree = parsed(einvoice_xml(invoice=invoice_make(account=mandate.account)))

    assert first(tree, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "59"
    assert first(tree, "//ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID") == "MANDATE-7"
    assert first(tree, "//ram:ApplicableHeaderTradeSettlement/ram:CreditorReferenceID") == "DE98ZZZ09999999999"
    assert first(tree, "//ram:PayerPartyDebtorFinancialAccount/ram:IBANID") == "DE89370400440532013000"


def test_a_settlement_shows_the_instalments_as_prepaid():
    instalments = [(f"2026-{month:02d}-15", "100.00") for month in range(1, 13)]
    invoice = invoice_make(business=True, kind=Invoice.Kind.SETTLEMENT, instalments=instalments)

    xml = einvoice_xml(invoice=invoice)

    tree = parsed(xml)
    assert money(tree, "TotalPrepaidAmount") == Decimal("1200.00")
    assert money(tree, "DuePayableAmount") == Decimal("49.80") == invoice.amount_due
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")


def test_a_credit_note_is_type_381_with_positive_amounts_and_names_the_invoice():
    note = credit_note_make(invoice_make(business=True))

    xml = einvoice_xml(invoice=note)

    tree = parsed(xml)
    assert facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    assert first(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert first(tree, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == "RE2027-000001"
    assert money(tree, "GrandTotalAmount") == -note.gross_total == Decimal("1249.80")
    assert money(tree, "TaxTotalAmount") == -note.vat_total
    assert Decimal(first(tree, "//ram:BilledQuantity")) == Decimal("1487.671233")


def test_monthly_fees_and_water_use_their_unit_codes():
    invoice = invoice_make(business=True)
    InvoiceLine.objects.filter(invoice=invoice, position=3).update(kind="MONTHLY_FEE", unit="months")
    InvoiceLine.objects.filter(invoice=invoice, position=1).update(unit="M3")

    tree = parsed(einvoice_xml(invoice=invoice))

    assert tree.xpath("//ram:BilledQuantity/@unitCode", namespaces=NS) == ["MTQ", "KWH", "MON", "DAY"]


def test_the_business_pdf_is_pdf_a3_with_the_xml_inside(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = invoice_make(business=True)

    content = invoice_pdf_render(invoice=invoice)

    reader = PdfReader(io.BytesIO(content))
    embedded = reader.attachments["factur-x.xml"][0]
    assert embedded == einvoice_xml(invoice=invoice)
    _name, xml = facturx.get_xml_from_pdf(content, check_xsd=True)
    assert money(parsed(xml), "GrandTotalAmount") == invoice.gross_total
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp


def test_a_household_bill_has_no_e_invoice_inside():
    content = invoice_pdf_render(invoice=invoice_make())

    assert "factur-x.xml" not in PdfReader(io.BytesIO(content)).attachments
