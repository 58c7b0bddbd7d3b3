"""Gap-free counters: account numbers, invoice series, ticket references."""

from django.db import transaction

from core.models import NumberSequence


def sequence_take(*, name: str, count: int = 1, start: int = 1) -> int:
    """The first of `count` consecutive values of the counter `name` (created
    at `start`), taken under a row lock in the caller's transaction, so a
    rollback gives them back and the series has no gaps."""
    with transaction.atomic():
        sequence, _created = NumberSequence.objects.select_for_update().get_or_create(
            name=name, defaults={"next_value": start}
        )
        first = sequence.next_value
        sequence.next_value = first + count
        sequence.save(update_fields=["next_value"])
    return first
