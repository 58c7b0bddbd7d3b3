import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction

from core.models import OutboxMessage
from meters.models import Premise, Read, SupplyPoint
from supply import tasks
from supply.models import ServiceAgreement
from supply.services import agreements
from supply.services.agreements import TRANSITIONS, IllegalTransition
from tests.accounts.factories import AccountFactory
from tests.supply.factories import agreement_confirmed, agreement_requested, market_location_id, pdf_text, tariff_make

pytestmark = pytest.mark.django_db

Status = ServiceAgreement.Status
START = dt.date(2026, 12, 1)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Attachments are stored as files; keep them out of var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def today_before_the_start():
    with time_machine.travel(dt.datetime(2026, 11, 27, 10, 0, tzinfo=BERLIN), tick=False):
        yield


@pytest.fixture
def tariff():
    return tariff_make(
        code="STROM-FIX",
        name_de="Strom Fix 24",
        name_en="Electricity Fixed 24",
        standing_charge_per_year="119.88",
        unit_prices={"*": "0.285000"},
    )


# --- Which agreements the daily run activates ------------------------------------------


def test_confirmed_agreements_whose_start_date_has_come_are_activated(tariff):
    due_today = agreement_confirmed(tariff=tariff, n=1, start_date=START)
    due_earlier = agreement_confirmed(tariff=tariff, n=2, start_date=START - dt.timedelta(days=3))
    tomorrow = agreement_confirmed(tariff=tariff, n=3, start_date=START + dt.timedelta(days=1))
    requested = agreement_requested(tariff=tariff, n=4, start_date=START)

    activated = agreements.agreements_activate_due(as_of=START)

    assert activated == [due_earlier.pk, due_today.pk]
    statuses = dict(ServiceAgreement.objects.values_list("pk", "status"))
    assert statuses == {
        due_today.pk: Status.ACTIVE,
        due_earlier.pk: Status.ACTIVE,
        tomorrow.pk: Status.CONFIRMED,
        requested.pk: Status.REQUESTED,
    }
    assert ServiceAgreement.objects.get(pk=due_today.pk).activated_at is not None


