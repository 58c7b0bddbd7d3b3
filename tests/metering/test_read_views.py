"""The customer's reads page: the form and its verdicts, photos, scoping,
the consumption chart and the read history."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from metering.charts import month_starts, spread_by_month
from metering.forms import ReadSubmitForm, parse_reading
from metering.queries.reads import HISTORY_LIMIT
from metering.services.intake import IntakeResult, expected_range
from metering.views import verdict_of
from meters.models import GasConversionFactor, Read, Utility
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory
from tests.meters.factories import PNG, at, daily_reads, register_of
from tests.supply.factories import agreement_requested, supplied

pytestmark = pytest.mark.django_db

NOW = at(2026, 6, 30, 12)
READS = reverse("reads:reads")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def agreement():
    return supplied()


@pytest.fixture
def register(agreement):
    return register_of(agreement)


@pytest.fixture
def customer_client(client, agreement):
    client.force_login(agreement.account.customer.user)
    client.cookies["portal_language"] = "en"
    return client


def send(client, register, value, *, htmx=True, taken_on="", confirm=False, photo=None):
    prefix = f"r{register.pk}"
    data = {f"{prefix}-value": value, f"{prefix}-taken_on": taken_on}
    if confirm:
        data[f"{prefix}-confirm_suspect"] = "1"
    if photo is not None:
        data[f"{prefix}-photo"] = photo
    return client.post(reverse("reads:send", args=[register.pk]), data, **(HTMX if htmx else {}))


def verdict(response) -> str:
    match = re.search(r'data-verdict="([a-z_]+)"', response.content.decode())
    return match.group(1) if match else ""


def customer_reads(register):
    return list(register.reads.filter(source=Read.Source.CUSTOMER).order_by("id"))


# --- typing numbers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "language", "number"),
    [
        ("1.234,5", "de", "1234.5"),
        ("1234,5", "de", "1234.5"),
        ("1234.5", "de", "1234.5"),
        ("1234.5", "en", "1234.5"),
        ("1234,5", "en", "1234.5"),
        ("1,234.5", "en", "1234.5"),
        ("1.234", "de", "1234"),
        ("1,234", "en", "1234"),
        ("1,234", "de", "1.234"),
        ("1.234.567,891", "de", "1234567.891"),
        (" 12 345,6 ", "de", "12345.6"),
        ("00012", "de", "12"),
        ("0,5", "de", "0.5"),
    ],
)
def test_readings_are_read_with_a_decimal_comma_or_point(typed, language, number):
    assert parse_reading(typed, language=language) == Decimal(number)


@pytest.mark.parametrize("typed", ["", "abc", "-5", "12,", "1,2,3", "1.234,5.6", "1e5", "12.34.5", "1.23,4", "½"])
def test_what_is_not_a_number_is_refused(typed):
    with pytest.raises(ValueError):
        parse_reading(typed, language="de")


def test_the_form_reads_the_page_languages_number_and_asks_for_a_missing_one():
    with translation.override("de"):
        form = ReadSubmitForm({"value": "1.234,5"}, today=dt.date(2026, 6, 30))
        assert form.is_valid(), form.errors
        assert form.cleaned_data["value"] == Decimal("1234.5")
    with translation.override("en"):
        empty = ReadSubmitForm({"value": ""}, today=dt.date(2026, 6, 30))
        assert not empty.is_valid()
        assert empty.errors["value"] == ["Please enter the meter reading."]
        words = ReadSubmitForm({"value": "twelve"}, today=dt.date(2026, 6, 30))
        assert not words.is_valid()
        assert "as a number" in words.errors["value"][0]


def test_a_reading_without_a_date_is_taken_now_and_an_earlier_date_at_its_midnight():
    today = dt.date(2026, 6, 30)
    undated = ReadSubmitForm({"value": "5"}, today=today)
    dated = ReadSubmitForm({"value": "5", "taken_on": "2026-06-28"}, today=today)
    assert undated.is_valid() and dated.is_valid()

    assert undated.taken_at(now=NOW) == NOW
    assert dated.taken_at(now=NOW) == at(2026, 6, 28)


# --- the page -----------------------------------------------------------------------------------------------------


def test_visitors_are_sent_to_sign_in(client, register):
    response = client.get(READS)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert client.post(reverse("reads:send", args=[register.pk]), {}).status_code == 302


def test_the_page_shows_each_register_with_its_last_reading_and_the_expected_range(customer_client, register):
    response = customer_client.get(READS)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="register-panel"' in page
    assert f'id="register-{register.pk}"' in page
    last = re.search(r'data-testid="last-read">(.*?)</dd>', page, re.S).group(1)
    assert "1,000 kWh" in last and "01/01/2026" in last and "operator" in last
    low, high = response.context["supplies"][0].panels[0].expected
    assert low < high
    expected = re.search(r'data-testid="expected-range">(.*?)</dd>', page, re.S).group(1)
    assert f"{low:,.3f}".rstrip("0").rstrip(".") in expected


def test_other_customers_supplies_are_not_shown(customer_client, agreement):
    other = supplied(n=2)

    page = customer_client.get(READS).content.decode()

    assert other.supply_point.identifier not in page
    assert agreement.supply_point.identifier in page


# --- verdicts -----------------------------------------------------------------------------------------------------


def test_a_plausible_reading_is_accepted_with_the_consumption_and_the_register_redrawn(customer_client, register):
    response = send(customer_client, register, "2.900,5")

    assert verdict(response) == "accepted"
    assert "1,900.5 kWh since the previous reading" in response.content.decode()
    assert response["HX-Retarget"] == f"#register-{register.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    (read,) = customer_reads(register)
    assert (read.value, read.quality, read.taken_at) == (Decimal("2900.5"), Read.Quality.VALID, NOW)
    # The redrawn register shows the new last reading and an empty form.
    assert "2,900.5 kWh" in re.search(r'data-testid="last-read">(.*?)</dd>', response.content.decode(), re.S).group(1)
    assert 'value="2.900,5"' not in response.content.decode()


def test_without_javascript_the_whole_page_comes_back_with_the_verdict(customer_client, register):
    response = send(customer_client, register, "2900", htmx=False)

    assert response.status_code == 200
    assert "<html" in response.content.decode()
    assert verdict(response) == "accepted"
    assert len(customer_reads(register)) == 1


def test_a_rollover_is_accepted_and_said_so(client):
    agreement = supplied(start_read="999990", annual=None)
    register = register_of(agreement)
    client.force_login(agreement.account.customer.user)
    client.cookies["portal_language"] = "en"

    response = send(client, register, "12")

    assert verdict(response) == "rollover"
    assert "started again from zero" in response.content.decode()
    assert "22 kWh" in response.content.decode()
    (read,) = customer_reads(register)
    assert read.rollover is True


def test_a_suspect_reading_is_questioned_then_kept_for_review_when_confirmed(customer_client, register):
    asked = send(customer_client, register, "9000")

    assert verdict(asked) == "suspect"
    page = asked.content.decode()
    low, high = expected_range(register=register, on=NOW)
    assert f"much higher than expected (range {low.normalize():,f} – {high.normalize():,f} kWh)." in page
    assert "Please check it:" in page
    assert f'name="r{register.pk}-confirm_suspect" value="1"' in page
    assert f'<label class="btn btn-sm btn-outline-secondary mb-0" for="id_r{register.pk}-value">Correct</label>' in page
    assert customer_reads(register) == []

    confirmed = send(customer_client, register, "9000", confirm=True)

    assert verdict(confirmed) == "saved_suspect"
    (read,) = customer_reads(register)
    assert (read.value, read.quality) == (Decimal("9000"), Read.Quality.SUSPECT)
    assert read.reason


def test_a_much_lower_reading_is_questioned_as_lower(customer_client, register):
    response = send(customer_client, register, "1001")

    assert verdict(response) == "suspect"
    assert "much lower than expected" in response.content.decode()


def test_a_suspect_reading_corrected_by_the_customer_is_accepted(customer_client, register):
    assert verdict(send(customer_client, register, "29000")) == "suspect"

    corrected = send(customer_client, register, "2900")

    assert verdict(corrected) == "accepted"
    assert [r.value for r in customer_reads(register)] == [Decimal("2900")]


def test_a_reading_lower_than_the_previous_one_is_refused_with_the_reason(customer_client, register):
    response = send(customer_client, register, "999")

    assert verdict(response) == "rejected"
    assert "lower than the previous reading (1,000 on 01/01/2026)" in response.content.decode()
    assert customer_reads(register) == []


def test_a_reading_in_the_future_is_refused(customer_client, register):
    response = send(customer_client, register, "2900", taken_on="2026-07-01")

    assert verdict(response) == "rejected"
    assert "cannot be taken in the future" in response.content.decode()
    assert customer_reads(register) == []


def test_a_reading_dated_earlier_is_taken_at_midnight_of_that_day(customer_client, register):
    response = send(customer_client, register, "2800", taken_on="2026-06-20")

    assert verdict(response) == "accepted"
    assert customer_reads(register)[0].taken_at == at(2026, 6, 20)


def test_what_is_not_a_number_is_shown_beside_the_form_and_nothing_stored(customer_client, register):
    response = send(customer_client, register, "12a")

    assert verdict(response) == "invalid"
    assert "Please enter the meter reading as a number" in response.content.decode()
    assert "HX-Retarget" not in response
    assert customer_reads(register) == []


def test_a_photo_of_the_meter_is_kept_with_the_reading(customer_client, register):
    photo = SimpleUploadedFile("zaehler.png", PNG, content_type="image/png")

    response = send(customer_client, register, "2900", photo=photo)

    assert verdict(response) == "accepted"
    (read,) = customer_reads(register)
    assert read.photo.name.endswith(".png")
    assert read.photo.read() == PNG


def test_a_text_file_named_png_is_refused_and_nothing_stored(customer_client, register):
    fake = SimpleUploadedFile("zaehler.png", b"just some text, not an image", content_type="image/png")

    response = send(customer_client, register, "2900", photo=fake)

    assert verdict(response) == "rejected"
    assert "JPEG, PNG or HEIC" in response.content.decode()
    assert customer_reads(register) == []


# --- whose meter ----------------------------------------------------------------------------------------------------


def test_another_customers_register_is_not_found(customer_client):
    other = register_of(supplied(n=2))

    assert send(customer_client, other, "2900").status_code == 404
    assert send(customer_client, other, "2900", htmx=False).status_code == 404
    assert customer_reads(other) == []


def test_an_unknown_register_is_not_found(customer_client):
    assert customer_client.post(reverse("reads:send", args=[999999]), {}, **HTMX).status_code == 404


def test_another_customers_history_is_not_found(customer_client, agreement):
    other = supplied(n=2)

    assert customer_client.get(reverse("reads:history", args=[other.pk])).status_code == 404
    assert customer_client.get(reverse("reads:history", args=[agreement.pk])).status_code == 200


def test_a_supply_that_has_not_started_takes_no_reading(client):
    agreement = agreement_requested(account=AccountFactory(customer__language="en"), as_of=dt.date(2026, 6, 29))
    register = register_of(agreement)
    client.force_login(agreement.account.customer.user)
    client.cookies["portal_language"] = "en"

    page = client.get(READS).content.decode()
    assert "You can submit readings from that day on" in page
    assert 'data-testid="register-panel"' not in page

    response = send(client, register, "12345")
    assert verdict(response) == "refused"
    assert "starts on" in response.content.decode()
    plain = send(client, register, "12345", htmx=False, taken_on="")
    assert plain.status_code == 302
    assert "starts on" in client.get(plain["Location"]).content.decode()
    assert customer_reads(register) == []


def test_an_ended_supply_takes_no_reading(customer_client, agreement, register):
    ServiceAgreement.objects.filter(pk=agreement.pk).update(
        status=ServiceAgreement.Status.ENDED, end_date=dt.date(2026, 5, 31)
    )

    response = send(customer_client, register, "2900")

    assert verdict(response) == "refused"
    assert "This supply has ended" in response.content.decode()
    assert customer_reads(register) == []


# --- the verdict's wording -------------------------------------------------------------------------------------------


def test_a_duplicate_reading_is_thanked_for_once(customer_client, register):
    assert verdict(send(customer_client, register, "2800", taken_on="2026-06-20")) == "accepted"

    again = send(customer_client, register, "2800", taken_on="2026-06-20")

    assert verdict(again) == "accepted"
    assert "We have this reading already" in again.content.decode()
    assert len(customer_reads(register)) == 1


def test_a_suspect_verdict_without_a_range_says_only_that_it_is_unexpected(register):
    with translation.override("en"):
        shown = verdict_of(IntakeResult("SUSPECT", "why", None, None), register=register, value=Decimal(5))

    assert (shown.kind, shown.message, shown.reason) == ("suspect", "This reading is not what we expected.", "why")


# --- chart and history --------------------------------------------------------------------------------------------


def test_consumption_spreads_over_months_by_elapsed_time():
    boundaries = month_starts(2026)
    reads = [(at(2025, 12, 17), Decimal("0")), (at(2026, 1, 16), Decimal("300"))]  # 30 days, 10 a day

    spread = spread_by_month(reads=reads, digits=6, boundaries=boundaries)

    assert spread[11] == Decimal("150")  # 17 .. 31 December 2025 = 15 days
    assert spread[12] == Decimal("150")
    assert spread[:11] == [None] * 11
    assert spread[13:] == [None] * 11


def test_consumption_across_the_rollover_and_the_dst_change_is_spread_by_real_time():
    boundaries = month_starts(2026)
    # 00:00 on 29 March to 00:00 on 1 April 2026: 23 + 48 hours; the register passes 999999.
    reads = [(at(2026, 3, 29), Decimal("999990")), (at(2026, 4, 2), Decimal("85"))]

    spread = spread_by_month(reads=reads, digits=6, boundaries=boundaries)

    assert spread[14] == Decimal("95") * 71 / 95  # 71 of the 95 hours are in March
    assert spread[15] == Decimal("95") * 24 / 95


def five_years_of_daily_reads(register) -> None:
    daily_reads(register, first=dt.date(2021, 7, 1), days=1825, start=Decimal("1000"), per_day=Decimal("10"))


@pytest.fixture
def long_history():
    agreement = supplied(start_date=dt.date(2021, 7, 1), as_of=dt.date(2021, 7, 1))
    five_years_of_daily_reads(register_of(agreement))
    return agreement


def test_the_chart_shows_this_year_against_last_year_from_five_years_of_daily_reads(client, long_history):
    client.force_login(long_history.account.customer.user)
    client.cookies["portal_language"] = "en"

    response = client.get(READS)

    (chart,) = response.context["supplies"][0].charts
    assert (chart.this_year, chart.last_year, chart.unit) == (2026, 2025, "kWh")
    january, february, june, july = chart.months[0], chart.months[1], chart.months[5], chart.months[6]
    assert (january.this_year, january.last_year) == (Decimal("310"), Decimal("310"))
    assert (february.this_year, february.last_year) == (Decimal("280"), Decimal("280"))
    assert (june.this_year, june.last_year) == (Decimal("290"), Decimal("300"))  # read until 00:00 on 30 June
    assert (july.this_year, july.last_year) == (None, Decimal("310"))
    page = response.content.decode()
    assert "<title id=" in page and "<desc id=" in page
    assert 'role="img"' in page
    assert "style=" not in page
    table = re.search(r'data-testid="consumption-table">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"January</th>\s*<td[^>]*>310</td>\s*<td[^>]*>310</td>", table)
    assert re.search(r"July</th>\s*<td[^>]*>310</td>\s*<td[^>]*>—</td>", table)


def test_the_months_are_named_in_the_page_language(client, long_history):
    client.force_login(long_history.account.customer.user)
    client.cookies["portal_language"] = "de"

    response = client.get(READS)

    (chart,) = response.context["supplies"][0].charts
    assert [m.label for m in chart.months[:3]] == ["Jan", "Feb", "Mär"]
    assert chart.months[2].name == "März"


def test_the_page_stays_within_a_few_queries_with_five_years_of_daily_reads(
    client, long_history, django_assert_max_num_queries
):
    client.force_login(long_history.account.customer.user)
    client.get(READS)  # sessions, translations and templates warmed up

    with django_assert_max_num_queries(20):
        response = client.get(READS)

    assert response.status_code == 200
    supply = response.context["supplies"][0]
    assert len(supply.history) == HISTORY_LIMIT
    assert supply.has_more_history
    assert response.content.decode().count('data-testid="read-row"') == HISTORY_LIMIT
    assert reverse("reads:history", args=[long_history.pk]) in response.content.decode()


def test_the_whole_history_comes_page_by_page(client, long_history, django_assert_max_num_queries):
    client.force_login(long_history.account.customer.user)
    url = reverse("reads:history", args=[long_history.pk])
    client.get(url)

    with django_assert_max_num_queries(10):
        response = client.get(url, {"page": 2})

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="read-row"') == 100
    assert response.context["page"].paginator.count == 1826


def test_the_history_shows_source_and_status(customer_client, register):
    send(customer_client, register, "9000", confirm=True)

    page = customer_client.get(READS).content.decode()

    rows = re.findall(r'data-testid="read-row">(.*?)</tr>', page, re.S)
    assert len(rows) == 2
    assert "you" in rows[0] and "being checked" in rows[0]
    assert "operator" in rows[1] and "valid" in rows[1]


def test_reads_of_the_previous_customer_at_the_supply_point_are_not_shown(client):
    previous = supplied(start_date=dt.date(2025, 1, 1), start_read="500", as_of=dt.date(2025, 1, 1))
    register = register_of(previous)
    Read.objects.create(register=register, taken_at=at(2025, 6, 1), value=Decimal("777.5"), source="SMART")
    ServiceAgreement.objects.filter(pk=previous.pk).update(
        status=ServiceAgreement.Status.ENDED, end_date=dt.date(2025, 12, 31)
    )
    Read.objects.create(register=register, taken_at=at(2026, 1, 1), value=Decimal("1000"), source="SMART")
    account = AccountFactory(customer__language="en")
    successor = ServiceAgreement.objects.create(
        account=account,
        supply_point=previous.supply_point,
        tariff=previous.tariff,
        status=ServiceAgreement.Status.ACTIVE,
        start_reason="MOVE_IN",
        start_date=dt.date(2026, 1, 1),
        expected_annual_consumption=Decimal("3650"),
    )
    client.force_login(account.customer.user)

    response = client.get(READS)

    page = response.content.decode()
    assert "777.5" not in page and "777,5" not in page
    (supply,) = response.context["supplies"]
    assert supply.agreement == successor
    assert [row.read.value for row in supply.history] == [Decimal("1000")]


def test_gas_supplies_show_the_billing_factors(client):
    agreement = supplied(utility=Utility.GAS, start_read="100", annual="12000")
    GasConversionFactor.objects.create(
        supply_point=agreement.supply_point,
        valid_from=dt.date(2026, 1, 1),
        state_number=Decimal("0.9636"),
        calorific_value=Decimal("11.2"),
    )
    client.force_login(agreement.account.customer.user)
    client.cookies["portal_language"] = "en"

    page = client.get(READS).content.decode()

    factors = re.search(r'data-testid="gas-factors">(.*?)</p>', page, re.S).group(1)
    assert "0.9636" in factors and "11.2" in factors and "kWh/m³" in factors


def test_the_dashboard_offers_a_reading_for_each_supplied_metered_supply(customer_client, agreement):
    agreement_requested(account=agreement.account, n=3, as_of=dt.date(2026, 6, 29))

    page = customer_client.get(reverse("home")).content.decode()

    links = re.findall(r'href="([^"]+)" data-testid="submit-read"', page)
    assert links == [f"{READS}#supply-{agreement.pk}"]


def test_the_reading_before_last_january_counts_towards_january(client):
    agreement = supplied(start_date=dt.date(2024, 12, 15), as_of=dt.date(2024, 12, 15), start_read="0")
    register = register_of(agreement)
    Read.objects.create(register=register, taken_at=at(2025, 1, 15), value=Decimal("310"), source="SMART")
    client.force_login(agreement.account.customer.user)

    (chart,) = client.get(READS).context["supplies"][0].charts

    assert chart.months[0].last_year == Decimal("140")  # 14 of the 31 days from 15 December
    assert [m.last_year for m in chart.months[1:]] == [None] * 11


def test_the_registers_of_an_exchanged_meter_add_up(client):
    from meters.services import meter_install

    agreement = supplied(start_read="0", annual=None)
    old = register_of(agreement)
    Read.objects.create(register=old, taken_at=at(2026, 3, 1), value=Decimal("590"), source="SMART")
    old.meter.removed_on = dt.date(2026, 3, 1)
    old.meter.save()
    new = meter_install(supply_point=agreement.supply_point, serial="NEU-1", installed_on=dt.date(2026, 3, 1))
    new_register = new.registers.get()
    Read.objects.create(register=new_register, taken_at=at(2026, 3, 1), value=Decimal("0"), source="AGENT")
    Read.objects.create(register=new_register, taken_at=at(2026, 4, 1), value=Decimal("310"), source="SMART")
    client.force_login(agreement.account.customer.user)

    response = client.get(READS)

    (chart,) = response.context["supplies"][0].charts
    assert [m.this_year for m in chart.months[:4]] == [Decimal("310"), Decimal("280"), Decimal("310"), None]
    (panel,) = response.context["supplies"][0].panels
    assert panel.register == new_register


def test_without_javascript_a_suspect_reading_comes_back_in_the_form_to_confirm(customer_client, register):
    response = send(customer_client, register, "9,000", htmx=False)

    page = response.content.decode()
    assert verdict(response) == "suspect"
    assert f'name="r{register.pk}-value" value="9,000"' in page
    assert f'name="r{register.pk}-confirm_suspect" value="1"' in page
    assert customer_reads(register) == []
