"""The accounting export: DATEV-style journal CSV and summary, command and back-office page."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from billing.models import LedgerEntry
from billing.queries.accounting import accounting_export
from billing.services.invoicing import invoice_cancel
from billing.services.ledger import ledger_book
from tests.accounts.factories import AccountFactory, staff_user
from tests.billing.factories import billed_year, invoice_issued, payment_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_delivery(settings):
    settings.BILLING_DELIVER_ON_ISSUE = False


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def german(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def test_an_invoice_splits_into_revenue_and_vat_per_rate_and_balances():
    account = AccountFactory(number="900000001")
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1), nets={"0.19": "100.00", "0.07": "50.00"})

    export = accounting_export(first=dt.date(2026, 2, 1), last=dt.date(2026, 2, 28))

    rows = rows_of(export.csv_bytes())
    assert [
        (r["Umsatz (ohne Soll/Haben-Kz)"], r["Soll/Haben-Kennzeichen"], r["Konto"], r["Gegenkonto (ohne BU-Schlüssel)"])
        for r in rows
    ] == [
        ("100,00", "S", "1400", "8400"),
        ("19,00", "S", "1400", "1776"),
        ("50,00", "S", "1400", "8300"),
        ("3,50", "S", "1400", "1771"),
    ]
    assert {r["Belegfeld 1"] for r in rows} == {"RE1"}
    assert rows[0]["Belegdatum"] == "01.02.2026"
    assert rows[0]["Belegfeld 2"] == "150226"
    assert rows[0]["Buchungstext"].startswith("900000001 ")
    assert sum(german(r["Umsatz (ohne Soll/Haben-Kz)"]) for r in rows) == Decimal("172.50")
    assert export.balanced
    assert export.receivables_movement == export.ledger_total == Decimal("172.50")


def test_a_real_bill_its_credit_note_and_a_payment_balance_to_the_ledger(admin_user):
    invoice = billed_year()
    invoice_cancel(invoice=invoice, user=admin_user, as_of=dt.date(2027, 1, 20), reason="Read corrected")
    payment_book(invoice.account, "50.00", day=dt.date(2027, 1, 21), key="payment:x")

    export = accounting_export(first=dt.date(2027, 1, 1), last=dt.date(2027, 1, 31))

    assert export.balanced
    assert export.debit_total == export.credit_total
    ledger = sum(LedgerEntry.objects.values_list("amount", flat=True), Decimal("0.00"))
    assert export.receivables_movement == ledger == Decimal("-50.00")
    revenue = next(total for total in export.accounts if total.account == "8400")
    assert (revenue.debit, revenue.credit) == (Decimal("1215.00"), Decimal("1215.00"))
    payment = [b for b in export.bookings if b.kind == "PAYMENT"]
    assert [(b.amount, b.side, b.contra_account) for b in payment] == [(Decimal("50.00"), "H", "1200")]


def test_the_range_includes_both_days():
    account = AccountFactory()
    for day in (dt.date(2026, 1, 31), dt.date(2026, 2, 1), dt.date(2026, 2, 28), dt.date(2026, 3, 1)):
        ledger_book(
            account=account, kind="FEE", amount=Decimal("1.00"), booked_on=day, key=f"fee:{day}", text="Reminder fee"
        )

    export = accounting_export(first=dt.date(2026, 2, 1), last=dt.date(2026, 2, 28))

    assert [b.document_date for b in export.bookings] == [dt.date(2026, 2, 1), dt.date(2026, 2, 28)]
    assert [(k.kind, k.count, k.total) for k in export.kinds] == [("FEE", 2, Decimal("2.00"))]


def test_large_amounts_use_a_decimal_comma_without_grouping():
    account = AccountFactory()
    ledger_book(
        account=account, kind="PAYMENT", amount=Decimal("-12345.60"), booked_on=dt.date(2026, 2, 3), key="p", text="X"
    )

    (row,) = rows_of(accounting_export(first=dt.date(2026, 2, 1), last=dt.date(2026, 2, 28)).csv_bytes())

    assert (row["Umsatz (ohne Soll/Haben-Kz)"], row["Soll/Haben-Kennzeichen"]) == ("12345,60", "H")


def test_exporting_twice_gives_the_same_file():
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))

    first = accounting_export(first=dt.date(2026, 2, 1), last=dt.date(2026, 2, 28)).csv_bytes()

    assert accounting_export(first=dt.date(2026, 2, 1), last=dt.date(2026, 2, 28)).csv_bytes() == first


def test_the_command_writes_the_file_and_the_summary(tmp_path, capsys):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    payment_book(account, "119.00", day=dt.date(2026, 2, 10), key="payment:1")
    output = tmp_path / "journal.csv"

    call_command("export_accounting", "--from", "2026-02-01", "--to", "2026-02-28", "--output", str(output))

    printed = capsys.readouterr().out
    assert len(rows_of(output.read_bytes())) == 3
    summary = (tmp_path / "journal.summary.txt").read_text(encoding="utf-8")
    assert summary == printed
    assert "invoice: 1 · 119,00 EUR" in printed
    assert "payment: 1 · -119,00 EUR" in printed
    assert "Debits 238,00 EUR = credits 238,00 EUR." in printed


def test_the_command_writes_the_csv_to_standard_output_without_a_file(capsys):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))

    call_command("export_accounting", "--from", "2026-02-01", "--to", "2026-02-28")

    captured = capsys.readouterr()
    assert captured.out.startswith("\ufeffUmsatz (ohne Soll/Haben-Kz);")
    assert "Booking rows: 2" in captured.err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--to", "2026-03-01"], "is not a date"),
        (["--from", "01.02.2026", "--to", "2026-03-01"], "is not a date"),
        (["--from", "2026-03-01", "--to", "2026-02-01"], "before the start date"),
        (["--from", "2020-01-01", "--to", "2026-02-01"], "at most"),
    ],
)
def test_bad_dates_are_a_clear_message(args, message, tmp_path):
    output = tmp_path / "x.csv"

    with pytest.raises(CommandError, match=message):
        call_command("export_accounting", *args, "--output", str(output))

    assert not output.exists()


def supervisor(client):
    user = staff_user("lead@example.com", group="Supervisors")
    client.force_login(user)
    client.cookies["portal_language"] = "en"
    return client


def test_the_back_office_shows_the_summary_and_downloads_the_csv(client):
    account = AccountFactory()
    invoice_issued(account, number="RE1", issue_date=dt.date(2026, 2, 1))
    supervisor(client)

    page = client.get(reverse("staff_bills:export"), {"date_from": "2026-02-01", "date_to": "2026-02-28"})
    download = client.get(
        reverse("staff_bills:export"), {"date_from": "2026-02-01", "date_to": "2026-02-28", "download": "1"}
    )

    assert 'data-testid="export-summary"' in page.content.decode()
    assert "balanced" in page.content.decode()
    assert download["Content-Type"].startswith("text/csv")
    assert "Buchungsstapel_20260201_20260228.csv" in download["Content-Disposition"]
    assert len(rows_of(download.content)) == 2


def test_the_back_office_form_explains_bad_dates(client):
    supervisor(client)

    response = client.get(
        reverse("staff_bills:export"), {"date_from": "2026-03-01", "date_to": "2026-02-01", "download": "1"}
    )

    assert response.status_code == 200
    assert "The end date lies before the start date." in response.content.decode()


def test_agents_without_the_permission_cannot_export(client):
    user = staff_user("agent@example.com", group="Agents")
    client.force_login(user)

    assert client.get(reverse("staff_bills:export")).status_code == 403
