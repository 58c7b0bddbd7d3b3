"""The onboarding bench: customers onboarded one by one through the service."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from schwifty import IBAN

from accounts.models import Account, Customer, CustomerType, PaymentMethod, SepaMandate
from accounts.services import OnboardingData, customer_onboard
from accounts.validation import BankAccount, check_iban
from core.models import OutboxMessage
from portal.bench.base import BenchContext, copy_baseline, deliveries_switched_off, tables_of

FIRST_NAMES = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas", "Lena", "Max", "Mia"]
LAST_NAMES = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"]
STREETS = ["Hauptstraße", "Schulstraße", "Gartenweg", "Bahnhofstraße", "Lindenallee", "Am Markt", "Kirchgasse"]
CITIES = [("10969", "Berlin"), ("80336", "München"), ("50667", "Köln"), ("20457", "Hamburg"), ("04109", "Leipzig")]
BANK_CODES = ["37040044", "10070000", "12030000", "50010517", "20041111", "70150000", "43060967", "76026000"]


def bank_accounts(rng: random.Random, count: int) -> list[BankAccount]:
    """`count` distinct German bank accounts that pass the portal's own IBAN check."""
    found: dict[str, BankAccount] = {}
    for _attempt in range(count * 200):
        if len(found) == count:
            break
        iban = IBAN.generate("DE", bank_code=rng.choice(BANK_CODES), account_code=f"{rng.randrange(10**10):010d}")
        try:
            account = check_iban(str(iban))
        except ValidationError:  # not every account number passes its bank's check-digit rule
            continue
        found[account.iban] = account
    if len(found) < count:
        raise RuntimeError("could not generate enough valid IBANs")
    return list(found.values())


def onboarding_data(count: int, seed: int) -> list[OnboardingData]:
    """`count` valid, distinct onboardings: 80% direct debit, 10% businesses, 30% English."""
    rng = random.Random(seed)  # noqa: S311 - repeatable test data, not secrets
    banks = bank_accounts(rng, 64)
    signed = dt.date(2026, 1, 2)
    result = []
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        business = rng.random() < 0.1
        sepa = rng.random() < 0.8
        bank = rng.choice(banks)
        postcode, city = rng.choice(CITIES)
        result.append(
            OnboardingData(
                customer_type=CustomerType.BUSINESS if business else CustomerType.HOUSEHOLD,
                first_name=first,
                last_name=last,
                company_name=f"{last} Bau GmbH" if business else "",
                vat_id=f"DE{rng.randrange(10**8, 10**9)}" if business else "",
                language="en" if rng.random() < 0.3 else "de",
                street=rng.choice(STREETS),
                house_number=str(rng.randint(1, 200)),
                address_extra="",
                postcode=postcode,
                city=city,
                country="DE",
                email=f"bench.{seed}.{index:07d}@example.com",
                phone=f"+4930{rng.randrange(10**6, 10**8)}",
                payment_method=PaymentMethod.SEPA if sepa else PaymentMethod.TRANSFER,
                account_holder=f"{first} {last}" if sepa else "",
                iban=bank.iban if sepa else "",
                bic=bank.bic if sepa else "",
                bank_name=bank.bank_name if sepa else "",
                mandate_reference=f"BENCH-{seed}-{index:07d}" if sepa else "",
                mandate_signed_date=signed,
            )
        )
    return result


def bench_onboarding(ctx: BenchContext) -> list[dict[str, Any]]:
    """Customers onboarded one by one through the service, each in its own
    committed transaction, as the wizard, the staff screen, the API and the
    CSV import do it."""
    customers = ctx.count(2000)
    data = onboarding_data(customers, ctx.seed)
    with deliveries_switched_off() as held:
        started = time.perf_counter()
        for item in data:
            customer_onboard(data=item)
        seconds = time.perf_counter() - started
    written = tables_of(
        Customer,
        Customer.history.model,
        Account,
        Account.history.model,
        SepaMandate,
        SepaMandate.history.model,
        OutboxMessage,
    )
    rows, copy_seconds = copy_baseline(written)
    return [
        {
            "bench": "onboarding",
            "database": connection.vendor,
            "customers": customers,
            "seconds": round(seconds, 3),
            "per_s": round(customers / seconds, 1),
            "rows": rows,
            "messages_recorded": OutboxMessage.objects.count(),
            "deliveries_suppressed": len(held),
            "copy_seconds": round(copy_seconds, 4),
            "copy_ratio": round(seconds / copy_seconds, 1) if copy_seconds else None,
        }
    ]
