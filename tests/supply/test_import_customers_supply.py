import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Account, BillingPreferences, Customer
from meters.models import GasConversionFactor, Meter, Premise, Read, SupplyPoint, Utility
from portal.management.commands.import_customers import Command
from supply.models import ServiceAgreement
from supply.services import agreements
from supply.services.imports import SUPPLY_COLUMNS
from tests.accounts.factories import AccountFactory
from tests.accounts.test_import_customers import (
    COLUMNS,
    business,
    household,
    run_import,
    run_import_expecting_rejections,
    write_csv,
)
from tests.supply.factories import agreement_requested, market_location_id, tariff_make, version_add

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
SUPPLY_FILE_COLUMNS = COLUMNS + list(SUPPLY_COLUMNS)
MALO_1, MALO_2, MALO_3 = market_location_id(101), market_location_id(102), market_location_id(103)
Status = ServiceAgreement.Status


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture(autouse=True)
def tariffs():
    electricity = tariff_make(code="STROM-BASIS", valid_from=dt.date(2020, 1, 1), unit_prices={"*": "0.250000"})
    version_add(tariff=electricity, valid_from=dt.date(2024, 1, 1), unit_prices={"*": "0.300000"})
    tariff_make(code="STROM-GEWERBE", customer_type="BUSINESS", valid_from=dt.date(2020, 1, 1))
    tariff_make(code="GAS-BASIS", utility=Utility.GAS, valid_from=dt.date(2020, 1, 1), unit_prices={"*": "0.1"})
    tariff_make(code="WASSER", utility=Utility.WATER, valid_from=dt.date(2020, 1, 1), unit_prices={"*": "2.1"})
    tariff_make(
        code="NET-100",
        utility=Utility.INTERNET,
        valid_from=dt.date(2020, 1, 1),
        standing_charge_per_year=None,
        monthly_fee="39.90",
    )


def electricity(**overrides) -> dict:
    row = {
        "utility": "electricity",
        "supply_point_id": MALO_1,
        "premise_street": "",
        "premise_house_number": "",
        "premise_postcode": "",
        "premise_city": "",
        "meter_serial": "1ESY1160000001",
        "meter_kind": "smart",
        "registers": "",
        "tariff_code": "STROM-BASIS",
        "start_date": "2023-01-01",
        "start_reason": "",
        "start_read": "1234.5",
        "expected_annual_consumption": "2500",
        "gas_state_number": "",
        "gas_calorific_value": "",
        "billing_frequency": "",
        "budget_billing": "",
    }
    row.update(overrides)
    return row


def gas(**overrides) -> dict:
    row = electricity(
        utility="gas",
        supply_point_id=MALO_2,
        meter_serial="GAS-0001",
        meter_kind="",
        tariff_code="GAS-BASIS",
        start_date="15.03.2022",
        start_read="4711,25",
        expected_annual_consumption="12000",
        gas_state_number="0.9636",
        gas_calorific_value="11,235",
    )
    row.update(overrides)
    return row


def no_supply() -> dict:
    return dict.fromkeys(SUPPLY_COLUMNS, "")


def rows(*supplies: dict, customer=household) -> list[dict]:
    return [{**customer(), **supply} for supply in supplies]


def supply_csv(tmp_path, rows_: list[dict], name: str = "supplies.csv"):
    return write_csv(tmp_path, rows_, columns=SUPPLY_FILE_COLUMNS, name=name)


# --- Importing supplies -----------------------------------------------------------------------


def test_a_customer_with_two_supplies_is_imported_from_two_rows(tmp_path):
    path = supply_csv(tmp_path, rows(electricity(), gas()))

    out, _err = run_import(path)

    assert "created 1, skipped (already imported) 1, rejected 0; supplies: created 2, skipped" in out
    account = Account.objects.get(customer__external_ref="K-1")
    power, heat = ServiceAgreement.objects.filter(account=account).order_by("supply_point__utility")
    assert (power.supply_point.utility, power.supply_point.identifier) == (Utility.ELECTRICITY, MALO_1)
    assert (power.status, power.start_date, power.tariff.code) == (Status.ACTIVE, dt.date(2023, 1, 1), "STROM-BASIS")
    assert power.start_reason == ServiceAgreement.StartReason.MOVE_IN
    assert power.expected_annual_consumption == Decimal("2500")
    assert power.activated_at is not None
    assert (heat.supply_point.utility, heat.start_date) == (Utility.GAS, dt.date(2022, 3, 15))
    # The billing address is the premise when no premise is given.
    premise = power.supply_point.premise
    assert (premise.street, premise.house_number, premise.postcode, premise.city) == (
        "Kölner Straße",
        "3a",
        "51147",
        "Köln",
    )
    assert heat.supply_point.premise == premise
    power_meter = Meter.objects.get(supply_point=power.supply_point)
    assert (power_meter.serial, power_meter.kind, power_meter.installed_on) == (
        "1ESY1160000001",
        Meter.Kind.SMART,
        dt.date(2023, 1, 1),
    )
    assert Meter.objects.get(supply_point=heat.supply_point).kind == Meter.Kind.CONVENTIONAL


