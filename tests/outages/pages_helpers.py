"""What the interruption page tests share: a named customer's supply at a
chosen postcode and interruptions logged relative to the frozen now."""

import datetime as dt

from django.conf import settings
from django.test import Client

from meters.models import Utility
from outages.models import Interruption
from supply.models import ServiceAgreement
from tests.accounts.factories import AccountFactory
from tests.outages.factories import interruption_make, supply_at

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def customer_supply(n: int, *, postcode: str, **customer) -> ServiceAgreement:
    """An ACTIVE electricity supply at Hauptstraße `n`, `postcode` Berlin, of a customer with these details."""
    names = {f"customer__{key}": value for key, value in customer.items()}
    return supply_at(n, postcode=postcode, account=AccountFactory(customer__language="en", **names))


def logged(
    *,
    postcodes=("10969",),
    planned: bool = False,
    start: dt.timedelta = dt.timedelta(hours=-1),
    hours: float | None = 2,
    utility: str = Utility.ELECTRICITY,
    supply_points=(),
    now: dt.datetime = NOW,
) -> Interruption:
    """An interruption logged `start` from now, expected to last `hours`."""
    started_at = now + start
    return interruption_make(
        utility=utility,
        planned=planned,
        cause="MAINTENANCE" if planned else "GRID_FAULT",
        postcodes=list(postcodes),
        supply_points=list(supply_points),
        started_at=started_at,
        expected_end_at=started_at + dt.timedelta(hours=hours) if hours is not None else None,
        now=now,
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def agreement_of(account) -> ServiceAgreement:
    return ServiceAgreement.objects.select_related("supply_point").get(account=account)