def test_running_the_activation_twice_activates_once_and_sends_one_welcome_mail(
    tariff, django_capture_on_commit_callbacks
):
    agreement = agreement_confirmed(tariff=tariff, start_date=START)

    with django_capture_on_commit_callbacks(execute=True):
        first = agreements.agreements_activate_due(as_of=START)
    with django_capture_on_commit_callbacks(execute=True):
        second = agreements.agreements_activate_due(as_of=START)

    assert first == [agreement.pk]
    assert second == []
    welcome = OutboxMessage.objects.get(template="supply_welcome")
    assert welcome.attachments.count() == 1
    sent = [message for message in mail.outbox if message.extra_headers["X-Portal-Message"] == str(welcome.pk)]
    assert len(sent) == 1
    ((filename, content, content_type),) = sent[0].attachments
    assert (filename, content_type) == (f"contract-{agreement.pk}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Strom Fix 24 (STROM-FIX)" in text
    assert "0,2850 €" in text and "0,3392 €" in text  # price per kWh net / gross (19 %)
    assert "119,88 €" in text and "142,66 €" in text  # standing charge per year net / gross
    assert "19 %" in text


def test_the_welcome_mail_and_summary_are_in_the_customers_language(tariff, django_capture_on_commit_callbacks):
    account = AccountFactory(customer__language="en")
    agreement = agreement_confirmed(tariff=tariff, account=account, start_date=START)

    with django_capture_on_commit_callbacks(execute=True):
        agreements.agreement_activate(agreement_id=agreement.pk, as_of=START)

    welcome = OutboxMessage.objects.get(template="supply_welcome")
    assert welcome.language == "en"
    assert welcome.subject == "Welcome: your Electricity supply starts on 12/01/2026"
    assert "Electricity Fixed 24 (STROM-FIX)" in welcome.body
    with welcome.attachments.get().file.open("rb") as handle:
        text = pdf_text(handle.read())
    assert "Electricity Fixed 24" in text
    assert "€0.2850" in text and "€0.3392" in text


def test_the_start_reads_are_recorded_at_midnight_in_berlin_on_the_start_date(tariff):
    agreement = agreement_confirmed(
        tariff=tariff,
        start_date=START,
        start_reads={"1-0:1.8.1": Decimal("1200.5"), "1-0:1.8.2": Decimal("310")},
    )

    agreements.agreements_activate_due(as_of=START)
    agreements.agreements_activate_due(as_of=START)

    reads = Read.objects.filter(register__meter__supply_point=agreement.supply_point).order_by("register__obis")
    assert [(read.register.obis, read.value) for read in reads] == [
        ("1-0:1.8.1", Decimal("1200.500")),
        ("1-0:1.8.2", Decimal("310.000")),
    ]
    for read in reads:
        assert read.taken_at == dt.datetime(2026, 12, 1, 0, 0, tzinfo=BERLIN)
        assert read.source == Read.Source.CUSTOMER


def test_an_agreement_cannot_be_activated_before_its_start_date(tariff):
    agreement = agreement_confirmed(tariff=tariff, start_date=START)

    with pytest.raises(IllegalTransition):
        agreements.agreement_activate(agreement_id=agreement.pk, as_of=START - dt.timedelta(days=1))

    agreement.refresh_from_db()
    assert agreement.status == Status.CONFIRMED
    assert not Read.objects.exists()


def test_the_celery_task_activates_due_agreements(tariff):
    agreement = agreement_confirmed(tariff=tariff, start_date=START)

    with time_machine.travel(dt.datetime(2026, 12, 1, 0, 30, tzinfo=BERLIN), tick=False):
        result = tasks.activate_due_agreements.delay()

    assert result.get() == [agreement.pk]
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE


def test_the_celery_task_before_the_start_date_activates_nothing(tariff):
    agreement = agreement_confirmed(tariff=tariff, start_date=START)

    with time_machine.travel(dt.datetime(2026, 11, 30, 23, 59, tzinfo=BERLIN), tick=False):
        result = tasks.activate_due_agreements.delay()

    assert result.get() == []
    agreement.refresh_from_db()
    assert agreement.status == Status.CONFIRMED


# --- The state machine ---------------------------------------------------------------------

ALL_STATES = list(Status)


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(ALL_STATES, ALL_STATES)), ids=lambda status: str(status)
)
def test_every_transition_in_the_table_is_allowed_and_every_other_is_illegal(current, target):
    agreement = ServiceAgreement(status=current)

    if target in TRANSITIONS[current]:
        agreements._transition(agreement, target)
        assert agreement.status == target
    else:
        with pytest.raises(IllegalTransition) as error:
            agreements._transition(agreement, target)
        assert agreement.status == current
        assert str(Status(current).label) in str(error.value)


def test_the_table_names_every_state():
    assert set(TRANSITIONS) == set(Status)
    assert all(targets <= set(Status) for targets in TRANSITIONS.values())
    assert TRANSITIONS[Status.ENDED] == TRANSITIONS[Status.REJECTED] == TRANSITIONS[Status.CANCELLED] == set()


def _in_state(status: str, tariff) -> ServiceAgreement:
    agreement = agreement_requested(tariff=tariff, start_date=START)
    ServiceAgreement.objects.filter(pk=agreement.pk).update(status=status)
    agreement.refresh_from_db()
    return agreement


SERVICES = {
    Status.CONFIRMED: lambda agreement: agreements.agreement_confirm(agreement=agreement),
    Status.REJECTED: lambda agreement: agreements.agreement_reject(agreement=agreement, reason="No supply there."),
    Status.CANCELLED: lambda agreement: agreements.agreement_cancel(agreement=agreement),
    Status.ACTIVE: lambda agreement: agreements.agreement_activate(agreement_id=agreement.pk, as_of=START),
}
# The services that are asked for the state an agreement is in already answer with it unchanged.
IDEMPOTENT = {Status.CONFIRMED, Status.ACTIVE}


# ENDING -> ACTIVE (a termination withdrawn) belongs to the termination workflow, not to activation.
SERVICE_CASES = [
    (current, target)
    for current, target in itertools.product(ALL_STATES, SERVICES)
    if (current, target) != (Status.ENDING, Status.ACTIVE)
]


