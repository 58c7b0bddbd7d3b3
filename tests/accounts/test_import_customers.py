import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Account, Customer, CustomerType, PaymentMethod, SepaMandate
from core.models import OutboxMessage
from portal.management.commands.import_customers import Command
from tests.accounts.factories import CustomerFactory, SepaMandateFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
COLUMNS = [
    "external_ref",
    "customer_type",
    "first_name",
    "last_name",
    "company",
    "vat_id",
    "email",
    "phone",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "language",
    "payment_method",
    "iban",
    "account_holder",
    "mandate_reference",
    "mandate_signed_date",
]


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


def household(**overrides) -> dict:
    row = {
        "external_ref": "K-1",
        "customer_type": "household",
        "first_name": "Jürgen",
        "last_name": "Größer",
        "company": "",
        "vat_id": "",
        "email": "juergen@example.com",
        "phone": "0221 1234567",
        "street": "Kölner Straße",
        "house_number": "3a",
        "postcode": "51147",
        "city": "Köln",
        "country": "DE",
        "language": "de",
        "payment_method": "sepa",
        "iban": "DE89 3704 0044 0532 0130 00",
        "account_holder": "Jürgen Größer",
        "mandate_reference": "OLD-MANDATE-1",
        "mandate_signed_date": "2019-03-15",
    }
    row.update(overrides)
    return row


def business(**overrides) -> dict:
    row = {
        "external_ref": "K-2",
        "customer_type": "business",
        "first_name": "Anna",
        "last_name": "Müller",
        "company": "Bäckerei Müller GmbH",
        "vat_id": "DE 123 456 789",
        "email": "info@baeckerei-mueller.example",
        "phone": "",
        "street": "Hauptstraße",
        "house_number": "1",
        "postcode": "80336",
        "city": "München",
        "country": "",
        "language": "",
        "payment_method": "transfer",
        "iban": "",
        "account_holder": "",
        "mandate_reference": "",
        "mandate_signed_date": "",
    }
    row.update(overrides)
    return row


