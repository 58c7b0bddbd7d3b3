"""The customer's supply set-up: form, live estimate, summary, sending."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from core.models import OutboxMessage
from meters.models import Meter, Premise, Register, SupplyPoint
from supply import forms as billing_forms
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory, UserFactory
from tests.supply.factories import agreement_requested, market_location_id, tariff_make

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = dt.date(2026, 11, 27)
SETUP = reverse("supply:setup")
CHECK = reverse("supply:check")


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def tariffs():
    return {
        "strom": tariff_make(code="STROM-BASIS", name_de="Strom Basis", name_en="Electricity Basic"),
        "strom_hh": tariff_make(
            code="STROM-HTNT",
            name_de="Strom Tag/Nacht",
            name_en="Electricity Day/Night",
            unit_prices={"1-0:1.8.1": "0.320000", "1-0:1.8.2": "0.240000"},
        ),
        "wasser": tariff_make(
            code="WASSER",
            utility="WATER",
            name_de="Trinkwasser",
            name_en="Drinking water",
            standing_charge_per_year="60.00",
            unit_prices={"*": "2.100000"},
        ),
        "internet": tariff_make(
            code="NET-100",
            utility="INTERNET",
            name_de="Glasfaser 100",
            name_en="Fibre 100",
            standing_charge_per_year=None,
            monthly_fee="29.90",
        ),
        "gewerbe": tariff_make(
            code="STROM-GEWERBE", customer_type="BUSINESS", name_de="Strom Gewerbe", name_en="Business power"
        ),
        "alt": tariff_make(code="STROM-ALT", name_de="Strom Alt", name_en="Old power", is_offered=False),
    }


@pytest.fixture
def account():
    return AccountFactory(customer__language="en", customer__email="erika@example.com")


@pytest.fixture
def customer_client(client, account):
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"
    return client


MALO = market_location_id(4711)


def payload(account, tariffs, /, **overrides) -> dict:
    data = {
        "account": str(account.pk),
        "street": "Gartenweg",
        "house_number": "3a",
        "address_extra": "",
        "postcode": "50667",
        "city": "Köln",
        "utilities": ["ELECTRICITY", "WATER"],
        "electricity-supply_point_id": MALO,
        "electricity-meter_serial": "1ESY1160123456",
        "electricity-meter_kind": "CONVENTIONAL",
        "electricity-rate": "SINGLE",
        "electricity-read_1_0_1_8_0": "12345.6",
        "electricity-start_reason": "MOVE_IN",
        "electricity-start_date": "2026-12-01",
        "electricity-expected_annual_consumption": "2500",
        "electricity-tariff": str(tariffs["strom"].pk),
        "water-supply_point_id": "WA-2024-0815",
        "water-meter_serial": "WZ-778899",
        "water-meter_kind": "CONVENTIONAL",
        "water-read_8_0_1_0_0": "321",
        "water-start_reason": "MOVE_IN",
        "water-start_date": "2026-12-01",
        "water-expected_annual_consumption": "90",
        "water-tariff": str(tariffs["wasser"].pk),
        "action": "check",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def nothing_saved():
    assert ServiceAgreement.objects.count() == 0
    assert Premise.objects.count() == 0
    assert SupplyPoint.objects.count() == 0
    assert Meter.objects.count() == 0
    assert not OutboxMessage.objects.filter(template="supply_requested").exists()


def field_errors(response, prefix, field):
    form = response.context["setup"].forms[prefix] if prefix else response.context["setup"].main
    with translation.override("en"):
        return [str(error) for error in form.errors.get(field, [])]


# --- The happy path -----------------------------------------------------------------


def test_a_customer_sets_up_electricity_and_water(customer_client, account, tariffs):
    response = customer_client.post(SETUP, payload(account, tariffs))

    assert response.status_code == 302
    assert response["Location"] == CHECK
    assert ServiceAgreement.objects.count() == 0  # nothing is sent before the summary

    summary = customer_client.get(CHECK)
    body = summary.content.decode()
    assert "Please check" in body
    assert "Gartenweg 3a, 50667 Köln" in body
    assert MALO in body and "1ESY1160123456" in body and "WA-2024-0815" in body
    assert "Electricity Basic" in body and "Drinking water" in body
    # 120.00 + 2500 kWh x 0.30 = 870.00 net, 19 % VAT 165.30 -> 1,035.30 gross
    assert "1,035.30" in body
    # 60.00 + 90 m³ x 2.10 = 249.00 net, 7 % VAT 17.43 -> 266.43 gross
    assert "266.43" in body

    sent = customer_client.post(CHECK)

    assert sent.status_code == 302
    assert sent["Location"] == reverse("supply:requested")
    agreements = list(ServiceAgreement.objects.select_related("supply_point__premise", "tariff").order_by("id"))
    assert [(a.supply_point.utility, a.tariff.code, a.status) for a in agreements] == [
        ("ELECTRICITY", "STROM-BASIS", "REQUESTED"),
        ("WATER", "WASSER", "REQUESTED"),
    ]
    electricity, water = agreements
    assert electricity.account == account
    assert electricity.start_date == dt.date(2026, 12, 1)
    assert electricity.start_reason == "MOVE_IN"
    assert electricity.start_reads == {"1-0:1.8.0": "12345.6"}
    assert electricity.expected_annual_consumption == Decimal("2500")
    assert water.start_reads == {"8-0:1.0.0": "321"}
    assert str(electricity.supply_point.premise) == "Gartenweg 3a, 50667 Köln"
    assert list(Register.objects.filter(meter__serial="1ESY1160123456").values_list("obis", flat=True)) == ["1-0:1.8.0"]
    assert "supply_setup" not in customer_client.session

    done = customer_client.get(sent["Location"]).content.decode()
    assert "we have received your request" in done
    assert "Electricity Basic" in done and "Drinking water" in done


def test_the_confirmation_mail_lists_each_utility_in_the_customers_language(customer_client, account, tariffs):
    customer_client.post(SETUP, payload(account, tariffs))
    customer_client.post(CHECK)

    message = OutboxMessage.objects.get(template="supply_requested")
    assert message.to_address == "erika@example.com"
    assert message.language == "en"
    assert account.number in message.subject
    assert "Electricity Basic" in message.body and "Drinking water" in message.body
    assert "12/01/2026" in message.body  # the start date
    assert MALO in message.body and "1ESY1160123456" in message.body
    assert "Strom Basis" not in message.body


def test_a_german_customer_gets_the_mail_in_german(client, tariffs):
    account = AccountFactory(customer__language="de")
    client.force_login(account.customer.user)
    client.post(SETUP, payload(account, tariffs))
    client.post(CHECK)

    message = OutboxMessage.objects.get(template="supply_requested")
    assert message.language == "de"
    assert "Strom Basis" in message.body
    assert "01.12.2026" in message.body


def test_dual_rate_electricity_records_both_registers(customer_client, account, tariffs):
    data = payload(
        account,
        tariffs,
        utilities=["ELECTRICITY"],
        **{
            "electricity-rate": "DUAL",
            "electricity-read_1_0_1_8_0": None,
            "electricity-read_1_0_1_8_1": "1000",
            "electricity-read_1_0_1_8_2": "500.5",
            "electricity-tariff": str(tariffs["strom_hh"].pk),
        },
    )
    assert customer_client.post(SETUP, data).status_code == 302
    customer_client.post(CHECK)

    agreement = ServiceAgreement.objects.get()
    assert agreement.start_reads == {"1-0:1.8.1": "1000", "1-0:1.8.2": "500.5"}
    assert sorted(Register.objects.filter(meter__serial="1ESY1160123456").values_list("obis", flat=True)) == [
        "1-0:1.8.1",
        "1-0:1.8.2",
    ]


def test_internet_needs_no_meter(customer_client, account, tariffs):
    data = {
        "account": str(account.pk),
        "street": "Gartenweg",
        "house_number": "3a",
        "postcode": "50667",
        "city": "Köln",
        "utilities": ["INTERNET"],
        "internet-supply_point_id": "DEU.TEL.LINE.42",
        "internet-start_reason": "SUPPLIER_SWITCH",
        "internet-start_date": "2027-01-15",
        "internet-tariff": str(tariffs["internet"].pk),
    }
    assert customer_client.post(SETUP, data).status_code == 302
    # 12 x 29.90 = 358.80 net, 19 % VAT 68.17
    assert "426.97" in customer_client.get(CHECK).content.decode()
    customer_client.post(CHECK)

    agreement = ServiceAgreement.objects.get()
    assert agreement.supply_point.utility == "INTERNET"
    assert agreement.start_reads == {}
    assert Meter.objects.count() == 0


# --- The page -------------------------------------------------------------------------


def test_the_form_is_prefilled_with_the_billing_address(customer_client, account, tariffs):
    response = customer_client.get(SETUP)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["street"].value() == account.street
    assert form["postcode"].value() == account.postcode
    assert not response.context["several_accounts"]
    assert 'name="account"' in response.content.decode()


def test_choosing_utilities_shows_their_questions_without_judging_them(customer_client, account, tariffs):
    response = customer_client.post(
        SETUP,
        {"account": account.pk, "street": "", "utilities": ["ELECTRICITY"], "action": "refresh"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="electricity-supply_point_id"' in body
    assert 'name="water-supply_point_id"' not in body
    assert "Please correct the marked fields" not in body
    assert "<html" not in body  # only the form is swapped
    assert "Electricity Basic" in body and "Business power" not in body and "Old power" not in body


def test_dual_rate_asks_for_ht_and_nt(customer_client, account, tariffs):
    response = customer_client.post(
        SETUP,
        {"account": account.pk, "utilities": ["ELECTRICITY"], "electricity-rate": "DUAL", "action": "refresh"},
    )

    body = response.content.decode()
    assert 'name="electricity-read_1_0_1_8_1"' in body
    assert 'name="electricity-read_1_0_1_8_2"' in body
    assert 'name="electricity-read_1_0_1_8_0"' not in body


def test_the_estimate_follows_the_consumption(customer_client, tariffs):
    response = customer_client.get(
        reverse("supply:estimate"),
        {
            "utility": "ELECTRICITY",
            "electricity-expected_annual_consumption": "2500",
        },
    )

    body = response.content.decode()
    assert "1,035.30" in body
    # Only the estimates are swapped (out of band), so a chosen tariff stays chosen.
    assert f'id="estimate-electricity-tariff-{tariffs["strom"].pk}"' in body
    assert 'hx-swap-oob="true"' in body
    assert 'type="radio"' not in body
    assert f'estimate-electricity-tariff-{tariffs["gewerbe"].pk}"' not in body
    more = customer_client.get(
        reverse("supply:estimate"), {"utility": "ELECTRICITY", "electricity-expected_annual_consumption": "3000"}
    )
    # 120.00 + 3000 x 0.30 = 1,020.00 net, +193.80 VAT
    assert "1,213.80" in more.content.decode()


def test_the_estimate_waits_for_a_number(customer_client, tariffs):
    body = customer_client.get(
        reverse("supply:estimate"), {"utility": "ELECTRICITY", "electricity-expected_annual_consumption": "abc"}
    ).content.decode()

    assert "Enter your expected consumption" in body


@pytest.mark.parametrize("utility", ["", "HEAT"])
def test_the_estimate_knows_only_our_utilities(customer_client, tariffs, utility):
    assert customer_client.get(reverse("supply:estimate"), {"utility": utility}).status_code == 404


def test_a_business_customer_is_offered_business_tariffs(client, tariffs):
    account = AccountFactory(customer__customer_type="BUSINESS", customer__company_name="Bäckerei Kurz GmbH")
    client.force_login(account.customer.user)
    client.cookies["portal_language"] = "en"

    body = client.post(
        SETUP, {"account": account.pk, "utilities": ["ELECTRICITY"], "action": "refresh"}
    ).content.decode()

    assert "Business power" in body
    assert "Electricity Basic" not in body
    estimates = client.get(reverse("supply:estimate"), {"utility": "ELECTRICITY"}).content.decode()
    assert f"estimate-electricity-tariff-{tariffs['gewerbe'].pk}" in estimates
    assert f"estimate-electricity-tariff-{tariffs['strom'].pk}" not in estimates


def test_a_customer_with_several_accounts_chooses_one(customer_client, account, tariffs):
    second = AccountFactory(customer=account.customer, street="Am Hafen", house_number="7", postcode="20457")

    response = customer_client.get(SETUP, {"account": second.pk})

    assert response.context["several_accounts"]
    assert response.context["form"]["street"].value() == "Am Hafen"
    customer_client.post(SETUP, payload(account, tariffs, account=str(second.pk)))
    customer_client.post(CHECK)
    assert {a.account for a in ServiceAgreement.objects.all()} == {second}


# --- Bad input: a clear message next to the field, nothing saved, nothing lost ----


def wrong_check_digit(malo: str) -> str:
    return malo[:10] + str((int(malo[10]) + 1) % 10)


@pytest.mark.parametrize(
    ("overrides", "prefix", "field", "message"),
    [
        (
            {"electricity-supply_point_id": wrong_check_digit(MALO)},
            "ELECTRICITY",
            "supply_point_id",
            "A market location id has 11 digits and ends in its check digit",
        ),
        (
            {"electricity-supply_point_id": "1234"},
            "ELECTRICITY",
            "supply_point_id",
            "A market location id has 11 digits",
        ),
        (
            {"electricity-start_date": "2026-10-15"},
            "ELECTRICITY",
            "start_date",
            "at most 42 days in the past",
        ),
        ({"electricity-meter_serial": "  "}, "ELECTRICITY", "meter_serial", "Please enter the meter number."),
        ({"water-read_8_0_1_0_0": ""}, "WATER", "read_8_0_1_0_0", "Please enter the meter reading."),
        ({"water-read_8_0_1_0_0": "-5"}, "WATER", "read_8_0_1_0_0", "greater than or equal to 0"),
        ({"electricity-expected_annual_consumption": ""}, "ELECTRICITY", "expected_annual_consumption", "required"),
        ({"electricity-tariff": ""}, "ELECTRICITY", "tariff", "Please choose a tariff."),
        ({"postcode": "5066"}, None, "postcode", "A German postcode has exactly 5 digits."),
        ({"utilities": []}, None, "utilities", "Please choose at least one utility."),
        (
            {"water-meter_serial": "1ESY1160123456"},
            "WATER",
            "meter_serial",
            "Each utility has its own meter",
        ),
    ],
)
def test_bad_input_is_refused_next_to_its_field(customer_client, account, tariffs, overrides, prefix, field, message):
    response = customer_client.post(SETUP, payload(account, tariffs, **overrides))

    assert response.status_code == 200
    errors = " ".join(field_errors(response, prefix, field))
    assert message in errors
    body = response.content.decode()
    assert "Please correct the marked fields." in body
    typed = [
        value
        for key, value in overrides.items()
        if isinstance(value, str) and value.strip() and key != "electricity-tariff"
    ]
    for value in ["Gartenweg", *typed]:  # what was typed stays, even when it is wrong
        assert f'value="{value}"' in body
    nothing_saved()


@pytest.mark.parametrize("which", ["gewerbe", "wasser", "alt"])
def test_a_tariff_posted_by_hand_must_be_on_offer_for_the_utility_and_customer(
    customer_client, account, tariffs, which
):
    response = customer_client.post(SETUP, payload(account, tariffs, **{"electricity-tariff": str(tariffs[which].pk)}))

    assert field_errors(response, "ELECTRICITY", "tariff") == [
        "Please choose one of the tariffs offered for this utility."
    ]
    nothing_saved()


def test_a_supply_point_that_is_already_supplied_is_refused(customer_client, account, tariffs):
    other = agreement_requested(tariff=tariffs["strom"], n=4711, start_date=dt.date(2026, 11, 1))
    assert other.supply_point.identifier == MALO

    response = customer_client.post(SETUP, payload(account, tariffs))

    assert field_errors(response, "ELECTRICITY", "supply_point_id") == [
        "This supply point is already supplied for (part of) this time."
    ]
    assert ServiceAgreement.objects.count() == 1


def test_a_meter_installed_elsewhere_is_refused(customer_client, account, tariffs):
    agreement_requested(tariff=tariffs["strom"], n=1, meter_serial="1ESY1160123456")

    response = customer_client.post(SETUP, payload(account, tariffs))

    assert field_errors(response, "ELECTRICITY", "meter_serial") == [
        "Meter 1ESY1160123456 is installed at another supply point."
    ]


def test_a_request_sent_at_the_same_moment_is_caught_on_sending(customer_client, account, tariffs, monkeypatch):
    assert customer_client.post(SETUP, payload(account, tariffs)).status_code == 302
    # Someone else asks for the same supply point while this customer reads the summary.
    agreement_requested(tariff=tariffs["strom"], n=4711, start_date=dt.date(2026, 11, 1))
    # The form's own check is blind to it here: the database must refuse.
    monkeypatch.setattr(billing_forms, "supply_point_taken", lambda **kwargs: False)

    response = customer_client.post(CHECK)

    assert response.status_code == 200
    assert "This supply point is already supplied for (part of) this time." in response.content.decode()
    assert ServiceAgreement.objects.count() == 1  # only the other one
    assert not Premise.objects.filter(street="Gartenweg").exists()
    assert not OutboxMessage.objects.filter(template="supply_requested", to_address="erika@example.com").exists()
    assert customer_client.session["supply_setup"]  # the draft is kept


def test_going_back_from_the_summary_keeps_everything(customer_client, account, tariffs):
    customer_client.post(SETUP, payload(account, tariffs))

    response = customer_client.get(SETUP)

    body = response.content.decode()
    assert f'value="{MALO}"' in body
    assert 'value="WZ-778899"' in body
    assert "Please correct the marked fields." not in body


def test_the_summary_needs_a_draft(customer_client, tariffs):
    assert customer_client.get(CHECK)["Location"] == SETUP
    assert customer_client.post(CHECK)["Location"] == SETUP
    assert ServiceAgreement.objects.count() == 0


def test_a_draft_that_became_invalid_is_sent_back_to_the_form(customer_client, account, tariffs):
    customer_client.post(SETUP, payload(account, tariffs))
    tariffs["strom"].is_offered = False
    tariffs["strom"].save()

    response = customer_client.post(CHECK)

    assert response["Location"] == SETUP
    assert ServiceAgreement.objects.count() == 0
    form = customer_client.get(SETUP)
    assert field_errors(form, "ELECTRICITY", "tariff")


# --- Who may do what ---------------------------------------------------------------


def test_another_customers_account_is_not_found(customer_client, account, tariffs):
    stranger = AccountFactory()

    assert customer_client.get(SETUP, {"account": stranger.pk}).status_code == 404
    assert customer_client.get(SETUP, {"account": "x"}).status_code == 404
    response = customer_client.post(SETUP, payload(account, tariffs, account=str(stranger.pk)))
    assert response.status_code == 404
    nothing_saved()


def test_the_confirmation_page_shows_only_own_agreements(customer_client, account, tariffs):
    stranger = agreement_requested(tariff=tariffs["strom"], n=99)
    session = customer_client.session
    session["supply_setup_done"] = [stranger.pk]
    session.save()

    assert customer_client.get(reverse("supply:requested"))["Location"] == reverse("home")


def test_visitors_must_sign_in(client):
    for url in (SETUP, CHECK, reverse("supply:estimate"), reverse("supply:requested")):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


def test_a_user_without_customer_details_is_sent_to_onboarding(client):
    client.force_login(UserFactory())

    assert client.get(SETUP)["Location"] == reverse("onboarding")
    assert client.get(reverse("supply:estimate"), {"utility": "ELECTRICITY"}).status_code == 404
    assert client.get(CHECK).status_code == 404