def test_the_start_reads_are_recorded_at_midnight_in_berlin_on_the_start_date(tmp_path):
    path = supply_csv(tmp_path, rows(electricity(), gas()))

    run_import(path)

    reads = {read.register.obis: read for read in Read.objects.select_related("register")}
    assert set(reads) == {"1-0:1.8.0", "7-0:3.0.0"}
    assert reads["1-0:1.8.0"].value == Decimal("1234.500")
    assert reads["1-0:1.8.0"].taken_at == dt.datetime(2023, 1, 1, 0, 0, tzinfo=BERLIN)
    assert reads["7-0:3.0.0"].value == Decimal("4711.250")  # a decimal comma is read too
    assert reads["7-0:3.0.0"].taken_at == dt.datetime(2022, 3, 15, 0, 0, tzinfo=BERLIN)
    assert {read.source for read in reads.values()} == {Read.Source.OPERATOR}


def test_gas_conversion_factors_are_saved_for_the_supply_point_from_the_start_date(tmp_path):
    run_import(supply_csv(tmp_path, rows(gas())))

    factor = GasConversionFactor.objects.get()
    assert factor.supply_point.identifier == MALO_2
    assert (factor.valid_from, factor.state_number, factor.calorific_value) == (
        dt.date(2022, 3, 15),
        Decimal("0.9636"),
        Decimal("11.235"),
    )


def test_named_registers_get_their_reads_in_order(tmp_path):
    supply = electricity(registers="1-0:1.8.1 | 1-0:1.8.2", start_read="100|50.5", meter_kind="")

    run_import(supply_csv(tmp_path, rows(supply)))

    reads = Read.objects.order_by("register__obis").values_list("register__obis", "value")
    assert list(reads) == [("1-0:1.8.1", Decimal("100.000")), ("1-0:1.8.2", Decimal("50.500"))]


def test_water_gets_its_default_register_and_internet_no_meter(tmp_path):
    water = electricity(
        utility="water", supply_point_id="W-4711", meter_serial="WZ-1", tariff_code="WASSER", start_read="88"
    )
    internet = {
        **electricity(utility="internet", supply_point_id="DEU.1234.5678", tariff_code="NET-100"),
        **dict.fromkeys(("meter_serial", "meter_kind", "start_read", "expected_annual_consumption"), ""),
    }

    out, _err = run_import(supply_csv(tmp_path, rows(water, internet)))

    assert "supplies: created 2" in out
    assert list(Read.objects.values_list("register__obis", "value")) == [("8-0:1.0.0", Decimal("88.000"))]
    line = SupplyPoint.objects.get(utility=Utility.INTERNET)
    assert line.identifier == "DEU.1234.5678"
    assert not line.meters.exists()
    assert ServiceAgreement.objects.get(supply_point=line).status == Status.ACTIVE


def test_a_premise_given_in_the_row_is_the_supplied_address(tmp_path):
    supply = electricity(
        premise_street="Am Markt", premise_house_number="3", premise_postcode="10117", premise_city="Berlin"
    )

    run_import(supply_csv(tmp_path, rows(supply)))

    premise = Premise.objects.get()
    assert (premise.street, premise.house_number, premise.postcode, premise.city) == (
        "Am Markt",
        "3",
        "10117",
        "Berlin",
    )
    assert Account.objects.get().street == "Kölner Straße"


def test_the_price_version_of_a_past_start_date_is_accepted(tmp_path):
    run_import(supply_csv(tmp_path, rows(electricity(start_date="2021-06-30", start_reason="supplier_switch"))))

    agreement = ServiceAgreement.objects.get()
    assert agreement.start_date == dt.date(2021, 6, 30)
    assert agreement.start_reason == ServiceAgreement.StartReason.SUPPLIER_SWITCH


