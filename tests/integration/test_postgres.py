"""Real PostgreSQL (DATABASE_URL=postgres://…): row locks keep numbers unique under concurrency."""

import threading

import pytest
from django.db import connections

from accounts.services import account_number_next
from core.checkdigits import luhn_is_valid
from core.models import NumberSequence

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

THREADS = 6
NUMBERS_PER_THREAD = 25


def test_the_database_is_postgresql(postgres):
    with postgres.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        (version,) = cursor.fetchone()
    assert postgres.vendor == "postgresql"
    assert int(version) >= 150000
    assert postgres.settings_dict["NAME"].startswith("test_")


def take_numbers_concurrently() -> list[str]:
    """Every thread has its own connection, waits at the barrier, then draws numbers."""
    barrier = threading.Barrier(THREADS)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def draw():
        try:
            barrier.wait(timeout=30)
            mine = [account_number_next() for _ in range(NUMBERS_PER_THREAD)]
            with lock:
                numbers.extend(mine)
        except Exception as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=draw) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (lock never released?)"
    assert errors == []
    return numbers


@pytest.mark.parametrize("sequence_exists", [True, False], ids=["existing-sequence", "first-use"])
def test_account_numbers_are_unique_and_gap_free_across_concurrent_transactions(postgres, settings, sequence_exists):
    start = settings.ACCOUNT_NUMBER_START
    if sequence_exists:
        NumberSequence.objects.create(name="account", next_value=start)

    numbers = take_numbers_concurrently()

    total = THREADS * NUMBERS_PER_THREAD
    assert len(numbers) == total
    assert len(set(numbers)) == total
    assert all(luhn_is_valid(number) for number in numbers)
    assert sorted(int(number[:-1]) for number in numbers) == list(range(start, start + total))
    assert NumberSequence.objects.get(name="account").next_value == start + total
