"""What the interruption page tests share: supplies at a chosen postcode
(through the real supply import) and interruptions logged through the real
service."""

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.test import Client

from meters.models import Utility
from meters.services import PremiseData
from outages.models import Interruption
from outages.services import interruption_log
from supply.models import ServiceAgreement, Tariff
from supply.services.agreements import supply_import
from tests.accounts.factories import AccountFactory
from tests.supply.factories import request_for, tariff_make

NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def supply_at(n: int, *, postcode: str = "10969", street: str = "Lindenstraße", account=None, **customer):
    """An ACTIVE electricity supply since 2026 at `street` 12, `postcode` Berlin."""
    tariff = Tariff.objects.filter(code="STROM-BASIS").first() or tariff_make()
    names = {f"customer__{key}": value for key, value in customer.items()}
    return supply_import(
        account=account or AccountFactory(customer__language="en", **names),
        premise=PremiseData(street=street, house_number="12", postcode=postcode, city="Berlin"),
        request=request_for(tariff, n=n, start_date=dt.date(2026, 1, 1), start_reads={"1-0:1.8.0": Decimal("1000")}),
        as_of=dt.date(2026, 1, 1),
    )


def logged(
    *,
    postcodes=("10969",),
    planned: bool = False,
    start: dt.timedelta = dt.timedelta(hours=-1),
    hours: float | None = 2,
    utility: str = Utility.ELECTRICITY,
    supply_points=(),
    now: dt.datetime = NOW,
    **extra,
) -> Interruption:
    """An interruption logged `start` from now, expected to last `hours`."""
    started_at = now + start
    interruption, _created = interruption_log(
        utility=utility,
        planned=planned,
        cause="MAINTENANCE" if planned else "GRID_FAULT",
        postcodes=list(postcodes),
        supply_points=list(supply_points),
        started_at=started_at,
        expected_end_at=started_at + dt.timedelta(hours=hours) if hours is not None else None,
        source=Interruption.Source.AGENT,
        now=now,
        **extra,
    )
    return interruption


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def agreement_of(account) -> ServiceAgreement:
    return ServiceAgreement.objects.select_related("supply_point").get(account=account)
