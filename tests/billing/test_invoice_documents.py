"""Invoice and credit note PDFs: every field the law asks for, in German and
English, stored once and never rendered again."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import BillingPreferences
from billing.documents.pdf import InvoiceNotIssued, invoice_pdf_ensure, invoice_pdf_render
from billing.documents.presenter import invoice_view
from billing.models import Invoice, InvoiceReading
from billing.services.invoicing import bill_account
from meters.models import Read
from meters.readings import ValueMethod
from tests.accounts.factories import SepaMandateFactory
from tests.billing.factories import credit_note_make, invoice_make
from tests.meters.factories import at, register_of
from tests.supply.factories import pdf_text, supplied, tariff_make

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def german(text) -> str:
    with translation.override("de"):
        return str(text)


def rendered(invoice: Invoice) -> str:
    content = invoice_pdf_render(invoice=invoice)
    assert content.startswith(b"%PDF")
    return pdf_text(content)


def test_the_bill_holds_every_field_the_law_asks_for_in_german():
    invoice = invoice_make(language="de", number="RE2027-000001")

    text = rendered(invoice)

    for expected in (
        # supplier (UStG §14(4), EnWG §40)
        "Stadtwerke Musterstadt GmbH",
        "Hauptstraße 1",
        "12345 Musterstadt",
        "+49 30 1234567",
        "service@stadtwerke.example",
        "DE123456789",
        "37/123/45678",
        "Amtsgericht Musterstadt HRB 12345",
        # customer
        "Erika Mustermann",
        "Heidestraße 17",
        "51147 Köln",
        invoice.account.number,
        # number, dates, period, amount due
        "RE2027-000001",
        "5. Januar 2027",
        "1. Januar 2026",
        "31. Dezember 2026",
        "19. Januar 2027",
        "1.249,80 €",
        # supply: market location, address, tariff, term
        "50000000017",
        "Lindenstraße 12, 10969 Berlin",
        "Strom Basis (STROM-BASIS)",
        "31. Januar 2027",  # next possible cancellation date
        # meter, readings and how they were obtained
        "1ESY1160012345",
        "1.234,5 kWh",
        "4.234,5 kWh",
        german(ValueMethod.READ.label),
        german(ValueMethod.INTERPOLATED.label),
        # lines per price slice, net per rate, VAT rate and amount
        "1.487,671233 kWh",
        "0,3000 €",
        "0,3200 €",
        "446,30 €",
        "483,95 €",
        "1.050,25 €",
        "19 %",
        "199,55 €",
        # comparison with last year
        "2.750 kWh",
        "3.000 kWh",
        # arbitration board
        "Schlichtungsstelle Energie e.V., Friedrichstraße 133, 10117 Berlin",
        # bank transfer with the invoice number as reference
        "DE02120300000000202051",
    ):
        assert expected in text, expected


def test_the_bill_is_in_english_for_an_english_bill():
    invoice = invoice_make(language="en")

    text = rendered(invoice)

    for expected in (
        "Invoice RE2027-000001",
        "Amount due €1,249.80 due on Jan. 19, 2027",
        "Supply period Jan. 1, 2026 to Dec. 31, 2026",
        "Market location id 50000000017",
        "Meter number 1ESY1160012345",
        "Jan. 1, 2026: 1,234.5 kWh read",
        "Jan. 1, 2027: 4,234.5 kWh interpolated",
        "Minimum term 12 months",
        "Notice period 4 weeks",
        "Next possible cancellation date Jan. 31, 2027",
        "19% €1,050.25 €199.55 €1,249.80",
        "Meter reading 2,750 kWh 3,000 kWh +9%",
        "Please transfer €1,249.80 by Jan. 19, 2027, quoting the invoice number.",
        "Reference RE2027-000001",
        "arbitration board",
    ):
        assert expected in text, expected


def test_an_estimated_reading_is_marked_as_estimated():
    invoice = invoice_make(end_method=ValueMethod.ESTIMATED_HISTORY)

    text = rendered(invoice)

    assert "4,234.5 kWh estimated from the history" in text
    assert "Some meter values on this bill are estimated" in text


def test_a_gas_bill_shows_the_conversion_from_cubic_metres_to_kwh():
    invoice = invoice_make()
    InvoiceReading.objects.filter(invoice=invoice).update(
        unit="M3",
        consumption=Decimal("300.000"),
        state_number=Decimal("0.9650"),
        calorific_value=Decimal("11.200"),
        billed_quantity=Decimal("3242.000"),
    )

    text = rendered(invoice)

    assert "300 m³ × state number 0.965 × calorific value 11.2 kWh/m³ = 3,242 kWh" in text


def test_a_business_bill_names_the_customers_vat_id():
    invoice = invoice_make(business=True)

    text = rendered(invoice)

    assert "Bäckerei Kruse GmbH" in text
    assert "Your VAT id DE811907980" in text


def test_a_credit_note_says_which_invoice_it_cancels_and_what_is_credited():
    note = credit_note_make(invoice_make(), reason="Corrected reads")

    text = rendered(note)

    assert "Credit note (cancellation) GS2027-000001" in text
    assert "Cancels invoice RE2027-000001 of Jan. 5, 2027" in text
    assert "Reason: Corrected reads" in text
    assert "Your credit €1,249.80" in text
    assert "The credit of €1,249.80 is set against the cancelled bill" in text
    assert "-€446.30" in text or "−€446.30" in text or "€-446.30" in text
    assert "same period last year" not in text.lower()


def test_a_settlement_credits_the_instalments_and_pays_back_by_direct_debit():
    mandate = SepaMandateFactory(reference="MANDATE-42")
    instalments = [(f"2026-{month:02d}-15", "110.00") for month in range(1, 13)]
    invoice = invoice_make(account=mandate.account, kind=Invoice.Kind.SETTLEMENT, instalments=instalments)

    text = rendered(invoice)

    # 1,249.80 - 12 x 110.00 = -70.20: a credit
    assert "Settlement bill" in text
    assert "Instalments credited €1,320.00" in text
    assert "Instalment due on Jan. 15, 2026 €110.00" in text
    assert "Your credit €70.20" in text
    assert "into the account of your direct-debit mandate (DE89 •••• •••• 3000)" in text


def test_a_bill_paid_by_direct_debit_names_the_mandate_and_the_creditor_id():
    mandate = SepaMandateFactory(reference="MANDATE-43", signed_date=dt.date(2025, 3, 2))
    invoice = invoice_make(account=mandate.account)

    text = rendered(invoice)

    assert "We collect €1,249.80 by SEPA direct debit on Jan. 19, 2027" in text
    assert "Mandate reference MANDATE-43" in text
    assert "Mandate signed on March 2, 2025" in text
    assert "Creditor identifier DE98ZZZ09999999999" in text
    assert "DE89 •••• •••• 3000" in text
    assert "DE89370400440532013000" not in text


def test_the_comparison_chart_is_inline_svg_with_one_bar_per_year():
    invoice = invoice_make()

    view = invoice_view(invoice=invoice)

    svg = str(view.chart_svg)
    assert svg.startswith("<svg") and "<script" not in svg and "style=" not in svg
    assert svg.count("<rect") == 2
    assert 'width="240"' in svg and 'width="220"' in svg  # 3,000 kWh at full length, 2,750 in proportion
    assert [step.label for step in view.steps][-1] == "Amount due"


def test_the_chart_says_when_there_is_no_figure_for_last_year():
    invoice = invoice_make()
    invoice.details["comparison"][0]["last_year"] = None
    Invoice.objects.filter(pk=invoice.pk).update(details=invoice.details)
    invoice.refresh_from_db()

    view = invoice_view(invoice=invoice)

    assert view.comparisons[0].change == ""
    assert "no figure" in str(view.chart_svg)


def test_the_pdf_is_rendered_once_and_then_served_from_storage(monkeypatch):
    invoice = invoice_make()

    first = invoice_pdf_ensure(invoice_id=invoice.pk)
    monkeypatch.setattr("billing.documents.pdf.invoice_pdf_render", lambda **kwargs: pytest.fail("rendered twice"))
    second = invoice_pdf_ensure(invoice_id=invoice.pk)

    invoice.refresh_from_db()
    assert first == second
    assert invoice.pdf.name.startswith("invoices/2026/") or invoice.pdf.name.startswith("invoices/")
    assert invoice.pdf.name.endswith("RE2027-000001.pdf")


def test_a_held_bill_has_no_pdf():
    invoice = invoice_make()
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.HELD, number=None, issue_date=None)

    with pytest.raises(InvoiceNotIssued):
        invoice_pdf_ensure(invoice_id=invoice.pk)

    invoice.refresh_from_db()
    assert not invoice.pdf


def test_a_bill_made_by_the_bill_run_renders_with_its_reads_and_comparison(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False
    tariff_make(valid_from=dt.date(2025, 1, 1))
    agreement = supplied(start_date=dt.date(2025, 1, 1), start_read="1000")
    BillingPreferences.objects.update_or_create(
        account=agreement.account, defaults={"frequency": "ANNUAL", "budget_billing": False}
    )
    register = register_of(agreement)
    Read.objects.create(register=register, taken_at=at(2026, 1, 1), value=Decimal("4000"), source="CUSTOMER")
    Read.objects.create(register=register, taken_at=at(2027, 1, 1), value=Decimal("7500"), source="OPERATOR")
    bill_account(account=agreement.account, as_of=dt.date(2026, 1, 5))

    outcome = bill_account(account=agreement.account, as_of=dt.date(2027, 1, 5))

    invoice = Invoice.objects.get(pk=outcome.invoice_id)
    text = pdf_text(invoice_pdf_ensure(invoice_id=invoice.pk))
    assert invoice.number in text
    assert agreement.supply_point.identifier in text
    assert "Jan. 1, 2026: 4,000 kWh read" in text
    assert "Jan. 1, 2027: 7,500 kWh read" in text
    assert "3,000 kWh 3,500 kWh +17%" in text  # last year against this year
    assert invoice.supplier["name"] in text
    assert "€" in text and str(invoice.due_date.year) in text
