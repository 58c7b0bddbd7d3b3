import datetime as dt
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from core.models import OutboxMessage
from metering.services.intake import (
    PHOTO_MAX_BYTES,
    RegisterNotFound,
    ReviewRefused,
    expected_range,
    read_submit,
    review_accept,
    review_correct,
    review_reject,
)
from meters.models import Meter, PlausibilityBand, Read, ReadReview, Register, Utility
from meters.profiles import profile_use_between
from meters.readings import Verdict
from meters.services import meter_install
from supply.models import ServiceAgreement, Tariff
from supply.services.agreements import supply_import
from tests.accounts.factories import AccountFactory, UserFactory
from tests.supply.factories import PREMISE, agreement_requested, request_for, tariff_make

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 6, 30, 12, tzinfo=BERLIN)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HEIC = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64


def at(year, month, day, hour=0, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def supplied(*, annual="3650", start_read="1000", n=1, account=None) -> ServiceAgreement:
    """An ACTIVE electricity supply from 1 January 2026 with its start read."""
    tariff = Tariff.objects.filter(code="STROM-BASIS").first() or tariff_make()
    request = request_for(
        tariff,
        n=n,
        start_date=dt.date(2026, 1, 1),
        start_reads={"1-0:1.8.0": Decimal(start_read)},
        expected_annual_consumption=Decimal(annual) if annual else None,
    )
    return supply_import(
        account=account or AccountFactory(), premise=PREMISE, request=request, as_of=dt.date(2026, 1, 1)
    )


def register_of(agreement: ServiceAgreement) -> Register:
    return Register.objects.get(meter__supply_point=agreement.supply_point, meter__removed_on__isnull=True)


def submit(register, taken_at, value, *, source=Read.Source.CUSTOMER, **options):
    return read_submit(register=register, taken_at=taken_at, value=Decimal(value), source=source, now=NOW, **options)


def profile_range(previous: Decimal, start_at, end_at, annual="3650") -> tuple[Decimal, Decimal]:
    use = profile_use_between(annual=Decimal(annual), start_at=start_at, end_at=end_at)
    low = (use * Decimal("0.75")).quantize(Decimal("0.001"), ROUND_CEILING)
    high = (use * Decimal("1.5")).quantize(Decimal("0.001"), ROUND_FLOOR)
    return previous + low, previous + high


@pytest.fixture
def agreement() -> ServiceAgreement:
    return supplied()


@pytest.fixture
def register(agreement) -> Register:
    return register_of(agreement)


@pytest.fixture
def agent():
    return UserFactory(email="agent@example.com")


def add_read(register, taken_at, value, *, source=Read.Source.SMART, quality=Read.Quality.VALID) -> Read:
    return Read.objects.create(
        register=register, taken_at=taken_at, value=Decimal(value), source=source, quality=quality
    )


# --- checks against the previous read, history and profile --------------------------------------------------------


def test_without_history_the_range_comes_from_the_profile_and_the_agreements_yearly_consumption(register):
    low, high = profile_range(Decimal("1000"), at(2026, 1, 1), at(2026, 1, 31))

    assert expected_range(register=register, on=at(2026, 1, 31)) == (low, high)
    assert submit(register, at(2026, 1, 31), low).verdict == Verdict.ACCEPTED
    assert submit(register, at(2026, 1, 31, 0, 1), high).verdict == Verdict.SUSPECT  # a minute later: a new range


@pytest.mark.parametrize(
    ("offset", "verdict"),
    [("0", Verdict.ACCEPTED), ("-0.001", Verdict.SUSPECT), ("-1", Verdict.SUSPECT)],
    ids=["on-edge", "a-step-below", "a-unit-below"],
)
def test_the_lower_profile_edge_is_plausible_and_anything_below_is_suspect(register, offset, verdict):
    low, _high = profile_range(Decimal("1000"), at(2026, 1, 1), at(2026, 1, 31))

    result = submit(register, at(2026, 1, 31), low + Decimal(offset))

    assert result.verdict == verdict


@pytest.mark.parametrize(
    ("offset", "verdict"),
    [("0", Verdict.ACCEPTED), ("0.001", Verdict.SUSPECT), ("1", Verdict.SUSPECT)],
    ids=["on-edge", "a-step-above", "a-unit-above"],
)
def test_the_upper_profile_edge_is_plausible_and_anything_above_is_suspect(register, offset, verdict):
    _low, high = profile_range(Decimal("1000"), at(2026, 1, 1), at(2026, 1, 31))

    result = submit(register, at(2026, 1, 31), high + Decimal(offset))

    assert result.verdict == verdict


@pytest.mark.parametrize(
    ("value", "verdict"),
    [
        ("1524", Verdict.SUSPECT),
        ("1524.999", Verdict.SUSPECT),
        ("1525", Verdict.ACCEPTED),
        ("1750", Verdict.ACCEPTED),
        ("1750.001", Verdict.SUSPECT),
        ("1751", Verdict.SUSPECT),
    ],
)
def test_with_history_the_range_comes_from_the_average_daily_use(register, value, verdict):
    add_read(register, at(2026, 1, 31), "1300")  # 10 a day since the start read

    # 30 more days: 300 expected, 225 .. 450.
    assert expected_range(register=register, on=at(2026, 3, 2)) == (Decimal("1525"), Decimal("1750"))
    assert submit(register, at(2026, 3, 2), value).verdict == verdict


def test_the_band_is_the_utilitys_configured_one(register):
    add_read(register, at(2026, 1, 31), "1300")
    PlausibilityBand.objects.create(utility=Utility.ELECTRICITY, lower_percent=10, upper_percent=20)

    assert expected_range(register=register, on=at(2026, 3, 2)) == (Decimal("1570"), Decimal("1660"))
    assert submit(register, at(2026, 3, 2), "1661").verdict == Verdict.SUSPECT


def test_an_accepted_read_is_stored_valid(register):
    result = submit(register, at(2026, 1, 31), "1300")

    assert result.verdict == Verdict.ACCEPTED
    assert result.reason == ""
    assert result.read.pk is not None
    stored = Read.objects.get(pk=result.read.pk)
    assert (stored.value, stored.source, stored.quality, stored.rollover) == (
        Decimal("1300"),
        Read.Source.CUSTOMER,
        Read.Quality.VALID,
        False,
    )


def test_a_suspect_read_is_not_stored_until_the_customer_confirms_it(register):
    before = Read.objects.count()

    asked = submit(register, at(2026, 1, 31), "5000")

    assert (asked.verdict, asked.read) == (Verdict.SUSPECT, None)
    assert asked.reason
    assert asked.check.consumption == Decimal("4000")
    assert Read.objects.count() == before

    confirmed = submit(register, at(2026, 1, 31), "5000", confirm_suspect=True)

    assert confirmed.verdict == Verdict.SUSPECT
    stored = Read.objects.get(pk=confirmed.read.pk)
    assert (stored.quality, stored.reason) == (Read.Quality.SUSPECT, asked.reason)
    assert Read.objects.count() == before + 1


def test_a_decreasing_read_is_refused_and_nothing_stored(register):
    with translation.override("en"):
        result = submit(register, at(2026, 1, 31), "999")

    assert (result.verdict, result.read) == (Verdict.REJECTED, None)
    assert result.reason == "The reading is lower than the previous reading (1,000 on 01/01/2026)."
    assert Read.objects.filter(source=Read.Source.CUSTOMER).count() == 0


def test_a_rollover_is_accepted_and_kept_as_such():
    register = register_of(supplied(annual=None, start_read="99999"))
    register.digits = 5
    register.save()

    result = submit(register, at(2026, 1, 2), "12")

    assert result.verdict == Verdict.ACCEPTED
    assert result.check.consumption == Decimal("13")
    assert Read.objects.get(pk=result.read.pk).rollover is True


def test_a_read_in_the_future_is_refused(register):
    result = read_submit(
        register=register, taken_at=NOW + dt.timedelta(seconds=1), value=Decimal("1300"), source="CUSTOMER", now=NOW
    )

    assert (result.verdict, result.read) == (Verdict.REJECTED, None)


def test_a_read_higher_than_a_later_read_is_refused(register):
    add_read(register, at(2026, 3, 1), "1500")

    with translation.override("en"):
        result = submit(register, at(2026, 2, 1), "1600")

    assert result.verdict == Verdict.REJECTED
    assert result.reason == "The reading is higher than the later reading (1,500 on 03/01/2026)."
    assert submit(register, at(2026, 2, 1), "1350").verdict == Verdict.ACCEPTED


def test_without_expectation_any_higher_read_is_accepted():
    register = register_of(supplied(annual=None))

    assert expected_range(register=register, on=at(2026, 1, 31)) is None
    assert submit(register, at(2026, 1, 31), "90000").verdict == Verdict.ACCEPTED


# --- meter exchange ---------------------------------------------------------------------------------------------


def exchange(agreement: ServiceAgreement, *, on: dt.date) -> Register:
    Meter.objects.filter(supply_point=agreement.supply_point).update(removed_on=on)
    new = meter_install(supply_point=agreement.supply_point, serial="1NEW0000001", installed_on=on)
    return new.registers.get()


def test_after_a_meter_exchange_the_old_meters_reads_are_not_compared(agreement, register):
    add_read(register, at(2026, 2, 1), "1300")
    new_register = exchange(agreement, on=dt.date(2026, 3, 1))

    assert expected_range(register=new_register, on=at(2026, 3, 15)) is None
    first = submit(new_register, at(2026, 3, 15), "5")
    second = submit(new_register, at(2026, 3, 20), "4")

    assert first.verdict == Verdict.ACCEPTED
    assert first.check.consumption is None
    # The new meter's own reads are compared again.
    assert second.verdict == Verdict.REJECTED


def test_a_removed_meter_takes_no_reads_after_its_removal(agreement, register):
    exchange(agreement, on=dt.date(2026, 3, 1))

    with translation.override("en"):
        result = submit(register, at(2026, 3, 2), "1700")

    assert result.verdict == Verdict.REJECTED
    assert result.reason == "Meter 1ESY00000001 was not installed on 03/02/2026."
    assert submit(register, at(2026, 3, 1), "1700").verdict == Verdict.ACCEPTED


# --- whose supply -----------------------------------------------------------------------------------------------


def test_a_read_before_the_supply_starts_is_refused(register):
    with translation.override("en"):
        result = submit(register, at(2025, 12, 31, 23, 59), "999")

    assert (result.verdict, result.read) == (Verdict.REJECTED, None)
    assert result.reason == "We do not supply this meter on 12/31/2025."


@pytest.mark.parametrize("status", [ServiceAgreement.Status.ENDED, ServiceAgreement.Status.CANCELLED])
def test_a_supply_that_is_not_active_takes_no_reads(agreement, register, status):
    ServiceAgreement.objects.filter(pk=agreement.pk).update(status=status)

    result = submit(register, at(2026, 1, 31), "1300")

    assert (result.verdict, result.read) == (Verdict.REJECTED, None)
    assert not Read.objects.filter(source=Read.Source.CUSTOMER).exists()


def test_a_requested_supply_takes_no_reads():
    agreement = agreement_requested()
    register = register_of(agreement)

    result = read_submit(
        register=register,
        taken_at=at(2026, 12, 5),
        value=Decimal("1300"),
        source=Read.Source.CUSTOMER,
        now=at(2026, 12, 6),
    )

    assert result.verdict == Verdict.REJECTED


def test_an_ending_supply_takes_reads_until_midnight_after_its_end_date(agreement, register):
    ServiceAgreement.objects.filter(pk=agreement.pk).update(
        status=ServiceAgreement.Status.ENDING, end_date=dt.date(2026, 3, 31)
    )

    final = submit(register, at(2026, 4, 1), "1900")
    late = submit(register, at(2026, 4, 1, 0, 1), "1901")

    assert final.verdict == Verdict.ACCEPTED
    assert late.verdict == Verdict.REJECTED


def test_a_customer_cannot_submit_for_another_customers_meter(register):
    other = supplied(n=2)

    with pytest.raises(RegisterNotFound):
        submit(register, at(2026, 1, 31), "1300", customer=other.account.customer)
    assert not Read.objects.filter(source=Read.Source.CUSTOMER).exists()


def test_a_customer_submits_for_their_own_meter(agreement, register):
    result = submit(register, at(2026, 1, 31), "1300", customer=agreement.account.customer)

    assert result.verdict == Verdict.ACCEPTED


def test_a_former_customer_cannot_submit_for_the_next_customers_time(agreement, register):
    ServiceAgreement.objects.filter(pk=agreement.pk).update(
        status=ServiceAgreement.Status.ENDED, end_date=dt.date(2026, 2, 28)
    )
    successor = ServiceAgreement.objects.create(
        account=AccountFactory(),
        supply_point=agreement.supply_point,
        tariff=agreement.tariff,
        status=ServiceAgreement.Status.ACTIVE,
        start_reason=ServiceAgreement.StartReason.MOVE_IN,
        start_date=dt.date(2026, 3, 1),
    )

    former = submit(register, at(2026, 3, 15), "1800", customer=agreement.account.customer)
    current = submit(register, at(2026, 3, 15), "1800", customer=successor.account.customer)

    assert former.verdict == Verdict.REJECTED
    assert current.verdict == Verdict.ACCEPTED


# --- duplicates, sources, photos --------------------------------------------------------------------------------


def test_the_same_read_twice_is_stored_once(register):
    first = submit(register, at(2026, 1, 31), "1300")
    second = submit(register, at(2026, 1, 31), "1300")

    assert second.duplicate is True
    assert (second.verdict, second.read) == (Verdict.ACCEPTED, first.read)
    assert Read.objects.filter(source=Read.Source.CUSTOMER).count() == 1


def test_a_different_value_for_the_same_moment_and_source_is_refused(register):
    submit(register, at(2026, 1, 31), "1300")

    result = submit(register, at(2026, 1, 31), "1301")

    assert (result.verdict, result.read, result.duplicate) == (Verdict.REJECTED, None, True)
    assert Read.objects.get(source=Read.Source.CUSTOMER).value == Decimal("1300")


def test_the_same_moment_from_another_source_is_a_read_of_its_own(register):
    submit(register, at(2026, 1, 31), "1300")

    result = submit(register, at(2026, 1, 31), "1300", source=Read.Source.SMART)

    assert (result.verdict, result.duplicate) == (Verdict.ACCEPTED, False)
    assert Read.objects.filter(taken_at=at(2026, 1, 31)).count() == 2


@pytest.mark.parametrize("source", ["ESTIMATED", "smart", ""])
def test_estimates_and_unknown_sources_are_refused(register, source):
    result = submit(register, at(2026, 1, 31), "1300", source=source)

    assert (result.verdict, result.read) == (Verdict.REJECTED, None)


@pytest.mark.parametrize(("content", "extension"), [(PNG, "png"), (JPEG, "jpg"), (HEIC, "heic")])
def test_a_photo_is_kept_under_a_name_of_our_own(register, settings, tmp_path, content, extension):
    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("Zähler Müller.bin", content, content_type="application/octet-stream")

    result = submit(register, at(2026, 1, 31), "1300", photo=photo)

    stored = Read.objects.get(pk=result.read.pk)
    assert stored.photo.name.startswith("reads/")
    assert stored.photo.name.endswith(f".{extension}")
    assert "Müller" not in stored.photo.name
    assert stored.photo.read() == content


@pytest.mark.parametrize(
    "photo",
    [
        SimpleUploadedFile("meter.jpg", b"GIF89a not a photo", content_type="image/jpeg"),
        SimpleUploadedFile("meter.png", b"<svg onload=alert(1)>", content_type="image/png"),
        SimpleUploadedFile("big.jpg", JPEG + b"\x00" * PHOTO_MAX_BYTES, content_type="image/jpeg"),
    ],
    ids=["gif-named-jpg", "svg-named-png", "too-large"],
)
def test_a_file_that_is_not_a_photo_of_acceptable_size_is_refused(register, settings, tmp_path, photo):
    settings.MEDIA_ROOT = tmp_path

    with translation.override("en"):
        result = submit(register, at(2026, 1, 31), "1300", photo=photo)

    assert (result.verdict, result.read) == (Verdict.REJECTED, None)
    assert result.reason == "The photo must be a JPEG, PNG or HEIC image of at most 10 MB."
    assert not Read.objects.filter(source=Read.Source.CUSTOMER).exists()
    assert not any(tmp_path.iterdir())


# --- the agents' review ---------------------------------------------------------------------------------------


@pytest.fixture
def suspect(register) -> Read:
    result = submit(register, at(2026, 1, 31), "5000", confirm_suspect=True)
    assert result.read.quality == Read.Quality.SUSPECT
    return result.read


def test_an_agent_accepts_a_suspect_read(suspect, agent):
    review = review_accept(read=suspect, agent=agent)

    suspect.refresh_from_db()
    assert suspect.quality == Read.Quality.VALID
    assert (review.decision, review.decided_by, review.value_before) == (
        ReadReview.Decision.ACCEPTED,
        agent,
        Decimal("5000"),
    )
    assert review.decided_at is not None


def test_a_read_is_decided_once(suspect, agent):
    review_accept(read=suspect, agent=agent)

    with pytest.raises(ReviewRefused):
        review_reject(read=suspect, agent=agent, reason="Zu hoch")
    assert ReadReview.objects.count() == 1


def test_an_agent_rejects_a_suspect_read_and_the_customer_is_told(agreement, suspect, agent):
    review = review_reject(read=suspect, agent=agent, reason="  Der Zählerstand passt nicht zum Foto.  ")

    suspect.refresh_from_db()
    assert (suspect.quality, suspect.reason) == (Read.Quality.REJECTED, "Der Zählerstand passt nicht zum Foto.")
    assert (review.decision, review.reason) == (ReadReview.Decision.REJECTED, "Der Zählerstand passt nicht zum Foto.")
    message = OutboxMessage.objects.get(template="read_rejected")
    customer = agreement.account.customer
    assert message.to_address == customer.email
    assert message.language == customer.language == "de"
    assert "1ESY00000001" in message.subject
    assert "Der Zählerstand passt nicht zum Foto." in message.body
    assert "31.01.2026" in message.body
    assert agreement.account.number in message.body


def test_the_rejection_mail_is_in_the_customers_language(agreement, suspect, agent):
    customer = agreement.account.customer
    customer.language = "en"
    customer.save()

    review_reject(read=suspect, agent=agent, reason="The photo shows 1,500.")

    message = OutboxMessage.objects.get(template="read_rejected")
    assert message.subject == "We could not use your meter reading (meter 1ESY00000001)"
    assert "01/31/2026" in message.body


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_a_rejection_needs_a_reason_of_reasonable_length(suspect, agent, reason):
    with pytest.raises(ReviewRefused):
        review_reject(read=suspect, agent=agent, reason=reason)

    suspect.refresh_from_db()
    assert suspect.quality == Read.Quality.SUSPECT
    assert not ReadReview.objects.exists()
    assert not OutboxMessage.objects.filter(template="read_rejected").exists()


def test_an_agent_corrects_a_suspect_read(register, suspect, agent):
    review = review_correct(read=suspect, agent=agent, value=Decimal("1350"))

    suspect.refresh_from_db()
    corrected = review.corrected_read
    assert suspect.quality == Read.Quality.REJECTED
    assert suspect.value == Decimal("5000")
    assert (corrected.source, corrected.quality, corrected.value, corrected.taken_at) == (
        Read.Source.AGENT,
        Read.Quality.VALID,
        Decimal("1350"),
        suspect.taken_at,
    )
    assert (review.decision, review.value_before, review.decided_by) == (
        ReadReview.Decision.CORRECTED,
        Decimal("5000"),
        agent,
    )


def test_an_agents_own_suspect_read_is_corrected_in_place_and_its_old_value_kept(register, agent):
    read = submit(register, at(2026, 1, 31), "5000", source=Read.Source.AGENT, confirm_suspect=True).read

    review = review_correct(read=read, agent=agent, value=Decimal("1350"))

    read.refresh_from_db()
    assert review.corrected_read == read
    assert (read.value, read.quality) == (Decimal("1350"), Read.Quality.VALID)
    assert review.value_before == Decimal("5000")


def test_a_correction_that_cannot_be_right_is_refused(suspect, agent):
    with translation.override("en"), pytest.raises(ReviewRefused, match="lower than the previous reading"):
        review_correct(read=suspect, agent=agent, value=Decimal("999"))

    suspect.refresh_from_db()
    assert suspect.quality == Read.Quality.SUSPECT
    assert not ReadReview.objects.exists()
    assert not Read.objects.filter(source=Read.Source.AGENT).exists()


def test_every_decision_is_kept(register, agent):
    reads = [
        submit(register, at(2026, 1, d), value, confirm_suspect=True).read
        for d, value in ((10, "3000"), (20, "6000"), (31, "9000"))
    ]

    review_accept(read=reads[0], agent=agent)
    review_reject(read=reads[1], agent=agent, reason="Tippfehler")
    review_correct(read=reads[2], agent=None, value=Decimal("9100"))

    decisions = list(ReadReview.objects.order_by("id").values_list("read_id", "decision", "decided_by_id"))
    assert decisions == [
        (reads[0].pk, ReadReview.Decision.ACCEPTED, agent.pk),
        (reads[1].pk, ReadReview.Decision.REJECTED, agent.pk),
        (reads[2].pk, ReadReview.Decision.CORRECTED, None),
    ]