@pytest.mark.parametrize(("current", "target"), SERVICE_CASES, ids=lambda status: str(status))
def test_each_service_moves_an_agreement_only_along_the_table(current, target, tariff):
    agreement = _in_state(current, tariff)

    if target in TRANSITIONS[current] or (current == target and target in IDEMPOTENT):
        assert SERVICES[target](agreement).status == target
    else:
        with pytest.raises(IllegalTransition):
            SERVICES[target](agreement)
    agreement.refresh_from_db()
    expected = target if target in TRANSITIONS[current] or current == target else current
    assert agreement.status == expected


# --- Overlapping agreements are refused by the database -----------------------------------


@pytest.fixture
def supply_point():
    premise = Premise.objects.create(street="Lindenstraße", house_number="12", postcode="10969", city="Berlin")
    return SupplyPoint.objects.create(premise=premise, utility="ELECTRICITY", identifier=market_location_id(7))


def _create(supply_point, tariff, *, start, end=None, status=Status.ACTIVE) -> ServiceAgreement:
    return ServiceAgreement.objects.create(
        account=AccountFactory(),
        supply_point=supply_point,
        tariff=tariff,
        status=status,
        start_reason=ServiceAgreement.StartReason.MOVE_IN,
        start_date=start,
        end_date=end,
    )


def _refused(supply_point, tariff, **dates) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _create(supply_point, tariff, **dates)


def test_overlapping_agreements_on_one_supply_point_are_refused(supply_point, tariff):
    _create(supply_point, tariff, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))

    _refused(supply_point, tariff, start=dt.date(2026, 12, 31), end=dt.date(2027, 6, 30))
    _refused(supply_point, tariff, start=dt.date(2025, 6, 1), end=dt.date(2026, 1, 1))
    _refused(supply_point, tariff, start=dt.date(2026, 3, 1), end=dt.date(2026, 4, 1))
    _refused(supply_point, tariff, start=dt.date(2026, 6, 1))

    assert ServiceAgreement.objects.count() == 1


def test_an_open_ended_agreement_blocks_every_later_start(supply_point, tariff):
    _create(supply_point, tariff, start=dt.date(2026, 1, 1))

    _refused(supply_point, tariff, start=dt.date(2030, 1, 1), end=dt.date(2030, 12, 31))
    _refused(supply_point, tariff, start=dt.date(2025, 1, 1))
    _refused(supply_point, tariff, start=dt.date(2025, 1, 1), end=dt.date(2026, 1, 1))

    assert ServiceAgreement.objects.count() == 1


def test_consecutive_agreements_on_one_supply_point_are_allowed(supply_point, tariff):
    _create(supply_point, tariff, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    _create(supply_point, tariff, start=dt.date(2027, 1, 1), status=Status.REQUESTED)
    _create(supply_point, tariff, start=dt.date(2025, 1, 1), end=dt.date(2025, 12, 31), status=Status.ENDING)

    assert ServiceAgreement.objects.count() == 3


@pytest.mark.parametrize("status", [Status.REJECTED, Status.CANCELLED])
def test_a_rejected_or_cancelled_agreement_does_not_block_the_supply_point(supply_point, tariff, status):
    _create(supply_point, tariff, start=dt.date(2026, 1, 1), status=status)

    _create(supply_point, tariff, start=dt.date(2026, 1, 1), status=Status.REQUESTED)

    assert ServiceAgreement.objects.filter(status=Status.REQUESTED).count() == 1


def test_an_update_into_an_overlap_is_refused_too(supply_point, tariff):
    _create(supply_point, tariff, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    cancelled = _create(supply_point, tariff, start=dt.date(2026, 6, 1), status=Status.CANCELLED)

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceAgreement.objects.filter(pk=cancelled.pk).update(status=Status.REQUESTED)


def test_an_ended_agreement_keeps_its_time_on_the_supply_point(supply_point, tariff):
    _create(supply_point, tariff, start=dt.date(2026, 1, 1), end=dt.date(2026, 10, 31), status=Status.ENDED)

    _refused(supply_point, tariff, start=dt.date(2026, 10, 15), status=Status.REQUESTED)
    _create(supply_point, tariff, start=dt.date(2026, 11, 1), status=Status.REQUESTED)

    assert ServiceAgreement.objects.count() == 2
