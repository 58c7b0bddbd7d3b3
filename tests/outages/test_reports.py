import pytest

from outages.models import NoSupplyReport
from outages.services import InterruptionRefused, no_supply_report
from support.models import Ticket
from tests.outages.factories import at, interruption_make, supply_at

pytestmark = pytest.mark.django_db


def test_a_report_in_an_area_with_an_open_interruption_is_linked_to_it():
    agreement = supply_at(1, postcode="10115")
    interruption = interruption_make(postcodes=["10115"], started_at=at(2026, 6, 10, 8))

    report = no_supply_report(
        account=agreement.account, supply_point=agreement.supply_point, note="Lights out", now=at(2026, 6, 10, 9)
    )

    assert report.interruption == interruption
    assert report.ticket_reference == ""
    assert not Ticket.objects.exists()


def test_a_report_nothing_explains_becomes_a_ticket_in_the_operations_queue():
    agreement = supply_at(1, postcode="10115")
    interruption_make(postcodes=["20095"], started_at=at(2026, 6, 10, 8))
    interruption_make(postcodes=["10115"], started_at=at(2026, 6, 9, 8), ended_at=at(2026, 6, 9, 9))

    report = no_supply_report(
        account=agreement.account, supply_point=agreement.supply_point, note="No power", now=at(2026, 6, 10, 9)
    )

    ticket = Ticket.objects.get()
    assert report.interruption is None
    assert report.ticket_reference == ticket.reference
    assert (ticket.queue.code, ticket.account, ticket.customer) == (
        "OPERATIONS",
        agreement.account,
        agreement.account.customer,
    )
    assert "No power" in ticket.messages.get().body


def test_another_accounts_supply_point_is_refused():
    mine = supply_at(1, postcode="10115")
    theirs = supply_at(2, postcode="10115")

    with pytest.raises(InterruptionRefused):
        no_supply_report(account=mine.account, supply_point=theirs.supply_point, now=at(2026, 6, 10, 9))
    assert not NoSupplyReport.objects.exists()
