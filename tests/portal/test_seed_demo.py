"""`manage.py seed_demo`: demo tariffs, gas factors and the demo customer's supply; twice = once."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from billing.models import Invoice
from billing.services.ledger import account_balance
from core.models import OutboxMessage
from meters.identifiers import is_market_location_id
from meters.models import GasConversionFactor, Meter, Read, SupplyPoint, Utility
from supply.models import ServiceAgreement, Tariff, TariffPrice, TariffVersion
from supply.services.tariffs import tariffs_offered, yearly_estimate

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def counts() -> dict:
    models = (Tariff, TariffVersion, TariffPrice, GasConversionFactor, SupplyPoint, Meter, Read, ServiceAgreement)
    return {model.__name__: model.objects.count() for model in models} | {"messages": OutboxMessage.objects.count()}


def test_seeding_twice_creates_nothing_new():
    seed()
    first = counts()

    seed()

    assert counts() == first
    assert first["Tariff"] == 6


def test_the_demo_customer_has_an_active_electricity_supply():
    seed()

    (agreement,) = ServiceAgreement.objects.filter(account__customer__email="customer@example.com")
    assert agreement.status == ServiceAgreement.Status.ACTIVE
    assert agreement.supply_point.utility == Utility.ELECTRICITY
    assert is_market_location_id(agreement.supply_point.identifier)
    assert agreement.tariff.code == "STROM-BASIS"
    assert Read.objects.filter(register__meter__supply_point=agreement.supply_point, value=14823).count() == 1


@time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False)
def test_the_demo_customer_has_monthly_bills_the_older_ones_paid():
    seed()
    seed()

    invoices = Invoice.objects.filter(account__customer__email="customer@example.com").order_by("period_start")
    assert [invoice.period_start.month for invoice in invoices] == list(range(1, 11))
    assert {invoice.number for invoice in invoices} == {f"RE2026-{n:06d}" for n in range(1, 11)}
    account = invoices[0].account
    # Bills issued more than 45 days ago are paid; October's, issued on 1 November, is open.
    unpaid = [invoice for invoice in invoices if invoice.issue_date > dt.date(2026, 10, 13)]
    assert account_balance(account=account) == sum(invoice.gross_total for invoice in unpaid)


@pytest.mark.parametrize(
    ("utility", "customer_type", "codes"),
    [
        (Utility.ELECTRICITY, "HOUSEHOLD", ["STROM-BASIS", "STROM-OEKO"]),
        (Utility.ELECTRICITY, "BUSINESS", ["STROM-GEWERBE"]),
        (Utility.GAS, "HOUSEHOLD", ["GAS-BASIS"]),
        (Utility.WATER, "HOUSEHOLD", ["WASSER"]),
        (Utility.INTERNET, "HOUSEHOLD", ["GLASFASER-100"]),
    ],
)
def test_demo_tariffs_are_offered_with_prices(utility, customer_type, codes):
    seed()
    day = dt.date(2026, 6, 1)

    offered = tariffs_offered(utility=utility, customer_type=customer_type, day=day)

    assert [tariff.code for tariff in offered] == codes
    for tariff in offered:
        assert yearly_estimate(tariff=tariff, consumption=None, day=day).gross > 0


def test_gas_network_areas_have_conversion_factors():
    seed()

    assert set(GasConversionFactor.objects.values_list("network_area", flat=True)) == {"Berlin", "München", "Köln"}
