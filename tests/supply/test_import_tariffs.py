"""`manage.py import_tariffs FILE` (YAML or JSON)."""

import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import OutboxMessage
from supply.management.commands.import_tariffs import Command
from supply.models import Tariff, TariffPrice, TariffVersion
from supply.services.agreements import supply_import
from supply.services.tariffs import unit_price, version_on
from tests.accounts.factories import AccountFactory, CustomerFactory
from tests.supply.factories import PREMISE, request_for

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
TODAY = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


def run(path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_tariffs", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(path) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_tariffs", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def snapshot() -> tuple:
    return (
        list(Tariff.objects.order_by("id").values()),
        list(TariffVersion.objects.order_by("id").values("id", "tariff_id", "valid_from")),
        list(TariffPrice.objects.order_by("id").values()),
        Tariff.history.count(),
        TariffVersion.history.count(),
    )


def write(tmp_path, entries, *, name="tariffs.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(entries, default=str), encoding="utf-8")
    return path


def entry(**overrides) -> dict:
    data = {
        "code": "STROM-TEST",
        "name": {"de": "Strom Test", "en": "Electricity Test"},
        "utility": "electricity",
        "customer_type": "household",
        "versions": [{"valid_from": "2026-01-01", "standing_charge_per_year": "120.00", "unit_prices": {"*": "0.30"}}],
    }
    data.update(overrides)
    return data


def test_a_yaml_file_is_imported():
    out, _err = run(DATA / "tariffs.yaml")

    assert "Tariffs created: 3, updated: 0. Price versions added: 4, unchanged: 0." in out
    basis = Tariff.objects.get(code="STROM-BASIS")
    assert (basis.name_de, basis.name_en, basis.utility, basis.customer_type) == (
        "Strom Basis",
        "Electricity Basic",
        "ELECTRICITY",
        "HOUSEHOLD",
    )
    assert unit_price(version=version_on(tariff=basis, day=dt.date(2026, 6, 30)), obis="1-0:1.8.0") == Decimal(
        "0.300000"
    )
    july = version_on(tariff=basis, day=dt.date(2026, 7, 1))
    assert july.standing_charge_per_year == Decimal("126.00")
    # An unquoted YAML number is read exactly, never through a float.
    assert unit_price(version=july, obis="1-0:1.8.0") == Decimal("0.312345")
    oeko = Tariff.objects.get(code="STROM-OEKO")
    assert (oeko.minimum_term_months, oeko.notice_period_weeks, oeko.is_offered) == (24, 6, True)
    oeko_prices = version_on(tariff=oeko, day=dt.date(2026, 1, 1))
    assert {p.obis: p.unit_price for p in oeko_prices.prices.all()} == {
        "1-0:1.8.1": Decimal("0.320000"),
        "1-0:1.8.2": Decimal("0.240000"),
    }
    fibre = Tariff.objects.get(code="GLASFASER-100")
    assert fibre.utility == "INTERNET" and fibre.is_offered is False
    fibre_version = version_on(tariff=fibre, day=dt.date(2026, 1, 1))
    assert (fibre_version.monthly_fee, fibre_version.standing_charge_per_year) == (Decimal("33.60"), None)
    assert not fibre_version.prices.exists()


def test_a_json_file_is_imported():
    out, _err = run(DATA / "tariffs.json")

    assert "Tariffs created: 2, updated: 0. Price versions added: 3, unchanged: 0." in out
    gas = Tariff.objects.get(code="GAS-BASIS")
    assert unit_price(version=version_on(tariff=gas, day=dt.date(2023, 5, 1)), obis="7-0:3.0.0") == Decimal("0.119000")
    assert Tariff.objects.get(code="WASSER-GEWERBE").customer_type == "BUSINESS"


def test_json_content_is_recognised_without_the_extension(tmp_path):
    path = tmp_path / "tariffs.txt"
    path.write_text((DATA / "tariffs.json").read_text(encoding="utf-8"), encoding="utf-8")

    run(path)

    assert Tariff.objects.filter(code="GAS-BASIS").exists()


@pytest.mark.parametrize(("name", "versions"), [("tariffs.yaml", 4), ("tariffs.json", 3)])
def test_importing_the_same_file_twice_changes_nothing(name, versions):
    run(DATA / name)
    before = snapshot()

    out, _err = run(DATA / name)

    assert snapshot() == before
    assert f"Tariffs created: 0, updated: 0. Price versions added: 0, unchanged: {versions}." in out


def test_a_bad_file_changes_nothing_and_names_the_entry_and_field():
    err = run_failing(DATA / "tariffs_bad.yaml")

    assert "entry 2 (STROM-OEKO), version 1, unit_prices: The price for 1-0:1.8.2 must not be negative." in err
    assert not Tariff.objects.exists()


def test_every_fault_of_a_file_is_listed(tmp_path):
    path = write(
        tmp_path,
        [
            entry(code="A", utility="steam"),
            entry(code="B"),
            entry(code="C", name={"de": "C"}),
        ],
    )

    err = run_failing(path)

    assert "entry 1 (A), utility: must be one of electricity | gas | water | internet." in err
    assert "entry 3 (C), name.en: must be filled in." in err
    assert "entry 2" not in err
    assert not Tariff.objects.exists()


@pytest.mark.parametrize(
    ("bad_entry", "expected"),
    [
        (entry(code=""), "entry 1, code: must be filled in."),
        (entry(code="STROM BASIS"), "entry 1 (STROM BASIS), code: must not contain spaces."),
        (entry(customer_type="person"), "customer_type: must be one of household | business."),
        (entry(name="Strom"), "name: must give the name in German and English"),
        (entry(name={"de": "A", "en": "B", "fr": "C"}), "name.fr: only de and en are supported."),
        (entry(price="1"), "entry 1 (STROM-TEST), price: is not a field of a tariff."),
        (entry(versions=[]), "versions: must list at least one price version."),
        (entry(is_offered="yes"), "is_offered: must be true or false."),
        (entry(minimum_term_months=-1), "minimum_term_months: must be a whole number from 0 to 120."),
        (
            entry(versions=[{"valid_from": "2026-13-01", "standing_charge_per_year": "1", "unit_prices": {"*": "1"}}]),
            "version 1, valid_from: must be a date like 2026-01-01.",
        ),
        (
            entry(versions=[{"valid_from": "2026-01-01", "standing_charge": "1", "unit_prices": {"*": "1"}}]),
            "version 1, standing_charge: is not a field of a price version.",
        ),
        (
            entry(versions=[{"valid_from": "2026-01-01", "standing_charge_per_year": "1", "unit_prices": {"*": "x"}}]),
            'version 1, unit_prices.*: must be a number like "0.3000".',
        ),
        (
            entry(versions=[{"valid_from": "2026-01-01", "standing_charge_per_year": "1", "unit_prices": ["0.3"]}]),
            "version 1, unit_prices: must map registers to prices",
        ),
        (
            entry(
                versions=[
                    {"valid_from": "2026-01-01", "standing_charge_per_year": "1", "unit_prices": {"*": "0.1234567"}}
                ]
            ),
            "version 1, unit_prices: The price for * may have at most 6 decimals.",
        ),
        (
            entry(versions=[{"valid_from": "2026-01-01", "standing_charge_per_year": "1", "unit_prices": {}}]),
            "version 1, unit_prices: A metered tariff needs at least one price per unit",
        ),
        (
            entry(
                utility="internet",
                versions=[{"valid_from": "2026-01-01", "monthly_fee": "30.00", "unit_prices": {"*": "0.1"}}],
            ),
            "version 1, unit_prices: An internet tariff has no prices per unit.",
        ),
        (
            entry(utility="internet", versions=[{"valid_from": "2026-01-01", "standing_charge_per_year": "30.00"}]),
            "version 1, monthly_fee: An internet tariff needs a monthly fee.",
        ),
        (
            entry(
                versions=[
                    {"valid_from": "2026-01-01", "standing_charge_per_year": "1", "unit_prices": {"*": "0.1"}},
                    {"valid_from": "2026-01-01", "standing_charge_per_year": "2", "unit_prices": {"*": "0.2"}},
                ]
            ),
            "version 2, valid_from: two versions in this entry start on the same day.",
        ),
    ],
)
def test_a_bad_entry_is_named_with_its_field(tmp_path, bad_entry, expected):
    path = write(tmp_path, [entry(code="GOOD"), bad_entry])
    expected = expected.replace("entry 1", "entry 2")

    err = run_failing(path)

    assert expected in err
    if not expected.startswith("entry"):
        assert "entry 2" in err
    assert not Tariff.objects.exists()


def test_a_code_used_twice_in_a_file_is_refused(tmp_path):
    err = run_failing(write(tmp_path, [entry(), entry()]))

    assert "entry 2 (STROM-TEST), code: the code is used by entry 1 already." in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- code: [unclosed", "The file is not valid YAML"),
        ("code: STROM-BASIS\n", "The file must hold a list of tariffs."),
        ("[]", "The file holds no tariffs."),
        ("- just a string\n", "entry 1: must be a tariff with code, name, utility, customer_type and versions."),
    ],
)
def test_a_file_that_is_not_a_list_of_tariffs_is_refused(tmp_path, content, expected):
    path = tmp_path / "tariffs.yaml"
    path.write_text(content, encoding="utf-8")

    assert expected in run_failing(path)


def test_a_missing_file_is_reported(tmp_path):
    assert "The file cannot be read" in run_failing(tmp_path / "missing.yaml")


def test_a_new_version_on_an_existing_code_is_added(tmp_path):
    run(DATA / "tariffs.yaml")
    path = write(
        tmp_path,
        [
            entry(
                code="STROM-BASIS",
                name={"de": "Strom Basis", "en": "Electricity Basic"},
                versions=[
                    {"valid_from": "2026-01-01", "standing_charge_per_year": "120.00", "unit_prices": {"*": "0.3000"}},
                    {"valid_from": "2027-01-01", "standing_charge_per_year": "130.00", "unit_prices": {"*": "0.3300"}},
                ],
            )
        ],
    )

    out, _err = run(path)

    assert "Tariffs created: 0, updated: 0. Price versions added: 1, unchanged: 1." in out
    basis = Tariff.objects.get(code="STROM-BASIS")
    assert basis.versions.count() == 3
    assert version_on(tariff=basis, day=dt.date(2027, 1, 1)).standing_charge_per_year == Decimal("130.00")


def test_changed_names_and_terms_update_the_tariff(tmp_path):
    run(write(tmp_path, [entry()]))

    out, _err = run(write(tmp_path, [entry(name={"de": "Strom Neu", "en": "Electricity New"}, is_offered=False)]))

    assert "Tariffs created: 0, updated: 1. Price versions added: 0, unchanged: 1." in out
    tariff = Tariff.objects.get(code="STROM-TEST")
    assert (tariff.name_de, tariff.is_offered) == ("Strom Neu", False)


def test_a_stored_date_with_other_prices_is_an_error_and_changes_nothing(tmp_path):
    run(DATA / "tariffs.yaml")
    before = snapshot()
    changed = entry(
        code="STROM-BASIS",
        versions=[{"valid_from": "2026-01-01", "standing_charge_per_year": "120.00", "unit_prices": {"*": "0.3100"}}],
    )

    err = run_failing(write(tmp_path, [entry(code="NEW"), changed]))

    assert "entry 2 (STROM-BASIS), version 1, valid_from: a price version from this day is stored" in err
    assert snapshot() == before


def test_the_utility_of_a_stored_tariff_cannot_change(tmp_path):
    run(write(tmp_path, [entry()]))

    err = run_failing(write(tmp_path, [entry(utility="gas")]))

    assert "entry 1 (STROM-TEST), utility: the stored tariff has electricity; it cannot be changed." in err


def supplied_under(code: str, *, language: str = "de") -> None:
    account = AccountFactory(customer=CustomerFactory(language=language))
    tariff = Tariff.objects.get(code=code)
    supply_import(
        account=account,
        premise=PREMISE,
        request=request_for(tariff, start_date=dt.date(2026, 1, 1)),
        as_of=dt.date(2026, 11, 27),
    )


def test_a_new_version_inside_the_notice_period_is_refused_when_customers_are_supplied(tmp_path):
    run(write(tmp_path, [entry()]))
    supplied_under("STROM-TEST")
    before = snapshot()
    soon = {"valid_from": "2027-01-07", "standing_charge_per_year": "130.00", "unit_prices": {"*": "0.33"}}

    err = run_failing(write(tmp_path, [entry(versions=[*entry()["versions"], soon])]))

    assert "entry 1 (STROM-TEST), version 2, valid_from: Customers are supplied under this tariff" in err
    assert "Jan. 8, 2027" in err
    assert snapshot() == before
    assert not OutboxMessage.objects.filter(template="price_change_notice").exists()


def test_a_new_version_after_the_notice_period_is_added_and_announced(tmp_path):
    run(write(tmp_path, [entry()]))
    supplied_under("STROM-TEST", language="en")
    later = {"valid_from": "2027-01-08", "standing_charge_per_year": "130.00", "unit_prices": {"*": "0.33"}}

    out, _err = run(write(tmp_path, [entry(versions=[*entry()["versions"], later])]))

    assert "Price versions added: 1, unchanged: 1." in out
    (notice,) = OutboxMessage.objects.filter(template="price_change_notice")
    assert notice.language == "en"
    assert "0.3300" in notice.body


def test_historic_versions_of_a_tariff_without_customers_are_fine(tmp_path):
    run(write(tmp_path, [entry()]))
    old = {"valid_from": "2019-01-01", "standing_charge_per_year": "100.00", "unit_prices": {"*": "0.28"}}

    run(write(tmp_path, [entry(versions=[old, *entry()["versions"]])]))

    assert version_on(tariff=Tariff.objects.get(code="STROM-TEST"), day=dt.date(2019, 6, 1)).valid_from == dt.date(
        2019, 1, 1
    )


def test_the_help_explains_the_format():
    help_text = Command().create_parser("manage.py", "import_tariffs").format_help()

    assert "standing_charge_per_year" in help_text
    assert "unit_prices" in help_text
    assert "monthly_fee" in help_text