@pytest.mark.parametrize(
    ("frequency", "budget", "expected"),
    [
        ("quarterly", "no", (BillingPreferences.Frequency.QUARTERLY, False)),
        ("Half_Yearly", "yes", (BillingPreferences.Frequency.HALF_YEARLY, True)),
        ("half-yearly", "", (BillingPreferences.Frequency.HALF_YEARLY, True)),
        ("", "no", (BillingPreferences.Frequency.ANNUAL, False)),
        ("MONTHLY", "ja", (BillingPreferences.Frequency.MONTHLY, True)),
    ],
)
def test_billing_frequency_and_budget_billing_become_the_accounts_preferences(tmp_path, frequency, budget, expected):
    run_import(supply_csv(tmp_path, rows(electricity(billing_frequency=frequency, budget_billing=budget))))

    preferences = BillingPreferences.objects.get(account__customer__external_ref="K-1")
    assert (preferences.frequency, preferences.budget_billing) == expected


def test_without_preference_cells_no_preferences_are_saved(tmp_path):
    run_import(supply_csv(tmp_path, rows(electricity())))

    assert not BillingPreferences.objects.exists()


def test_a_row_without_supply_cells_imports_the_customer_only(tmp_path):
    path = supply_csv(
        tmp_path, [{**household(), **no_supply()}, {**business(), **electricity(tariff_code="STROM-GEWERBE")}]
    )

    out, _err = run_import(path)

    assert "created 2, skipped (already imported) 0, rejected 0; supplies: created 1, skipped" in out
    assert not ServiceAgreement.objects.filter(account__customer__external_ref="K-1").exists()
    assert ServiceAgreement.objects.get().account.customer.external_ref == "K-2"


def test_a_file_without_supply_columns_reports_as_before(tmp_path):
    out, _err = run_import(write_csv(tmp_path, [household()]))

    assert out.strip().endswith("created 1, skipped (already imported) 0, rejected 0")
    assert not ServiceAgreement.objects.exists()


# --- Running again -------------------------------------------------------------------------------


def test_running_the_import_twice_imports_each_supply_once(tmp_path):
    path = supply_csv(tmp_path, rows(electricity(billing_frequency="monthly"), gas(billing_frequency="monthly")))
    run_import(path)

    out, _err = run_import(path)

    assert (
        "created 0, skipped (already imported) 2, rejected 0; supplies: created 0, skipped (already imported) 2" in out
    )
    assert Customer.objects.count() == 1
    assert ServiceAgreement.objects.count() == 2
    assert Read.objects.count() == 2
    assert GasConversionFactor.objects.count() == 1


def test_a_new_supply_of_an_imported_customer_is_added_on_the_next_run(tmp_path):
    run_import(supply_csv(tmp_path, rows(electricity()), name="first.csv"))

    out, _err = run_import(supply_csv(tmp_path, rows(electricity(), gas()), name="second.csv"))

    assert (
        "created 0, skipped (already imported) 2, rejected 0; supplies: created 1, skipped (already imported) 1" in out
    )
    account = Account.objects.get()
    assert account.agreements.count() == 2


def test_the_same_supply_twice_in_one_file_is_imported_once(tmp_path):
    out, _err = run_import(supply_csv(tmp_path, rows(electricity(), electricity())))

    assert "supplies: created 1, skipped (already imported) 1" in out
    assert ServiceAgreement.objects.count() == 1


