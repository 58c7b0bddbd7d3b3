"""Django admin for tariffs, price versions, agreements, and the metering models."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import BillingPreferences
from core.models import OutboxMessage
from meters import services as metering
from meters.models import GasConversionFactor, Read, SupplyPoint, Utility
from supply.models import ServiceAgreement, Tariff, TariffVersion
from supply.services.agreements import supply_import
from tests.accounts.factories import AccountFactory, CustomerFactory, UserFactory, with_two_factor
from tests.supply.factories import PREMISE, market_location_id, request_for, tariff_make

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
EARLIEST = dt.date(2027, 1, 8)


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def admin_client(client):
    user = UserFactory(email="admin@example.com", is_staff=True, is_superuser=True)
    with_two_factor(user)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.user = user
    return client


def supplied(tariff, *, n=1, language="en") -> ServiceAgreement:
    return supply_import(
        account=AccountFactory(customer=CustomerFactory(language=language)),
        premise=PREMISE,
        request=request_for(tariff, n=n, start_date=dt.date(2026, 1, 1)),
        as_of=dt.date(2026, 11, 27),
    )


def version_form(tariff, **overrides) -> dict:
    data = {
        "tariff": str(tariff.pk),
        "valid_from": EARLIEST.isoformat(),
        "standing_charge_per_year": "132.00",
        "monthly_fee": "",
        "unit_prices": "*=0.32, 1-0:1.8.2=0.25",
    }
    data.update(overrides)
    return data


ADD_VERSION = reverse("admin:supply_tariffversion_add")


# --- Tariffs --------------------------------------------------------------------


def test_the_tariff_list_shows_current_prices_without_a_query_per_tariff(admin_client):
    url = reverse("admin:supply_tariff_changelist")
    tariff_make(code="A", standing_charge_per_year="120.00", unit_prices={"*": "0.300000"})
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(url)
    for n in range(6):
        tariff_make(code=f"B{n}", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="33.60")

    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url)

    assert response.status_code == 200
    assert len(many) == len(few)
    content = response.content.decode()
    assert "120.00 EUR per year; *=0.300000" in content
    assert "33.60 EUR per month" in content


def test_the_tariff_list_filters_and_searches(admin_client):
    tariff_make(code="STROM-BASIS")
    tariff_make(code="GAS-BASIS", utility=Utility.GAS, name_de="Erdgas", name_en="Gas")
    url = reverse("admin:supply_tariff_changelist")

    by_utility = admin_client.get(url, {"utility__exact": "GAS"})
    by_code = admin_client.get(url, {"q": "STROM"})

    assert [t.code for t in by_utility.context["cl"].result_list] == ["GAS-BASIS"]
    assert [t.code for t in by_code.context["cl"].result_list] == ["STROM-BASIS"]


def test_the_tariff_page_lists_versions_and_links_to_a_new_one(admin_client):
    tariff = tariff_make()

    response = admin_client.get(reverse("admin:supply_tariff_change", args=[tariff.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert f"{ADD_VERSION}?tariff={tariff.pk}" in content
    assert "*=0.300000" in content


def test_a_tariff_is_created_and_changed_in_the_admin(admin_client):
    add = admin_client.post(
        reverse("admin:supply_tariff_add"),
        {
            "code": "WASSER",
            "name_de": "Wasser",
            "name_en": "Water",
            "utility": "WATER",
            "customer_type": "HOUSEHOLD",
            "is_offered": "on",
            "minimum_term_months": "12",
            "notice_period_weeks": "4",
            "versions-TOTAL_FORMS": "0",
            "versions-INITIAL_FORMS": "0",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
        },
    )
    tariff = Tariff.objects.get(code="WASSER")
    tariff_version_add_url = f"{ADD_VERSION}?tariff={tariff.pk}"
    admin_client.post(
        tariff_version_add_url,
        version_form(tariff, valid_from="2026-01-01", standing_charge_per_year="96.00", unit_prices="*=2.15"),
    )

    change = admin_client.post(
        reverse("admin:supply_tariff_change", args=[tariff.pk]),
        {
            "name_de": "Trinkwasser",
            "name_en": "Drinking water",
            "minimum_term_months": "12",
            "notice_period_weeks": "4",
            "versions-TOTAL_FORMS": "1",
            "versions-INITIAL_FORMS": "1",
            "versions-MIN_NUM_FORMS": "0",
            "versions-MAX_NUM_FORMS": "1000",
            "versions-0-id": str(tariff.versions.get().pk),
            "versions-0-tariff": str(tariff.pk),
        },
    )

    assert add.status_code == 302
    assert change.status_code == 302, change.context["adminform"].form.errors
    tariff.refresh_from_db()
    assert (tariff.name_de, tariff.is_offered, tariff.utility) == ("Trinkwasser", False, "WATER")
    assert tariff.history.latest().history_user == admin_client.user


# --- Adding a price version -------------------------------------------------------


def test_the_add_form_starts_with_the_tariff_from_the_link(admin_client):
    tariff = tariff_make()

    response = admin_client.get(ADD_VERSION, {"tariff": tariff.pk})

    assert response.status_code == 200
    assert response.context["adminform"].form.initial["tariff"] == str(tariff.pk)


def test_a_price_version_is_added_through_the_service_and_announced(admin_client):
    tariff = tariff_make(unit_prices={"*": "0.300000"})
    supplied(tariff)

    response = admin_client.post(ADD_VERSION, version_form(tariff))

    assert response.status_code == 302
    version = tariff.versions.get(valid_from=EARLIEST)
    assert version.standing_charge_per_year == Decimal("132.00")
    assert {p.obis: p.unit_price for p in version.prices.all()} == {
        "*": Decimal("0.320000"),
        "1-0:1.8.2": Decimal("0.250000"),
    }
    assert version.history.get().history_user == admin_client.user
    (notice,) = OutboxMessage.objects.filter(template="price_change_notice")
    assert "0.3200" in notice.body


def test_a_price_version_inside_the_notice_period_is_refused_with_the_earliest_date(admin_client):
    tariff = tariff_make()
    supplied(tariff)

    response = admin_client.post(ADD_VERSION, version_form(tariff, valid_from="2027-01-07"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "valid_from" in errors
    assert "can apply from Jan. 8, 2027 at the earliest" in errors["valid_from"][0]
    assert "at the earliest" in response.content.decode()
    assert tariff.versions.count() == 1
    assert not OutboxMessage.objects.filter(template="price_change_notice").exists()


def test_a_tariff_without_customers_takes_a_version_from_any_date(admin_client):
    tariff = tariff_make(valid_from=dt.date(2026, 1, 1))

    response = admin_client.post(ADD_VERSION, version_form(tariff, valid_from="2025-01-01"))

    assert response.status_code == 302
    assert tariff.versions.filter(valid_from=dt.date(2025, 1, 1)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"valid_from": "2026-01-01"}, "valid_from", "overlapping versions are refused"),
        ({"unit_prices": "*=0,30"}, "unit_prices", "write each price as register=price"),
        ({"unit_prices": "0.30"}, "unit_prices", "write each price as register=price"),
        ({"unit_prices": "*=0.30, *=0.31"}, "unit_prices", "has two prices"),
        ({"unit_prices": "HT=0.30"}, "unit_prices", "is not a register"),
        ({"unit_prices": "*=-0.30"}, "unit_prices", "must not be negative"),
        ({"unit_prices": "*=0.1234567"}, "unit_prices", "at most 6 decimals"),
        ({"unit_prices": ""}, "unit_prices", "at least one price per unit"),
        ({"standing_charge_per_year": ""}, "standing_charge_per_year", "needs a standing charge"),
        ({"monthly_fee": "10.00"}, "monthly_fee", "not a monthly fee"),
    ],
)
def test_a_bad_price_version_is_refused_with_a_message(admin_client, overrides, field, message):
    tariff = tariff_make(valid_from=dt.date(2026, 1, 1))

    response = admin_client.post(ADD_VERSION, version_form(tariff, **overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert tariff.versions.count() == 1


def test_an_internet_version_needs_a_monthly_fee_and_no_unit_prices(admin_client):
    tariff = tariff_make(code="FIBRE", utility=Utility.INTERNET, standing_charge_per_year=None, monthly_fee="33.60")

    refused = admin_client.post(ADD_VERSION, version_form(tariff, standing_charge_per_year="", monthly_fee="35.00"))
    added = admin_client.post(
        ADD_VERSION, version_form(tariff, standing_charge_per_year="", monthly_fee="35.00", unit_prices="")
    )

    assert "no prices per unit" in refused.context["adminform"].form.errors["unit_prices"][0]
    assert added.status_code == 302
    assert tariff.versions.get(valid_from=EARLIEST).monthly_fee == Decimal("35.00")


def test_an_existing_version_is_shown_but_never_changed(admin_client):
    tariff = tariff_make()
    version = tariff.versions.get()
    url = reverse("admin:supply_tariffversion_change", args=[version.pk])

    shown = admin_client.get(url)
    posted = admin_client.post(url, version_form(tariff, valid_from="2026-01-01", standing_charge_per_year="1.00"))

    assert shown.status_code == 200
    assert "*=0.300000" in shown.content.decode()
    assert posted.status_code == 403
    version.refresh_from_db()
    assert version.standing_charge_per_year == Decimal("120.00")


def test_a_version_of_a_tariff_customers_had_cannot_be_deleted(admin_client):
    tariff = tariff_make()
    supplied(tariff)
    version = tariff.versions.get()

    response = admin_client.post(reverse("admin:supply_tariffversion_delete", args=[version.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert TariffVersion.objects.filter(pk=version.pk).exists()


def test_a_version_of_an_unused_tariff_can_be_deleted(admin_client):
    version = tariff_make().versions.get()

    response = admin_client.post(reverse("admin:supply_tariffversion_delete", args=[version.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not TariffVersion.objects.filter(pk=version.pk).exists()


# --- Agreements, VAT, preferences ---------------------------------------------------


def test_agreements_are_found_by_account_supply_point_and_meter(admin_client):
    tariff = tariff_make()
    agreement = supplied(tariff, n=7)
    supplied(tariff, n=8)
    url = reverse("admin:supply_serviceagreement_changelist")
    meter_serial = agreement.supply_point.meters.get().serial

    for term in (agreement.account.number, market_location_id(7), meter_serial):
        response = admin_client.get(url, {"q": term})
        assert list(response.context["cl"].result_list) == [agreement], term


def test_the_agreement_list_needs_no_query_per_agreement(admin_client):
    tariff = tariff_make()
    supplied(tariff, n=1)
    url = reverse("admin:supply_serviceagreement_changelist")
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for n in range(2, 8):
        supplied(tariff, n=n)

    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(url, {"status__exact": "ACTIVE"})

    assert len(response.context["cl"].result_list) == 7
    assert len(many) == len(few)


def test_agreements_are_read_only_in_the_admin(admin_client):
    agreement = supplied(tariff_make())
    url = reverse("admin:supply_serviceagreement_change", args=[agreement.pk])

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"status": "ENDED"}).status_code == 403
    assert admin_client.get(reverse("admin:supply_serviceagreement_add")).status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == ServiceAgreement.Status.ACTIVE


def test_vat_rates_are_listed_by_utility(admin_client):
    response = admin_client.get(reverse("admin:supply_vatrate_changelist"), {"utility__exact": "GAS"})

    assert response.status_code == 200
    assert {rate.utility for rate in response.context["cl"].result_list} == {"GAS"}


# --- Metering -----------------------------------------------------------------------


def test_a_supply_point_with_a_wrong_check_digit_is_refused_in_the_admin(admin_client):
    premise = metering.premise_get_or_create(data=PREMISE)

    response = admin_client.post(
        reverse("admin:meters_supplypoint_add"),
        {
            "premise": str(premise.pk),
            "utility": "ELECTRICITY",
            "identifier": "41373559242",
            "network_area": "",
            "meters-TOTAL_FORMS": "0",
            "meters-INITIAL_FORMS": "0",
            "meters-MIN_NUM_FORMS": "0",
            "meters-MAX_NUM_FORMS": "1000",
        },
    )

    assert response.status_code == 200
    assert "check digit" in response.context["adminform"].form.errors["identifier"][0]
    assert not SupplyPoint.objects.exists()


def test_gas_factors_belong_to_a_supply_point_or_an_area(admin_client):
    premise = metering.premise_get_or_create(data=PREMISE)
    point = metering.supply_point_get_or_create(premise=premise, utility=Utility.GAS, identifier="41373559241")
    url = reverse("admin:meters_gasconversionfactor_add")
    data = {"valid_from": "2026-01-01", "state_number": "0.9636", "calorific_value": "11.210"}

    both = admin_client.post(url, {**data, "supply_point": str(point.pk), "network_area": "Berlin"})
    area = admin_client.post(url, {**data, "supply_point": "", "network_area": "Berlin"})

    assert "not both" in both.context["adminform"].form.errors["network_area"][0]
    assert area.status_code == 302
    assert GasConversionFactor.objects.get().network_area == "Berlin"


def test_reads_are_filtered_by_source_and_found_by_meter(admin_client):
    agreement = supplied(tariff_make(), n=3)
    serial = agreement.supply_point.meters.get().serial
    url = reverse("admin:meters_read_changelist")

    operator = admin_client.get(url, {"source__exact": Read.Source.OPERATOR})
    customer = admin_client.get(url, {"source__exact": Read.Source.CUSTOMER})
    by_meter = admin_client.get(url, {"q": serial})

    assert len(operator.context["cl"].result_list) == 1
    assert len(customer.context["cl"].result_list) == 0
    assert len(by_meter.context["cl"].result_list) == 1


@pytest.mark.parametrize(
    "name",
    [
        "meters_premise",
        "meters_supplypoint",
        "meters_meter",
        "meters_read",
        "meters_gasconversionfactor",
        "accounts_billingpreferences",
    ],
)
def test_the_change_pages_open(admin_client, name):
    agreement = supplied(tariff_make())
    point = agreement.supply_point
    meter = point.meters.get()
    objects = {
        "meters_premise": point.premise,
        "meters_supplypoint": point,
        "meters_meter": meter,
        "meters_read": Read.objects.get(),
        "meters_gasconversionfactor": GasConversionFactor.objects.create(
            network_area="Berlin", valid_from=dt.date(2026, 1, 1), state_number=1, calorific_value=11
        ),
        "accounts_billingpreferences": BillingPreferences.objects.get_or_create(account=agreement.account)[0],
    }

    response = admin_client.get(reverse(f"admin:{name}_change", args=[objects[name].pk]))

    assert response.status_code == 200
