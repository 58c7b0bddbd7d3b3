"""The one clock. Services take `as_of`; interfaces ask this module for it."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    """The current aware datetime."""
    return timezone.now()


def today() -> dt.date:
    """Today's date in the portal's time zone (Europe/Berlin)."""
    return timezone.localdate()


def start_of_day(day: dt.date) -> dt.datetime:
    """00:00 in the portal's time zone on `day`: a read dated D counts as taken then."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))
