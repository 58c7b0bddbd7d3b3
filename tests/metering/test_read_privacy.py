"""Reads belong to the customer who was supplied when they were taken."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from core import clock
from meters.models import Read
from supply.models import ServiceAgreement
from supply.queries import supply_point_taken
from supply.services.agreements import agreement_reject
from tests.accounts.factories import AccountFactory
from tests.meters.factories import register_of
from tests.supply.factories import agreement_requested, market_location_id, supplied

pytestmark = pytest.mark.django_db


def test_a_rejected_request_shows_none_of_the_later_tenants_reads(client):
    rejected = agreement_requested(n=7, start_date=dt.date(2026, 12, 1))
    agreement_reject(agreement=rejected, reason="Wrong meter")
    ServiceAgreement.objects.filter(pk=rejected.pk).update(start_date=dt.date(2026, 1, 1))
    tenant = supplied(n=7, start_date=dt.date(2026, 2, 1), start_read="1777.123")
    assert register_of(tenant).reads.filter(value=Decimal("1777.123")).exists()
    client.force_login(rejected.account.customer.user)

    response = client.get(reverse("reads:history", args=[rejected.pk]))

    assert response.status_code == 404


def test_a_backdated_request_may_not_reach_into_the_previous_tenants_time():
    previous = supplied(n=8, start_date=dt.date(2026, 1, 1))
    ServiceAgreement.objects.filter(pk=previous.pk).update(
        status=ServiceAgreement.Status.ENDED, end_date=dt.date(2026, 10, 31)
    )
    identifier = market_location_id(8)

    assert supply_point_taken(utility="ELECTRICITY", identifier=identifier, start_date=dt.date(2026, 10, 15))
    assert not supply_point_taken(utility="ELECTRICITY", identifier=identifier, start_date=dt.date(2026, 11, 1))


def test_the_previous_tenants_reads_stay_out_of_a_new_tenants_history(client):
    previous = supplied(n=9, start_date=dt.date(2026, 1, 1))
    Read.objects.create(
        register=register_of(previous),
        taken_at=clock.start_of_day(dt.date(2026, 6, 1)),
        value=Decimal("1555.321"),
        source=Read.Source.CUSTOMER,
    )
    ServiceAgreement.objects.filter(pk=previous.pk).update(
        status=ServiceAgreement.Status.ENDED, end_date=dt.date(2026, 10, 31)
    )
    newcomer = supplied(n=9, account=AccountFactory(customer__email="new@example.com"), start_date=dt.date(2026, 11, 1))
    client.force_login(newcomer.account.customer.user)

    response = client.get(reverse("reads:history", args=[newcomer.pk]))

    assert response.status_code == 200
    assert "1555" not in response.content.decode()