def write_csv(tmp_path: Path, rows: list[dict], *, columns: list[str] = COLUMNS, name: str = "customers.csv") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / name
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_customers", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_import_expecting_rejections(path: Path, *args: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="rows were rejected"):
        call_command("import_customers", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_household_and_business_customers_are_imported_with_umlauts(tmp_path):
    path = write_csv(tmp_path, [household(), business()])

    out, _err = run_import(path)

    assert "created 2, skipped (already imported) 0, rejected 0" in out
    juergen = Customer.objects.get(external_ref="K-1")
    assert (juergen.first_name, juergen.last_name, juergen.customer_type) == ("Jürgen", "Größer", "HOUSEHOLD")
    assert str(juergen.phone) == "+492211234567"
    account = juergen.accounts.get()
    assert (account.street, account.city, account.payment_method) == ("Kölner Straße", "Köln", PaymentMethod.SEPA)
    mandate = account.mandates.get()
    assert mandate.reference == "OLD-MANDATE-1"
    assert mandate.iban == "DE89370400440532013000"
    assert mandate.bic == "COBADEFFXXX"
    assert mandate.signed_date == dt.date(2019, 3, 15)
    bakery = Customer.objects.get(external_ref="K-2")
    assert bakery.customer_type == CustomerType.BUSINESS
    assert (bakery.company_name, bakery.vat_id) == ("Bäckerei Müller GmbH", "DE123456789")
    assert (bakery.language, bakery.accounts.get().country) == ("de", "DE")
    assert not bakery.accounts.get().mandates.exists()


def test_a_sepa_row_without_reference_or_date_gets_a_new_reference_signed_today(tmp_path):
    path = write_csv(tmp_path, [household(mandate_reference="", mandate_signed_date="")])

    run_import(path)

    mandate = SepaMandate.objects.get()
    assert mandate.reference.startswith("UPM-")
    assert mandate.signed_date == dt.date(2026, 11, 27)


def test_imported_customers_get_no_welcome_message_unless_asked(tmp_path):
    run_import(write_csv(tmp_path, [household()], name="first.csv"))
    assert not OutboxMessage.objects.exists()

    run_import(write_csv(tmp_path, [business()], name="second.csv"), "--notify")

    message = OutboxMessage.objects.get()
    assert message.to_address == "info@baeckerei-mueller.example"


def test_running_the_import_twice_creates_nothing_twice(tmp_path):
    path = write_csv(tmp_path, [household(), business()])
    run_import(path)

    out, _err = run_import(path)

    assert "created 0, skipped (already imported) 2, rejected 0" in out
    assert Customer.objects.count() == 2
    assert Account.objects.count() == 2
    assert SepaMandate.objects.count() == 1


def test_a_reference_repeated_in_the_file_is_skipped_the_second_time(tmp_path):
    path = write_csv(tmp_path, [household(), household(email="other@example.com", mandate_reference="")])

    out, _err = run_import(path)

    assert "created 1, skipped (already imported) 1, rejected 0" in out
    assert Customer.objects.get().email == "juergen@example.com"


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        (
            household(external_ref="BAD", iban="DE89370400440532013001"),
            "line 3: iban: This IBAN has a typo: its check digits do not match.",
        ),
        (household(external_ref="BAD", postcode="5114"), "line 3: postcode: A German postcode has exactly 5 digits."),
        (
            household(external_ref="BAD", phone="call me"),
            "line 3: phone: This is not a phone number we can read. Example: 030 1234567.",
        ),
        (
            household(external_ref="BAD", email="taken@example.com"),
            "line 3: email: A customer with this e-mail address already exists.",
        ),
        (
            business(external_ref="BAD", vat_id="DE12345"),
            "line 3: vat_id: Enter a VAT id like DE123456789 (country code followed by the number).",
        ),
        (business(external_ref="BAD", company=""), "line 3: company: Please enter the company name."),
        (household(external_ref="", email="new@example.com"), "line 3: external_ref: Please enter the customer's"),
        (
            household(external_ref="BAD", mandate_signed_date="15/03/2019"),
            "line 3: mandate_signed_date: Enter the date as YYYY-MM-DD or DD.MM.YYYY.",
        ),
        (
            household(external_ref="BAD", mandate_reference="ÄLT-1"),
            "line 3: mandate_reference: A mandate reference has at most 35 letters",
        ),
        (household(external_ref="BAD", first_name=""), "line 3: first_name: This field is required."),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_the_good_rows_are_saved(tmp_path, bad_row, reason):
    CustomerFactory(email="taken@example.com")
    good_before = household(external_ref="GOOD-1", email="one@example.com", mandate_reference="")
    good_after = business(external_ref="GOOD-2", email="two@example.com")
    path = write_csv(tmp_path, [good_before, bad_row, good_after])

    out = run_import_expecting_rejections(path)

    assert reason in out
    assert "created 2, skipped (already imported) 0, rejected 1" in out
    assert set(Customer.objects.exclude(external_ref=None).values_list("external_ref", flat=True)) == {
        "GOOD-1",
        "GOOD-2",
    }
    assert Account.objects.count() == 2


def test_every_problem_of_a_row_is_reported_in_column_order(tmp_path):
    path = write_csv(tmp_path, [household(iban="DE89370400440532013001", postcode="123", email="not-an-address")])

    out = run_import_expecting_rejections(path)

    lines = [line for line in out.splitlines() if line.startswith("line 2:")]
    assert [line.split(":")[1].strip() for line in lines] == ["email", "postcode", "iban"]
    assert not Customer.objects.exists()


def test_a_mandate_reference_already_in_use_is_rejected(tmp_path):
    SepaMandateFactory(reference="OLD-MANDATE-1")
    path = write_csv(tmp_path, [household()])

    out = run_import_expecting_rejections(path)

    assert "line 2: mandate_reference: Another mandate already has this reference." in out
    assert not Customer.objects.filter(external_ref="K-1").exists()


def test_an_email_or_mandate_reference_repeated_in_the_file_is_rejected_the_second_time(tmp_path):
    rows = [household(), household(external_ref="K-3"), household(external_ref="K-4", email="k4@example.com")]
    path = write_csv(tmp_path, rows)

    out = run_import_expecting_rejections(path)

    assert "line 3: email: Line 2 of this file already uses this e-mail address." in out
    assert "line 4: mandate_reference: Line 2 of this file already uses this mandate reference." in out
    assert list(Customer.objects.values_list("external_ref", flat=True)) == ["K-1"]


def test_a_row_with_too_few_cells_is_rejected(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(",".join(COLUMNS) + "\nK-1,household,Jürgen\n", encoding="utf-8")

    out = run_import_expecting_rejections(path)

    assert "line 2: The row has 3 cells but the header has 19." in out


def test_line_numbers_count_physical_lines(tmp_path):
    rows = [household(street="Kölner Straße\nHinterhaus"), household(external_ref="K-3", postcode="1")]
    path = write_csv(tmp_path, rows)

    out = run_import_expecting_rejections(path)

    assert "line 4: postcode:" in out


def test_a_german_excel_export_with_semicolons_and_byte_order_mark_is_read():
    out, _err = run_import(DATA / "customers_excel_de.csv")

    assert "created 2, skipped (already imported) 0, rejected 0" in out
    juergen = Customer.objects.get(external_ref="ALT-1001")
    assert juergen.last_name == "Größer"
    assert juergen.accounts.get().mandates.get().signed_date == dt.date(2019, 3, 15)
    assert Customer.objects.get(external_ref="ALT-1002").company_name == "Bäckerei Müller GmbH"


def test_missing_columns_stop_the_import_before_any_row_is_saved(tmp_path):
    columns = [column for column in COLUMNS if column not in ("iban", "mandate_signed_date")]
    path = write_csv(tmp_path, [household()], columns=columns)

    with pytest.raises(CommandError, match="lacks required columns: iban, mandate_signed_date"):
        run_import(path)

    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n  \n", "is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x8f\xe8", "is not utf-8-sig text"),
        (b'{"customers": []}', "lacks required columns"),
    ],
    ids=["empty", "blank-lines", "zip-archive", "json"],
)
def test_a_file_that_is_not_a_customer_csv_is_refused(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        run_import(path)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run_import(tmp_path / "nowhere.csv")


def test_an_older_excel_export_can_name_its_encoding(tmp_path):
    path = tmp_path / "cp1252.csv"
    text = write_csv(tmp_path, [household()]).read_text(encoding="utf-8").replace(",", ";")
    path.write_bytes(text.encode("cp1252"))

    with pytest.raises(CommandError, match="--encoding"):
        run_import(path)
    run_import(path, "--encoding", "cp1252")

    assert Customer.objects.get().last_name == "Größer"


def test_a_dry_run_checks_every_row_and_saves_nothing(tmp_path):
    path = write_csv(tmp_path, [household(), business(), household(external_ref="K-3", email="x@example.com")])

    out = run_import_expecting_rejections(path, "--dry-run")

    assert "would create 2, skipped (already imported) 0, rejected 1" in out
    assert "line 4: mandate_reference: Line 2 of this file already uses this mandate reference." in out
    assert not Customer.objects.exists()
    assert not SepaMandate.objects.exists()


def test_a_mandate_signed_in_the_future_is_rejected(tmp_path):
    path = write_csv(tmp_path, [household(mandate_signed_date="2026-11-28")])

    out = run_import_expecting_rejections(path)

    assert "line 2: mandate_signed_date: A mandate cannot be signed in the future." in out


def test_help_lists_the_columns():
    help_text = Command().create_parser("manage.py", "import_customers").format_help()

    for column in ("external_ref", "customer_type", "mandate_signed_date", "--dry-run", "--no-notify"):
        assert column in help_text