# --- Bad supply data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("supply", "reason"),
    [
        (
            electricity(supply_point_id="12345678901"),
            "line 3: supply_point_id: A market location id has 11 digits and ends in its check digit",
        ),
        (electricity(supply_point_id=""), "line 3: supply_point_id: Please enter the supply point id."),
        (electricity(utility="steam"), "line 3: utility: Choose one of: electricity, gas, water, internet."),
        (electricity(tariff_code="NOPE"), "line 3: tariff_code: There is no tariff with this code."),
        (electricity(tariff_code="GAS-BASIS"), "line 3: tariff_code: Tariff GAS-BASIS is for Gas, not Electricity."),
        (electricity(tariff_code="STROM-GEWERBE"), "line 3: tariff_code: Tariff STROM-GEWERBE is for another kind"),
        (electricity(start_date="2019-12-31"), "line 3: tariff_code: Tariff STROM-BASIS has no prices on the start"),
        (electricity(start_date="2026-11-28"), "line 3: start_date: An imported supply has started already"),
        (electricity(start_date="1/1/2023"), "line 3: start_date: Enter the date as YYYY-MM-DD or DD.MM.YYYY."),
        (electricity(start_date=""), "line 3: start_date: Please enter the date the supply started."),
        (electricity(start_reason="eviction"), "line 3: start_reason: Choose one of: move_in, supplier_switch."),
        (electricity(meter_serial=""), "line 3: meter_serial: Please enter the meter number."),
        (electricity(meter_kind="analogue"), "line 3: meter_kind: Choose conventional or smart."),
        (electricity(registers="1.8.0"), 'line 3: registers: "1.8.0" is not an OBIS code like 1-0:1.8.0'),
        (electricity(registers="1-0:1.8.1|1-0:1.8.1", start_read="1|2"), "line 3: registers: Each register"),
        (
            electricity(registers="1-0:1.8.1|1-0:1.8.2", start_read="100"),
            "line 3: start_read: Give one reading per register, separated by |: 2 registers, 1 readings.",
        ),
        (electricity(start_read="-5"), "line 3: start_read: The reading -5 is not a number with at most 3 decimals"),
        (electricity(start_read="1.23456"), "line 3: start_read: The reading 1.23456 is not a number"),
        (electricity(start_read=""), "line 3: start_read: Please enter the meter reading on the start date"),
        (electricity(expected_annual_consumption="viel"), "line 3: expected_annual_consumption: Enter the"),
        (electricity(gas_state_number="0.95"), "line 3: gas_state_number: Conversion factors are for gas only"),
        (gas(gas_state_number="95"), "line 3: gas_state_number: Enter the state number (Zustandszahl) between 0"),
        (gas(gas_calorific_value=""), "line 3: gas_calorific_value: Enter the calorific value in kWh/m³"),
        (electricity(billing_frequency="weekly"), "line 3: billing_frequency: Choose one of: monthly, quarterly"),
        (electricity(budget_billing="maybe"), "line 3: budget_billing: Choose one of: yes, no."),
        (
            electricity(premise_street="Am Markt", premise_city="Berlin"),
            "line 3: premise_house_number: Give the whole premise address, or none for the billing address.",
        ),
        (
            electricity(premise_street="A", premise_house_number="1", premise_postcode="1011", premise_city="B"),
            "line 3: premise_postcode: A German postcode has exactly 5 digits.",
        ),
        (
            {**electricity(utility="internet", supply_point_id="L-1", tariff_code="NET-100"), "start_read": ""},
            "line 3: meter_serial: An internet line has no meter; leave this empty.",
        ),
    ],
)
def test_bad_supply_data_rejects_the_row_and_saves_nothing_of_it(tmp_path, supply, reason):
    good_before = {**household(external_ref="GOOD-1", email="one@example.com", mandate_reference=""), **gas()}
    bad = {**household(external_ref="BAD", email="bad@example.com", mandate_reference="BAD-MANDATE"), **supply}
    good_after = {**business(external_ref="GOOD-2", email="two@example.com"), **no_supply()}
    path = supply_csv(tmp_path, [good_before, bad, good_after])

    out = run_import_expecting_rejections(path)

    assert reason in out, out
    assert "created 2, skipped (already imported) 0, rejected 1; supplies: created 1, skipped" in out
    assert not Customer.objects.filter(external_ref="BAD").exists()
    assert not Account.objects.filter(customer__email="bad@example.com").exists()
    assert ServiceAgreement.objects.count() == 1
    assert not SupplyPoint.objects.filter(identifier=MALO_1).exists()


def test_customer_and_supply_problems_are_reported_together_in_column_order(tmp_path):
    supply = electricity(supply_point_id="123", start_read="")
    path = supply_csv(tmp_path, [{**household(postcode="123"), **supply}])

    out = run_import_expecting_rejections(path)

    lines = [line.split(":")[1].strip() for line in out.splitlines() if line.startswith("line 2:")]
    assert lines == ["postcode", "supply_point_id", "start_read"]


def test_a_bad_supply_of_an_imported_customer_leaves_the_customer_and_their_other_supplies(tmp_path):
    path = supply_csv(tmp_path, rows(electricity(), gas(start_read="lots")))

    out = run_import_expecting_rejections(path)

    assert "line 3: start_read: The reading lots is not a number" in out
    assert "created 1, skipped (already imported) 0, rejected 1; supplies: created 1, skipped" in out
    assert ServiceAgreement.objects.get().supply_point.identifier == MALO_1
    assert not SupplyPoint.objects.filter(identifier=MALO_2).exists()


