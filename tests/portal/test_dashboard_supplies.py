"""The customer's dashboard lists their supplies as cards."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meters.models import GasConversionFactor
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory
from tests.supply.factories import agreement_requested, tariff_make

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
Status = ServiceAgreement.Status


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def tariffs():
    return {
        "ELECTRICITY": tariff_make(code="STROM", name_de="Strom Basis", name_en="Electricity Basic"),
        "GAS": tariff_make(code="GAS", utility="GAS", name_de="Erdgas", name_en="Natural gas"),
        "WATER": tariff_make(code="WASSER", utility="WATER", name_de="Wasser", name_en="Drinking water"),
        "INTERNET": tariff_make(
            code="NET",
            utility="INTERNET",
            name_de="Glasfaser",
            name_en="Fibre",
            standing_charge_per_year=None,
            monthly_fee="29.90",
        ),
    }


READS = {"ELECTRICITY": "1-0:1.8.0", "GAS": "7-0:3.0.0", "WATER": "8-0:1.0.0"}
_numbers = iter(range(1, 10_000))


def supply(account, tariff, status=Status.REQUESTED):
    n = next(_numbers)
    obis = READS.get(tariff.utility)
    agreement = agreement_requested(
        account=account,
        tariff=tariff,
        n=n,
        meter_serial=f"M-{tariff.utility[:2]}-{n:04d}",
        start_reads={obis: Decimal("100")} if obis else {},
    )
    if status != Status.REQUESTED:
        ServiceAgreement.objects.filter(pk=agreement.pk).update(status=status)
    return agreement


@pytest.fixture
def account():
    return AccountFactory(customer__language="en")


@pytest.fixture
def customer_client(client, account):
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"
    return client


def test_the_dashboard_shows_each_supply_as_a_card(customer_client, account, tariffs):
    electricity = supply(account, tariffs["ELECTRICITY"], Status.ACTIVE)
    water = supply(account, tariffs["WATER"], Status.CONFIRMED)
    internet = supply(account, tariffs["INTERNET"])

    response = customer_client.get(reverse("home"))

    body = response.content.decode()
    assert [card.agreement for card in response.context["supplies"]] == [internet, water, electricity]
    assert body.count('data-testid="supply-card"') == 3
    for agreement in (electricity, water, internet):
        assert agreement.supply_point.identifier in body
    assert "Electricity Basic" in body and "Drinking water" in body and "Fibre" in body
    assert electricity.supply_point.meters.get().serial in body
    assert "Lindenstraße 12, 10969 Berlin" in body
    assert "⚡" in body and "💧" in body and "🌐" in body
    assert ">active<" in body and ">confirmed<" in body and ">requested<" in body
    assert "12/01/2026" in body  # the start date
    assert reverse("supply:setup") in body


def test_gas_shows_the_current_conversion_factors(customer_client, account, tariffs):
    gas = supply(account, tariffs["GAS"], Status.ACTIVE)
    GasConversionFactor.objects.create(
        supply_point=gas.supply_point,
        valid_from=dt.date(2025, 1, 1),
        state_number=Decimal("0.9500"),
        calorific_value=Decimal("11.100"),
    )
    GasConversionFactor.objects.create(
        supply_point=gas.supply_point,
        valid_from=dt.date(2026, 1, 1),
        state_number=Decimal("0.9650"),
        calorific_value=Decimal("11.250"),
    )
    GasConversionFactor.objects.create(
        supply_point=gas.supply_point,
        valid_from=dt.date(2027, 1, 1),
        state_number=Decimal("0.9700"),
        calorific_value=Decimal("11.400"),
    )

    body = customer_client.get(reverse("home")).content.decode()

    assert '<dd class="col-7" data-testid="gas-state-number">0.9650</dd>' in body
    assert '<dd class="col-7" data-testid="gas-calorific-value">11.250 kWh/m³</dd>' in body
    assert "🔥" in body


def test_the_dashboard_shows_only_the_customers_own_supplies(customer_client, account, tariffs):
    mine = supply(account, tariffs["ELECTRICITY"])
    theirs = supply(AccountFactory(), tariffs["WATER"])

    body = customer_client.get(reverse("home")).content.decode()

    assert mine.supply_point.identifier in body
    assert theirs.supply_point.identifier not in body


def test_a_rejected_request_shows_the_reason(customer_client, account, tariffs):
    agreement = supply(account, tariffs["ELECTRICITY"])
    ServiceAgreement.objects.filter(pk=agreement.pk).update(
        status=Status.REJECTED, rejection_reason="The meter number does not match."
    )

    body = customer_client.get(reverse("home")).content.decode()

    assert ">rejected<" in body
    assert "The meter number does not match." in body


def test_without_supplies_the_dashboard_invites_to_set_one_up(customer_client):
    body = customer_client.get(reverse("home")).content.decode()

    assert "No supplies yet." in body
    assert reverse("supply:setup") in body


def dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    return len(queries)


def test_the_dashboard_has_no_n_plus_1(client, tariffs, django_assert_max_num_queries):
    small = AccountFactory()
    supply(small, tariffs["ELECTRICITY"])
    client.force_login(small.customer.user)
    one_supply = dashboard_queries(client)

    big = AccountFactory()
    accounts = [big, AccountFactory(customer=big.customer), AccountFactory(customer=big.customer)]
    for account in accounts:
        supply(account, tariffs["ELECTRICITY"], Status.ACTIVE)
        supply(account, tariffs["WATER"], Status.CONFIRMED)
        supply(account, tariffs["INTERNET"])
    client.force_login(big.customer.user)

    with django_assert_max_num_queries(one_supply):
        response = client.get(reverse("home"))

    assert len(response.context["supplies"]) == 9
    assert len(response.context["accounts"]) == 3
