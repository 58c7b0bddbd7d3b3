"""The one clock. Services take `as_of`; interfaces ask this module for it."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """The current aware datetime."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in the portal's time zone (Europe/Berlin)."""
    return timezone.localdate()