def test_a_supply_point_supplied_to_another_customer_is_rejected(tmp_path):
    agreement_requested(tariff=tariff_make(code="STROM-NEU"), n=103, as_of=dt.date(2026, 11, 27))
    path = supply_csv(tmp_path, rows(electricity(supply_point_id=MALO_3)))

    out = run_import_expecting_rejections(path)

    assert "line 2: supply_point_id: This supply point is already supplied for (part of) this time." in out
    assert not Customer.objects.filter(external_ref="K-1").exists()


def test_one_supply_point_for_two_customers_in_a_file_is_rejected_the_second_time(tmp_path):
    first = {**household(), **electricity()}
    second = {**business(), **electricity(tariff_code="STROM-GEWERBE", meter_serial="OTHER-METER")}

    out = run_import_expecting_rejections(supply_csv(tmp_path, [first, second]))

    assert "line 3: supply_point_id: Line 2 of this file already imports this supply." in out
    assert list(Customer.objects.values_list("external_ref", flat=True)) == ["K-1"]


def test_a_second_start_on_an_imported_supply_point_overlaps(tmp_path):
    out = run_import_expecting_rejections(
        supply_csv(tmp_path, rows(electricity(), electricity(start_date="2025-01-01")))
    )

    assert "line 3: supply_point_id: This supply point is already supplied for (part of) this time." in out


def test_a_meter_installed_at_another_supply_point_is_rejected(tmp_path):
    path = supply_csv(tmp_path, rows(electricity(), electricity(supply_point_id=MALO_3)))

    out = run_import_expecting_rejections(path)

    assert "line 3: meter_serial: Meter 1ESY1160000001 is installed at another supply point." in out


def test_different_billing_preferences_for_one_account_are_rejected(tmp_path):
    path = supply_csv(tmp_path, rows(electricity(billing_frequency="monthly"), gas(billing_frequency="annual")))

    out = run_import_expecting_rejections(path)

    assert "line 3: billing_frequency: The account is already billed differently (monthly)" in out
    assert BillingPreferences.objects.get().frequency == BillingPreferences.Frequency.MONTHLY


def test_a_refusal_while_saving_rolls_the_new_customer_back(tmp_path, monkeypatch):
    def refuse(**kwargs):
        raise agreements.OverlappingAgreement("Taken at the last moment.", field="supply_point_id")

    monkeypatch.setattr(agreements, "supply_import", refuse)

    out = run_import_expecting_rejections(supply_csv(tmp_path, rows(electricity())))

    assert "line 2: supply_point_id: Taken at the last moment." in out
    assert not Customer.objects.exists()
    assert not Account.objects.exists()


def test_supply_rows_for_a_customer_imported_without_supplies_are_added(tmp_path):
    run_import(write_csv(tmp_path, [household()], name="customers.csv"))
    AccountFactory()  # someone else

    out, _err = run_import(supply_csv(tmp_path, rows(electricity())))

    assert "supplies: created 1" in out
    assert ServiceAgreement.objects.get().account.customer.external_ref == "K-1"


# --- Dry run and help -----------------------------------------------------------------------------


def test_a_dry_run_checks_supplies_and_saves_nothing(tmp_path):
    path = supply_csv(
        tmp_path,
        rows(electricity(), gas(), electricity(), electricity(supply_point_id="1"))
        + [{**business(), **electricity(tariff_code="STROM-GEWERBE", meter_serial="X-1")}],
    )

    out = run_import_expecting_rejections(path, "--dry-run")

    assert "line 5: supply_point_id: A market location id has 11 digits" in out
    assert "line 6: supply_point_id: Line 2 of this file already imports this supply." in out
    assert (
        "would create 1, skipped (already imported) 2, rejected 2; "
        "supplies: would create 2, skipped (already imported) 1" in out
    )
    assert not Customer.objects.exists()
    assert not ServiceAgreement.objects.exists()
    assert not SupplyPoint.objects.exists()


def test_help_lists_the_supply_columns():
    help_text = Command().create_parser("manage.py", "import_customers").format_help()

    for column in SUPPLY_COLUMNS:
        assert column in help_text
    assert "half_yearly" in help_text
    assert "conventional | smart" in help_text
