"""Interruptions: logging and updating them, who they affect, telling those
customers, closing them (fees and compensation), and customers' "no supply"
reports. Every service is keyword-only, runs in one transaction and is safe
to call twice.

Published names (stable):

- `interruption_log(*, utility, planned, cause, started_at, expected_end_at=None, ended_at=None,
  postcodes=(), supply_points=(), reference=None, description="", source, by=None, account=None,
  supply_point=None, now) -> tuple[Interruption, bool]`
  records an interruption (created=False: the same `reference` was logged before, nothing changes),
  computes the customers affected and notifies them (unplanned: "logged", or "restored" when it
  has ended; planned: "announced" when it starts within OUTAGE_PLANNED_NOTICE_DAYS).
  `utility` is a meters.Utility value, `cause` a Cause or its code. Raises InterruptionRefused.
- `interruption_update(*, interruption, status=None, note="", expected_end_at=UNSET, ended_at=UNSET,
  started_at=UNSET, postcodes=UNSET, supply_points=UNSET, cause=UNSET, by=None, now) -> Interruption`
  a timeline entry; an `ended_at` makes it RESTORED. Affected customers are recomputed and the
  notices due are sent (each customer once per event). Raises InterruptionRefused.
- `interruption_close(*, interruption, by=None, as_of) -> CloseResult`
  an ended interruption's fees and compensation booked to the accounts affected (once; closing
  again after an edit books only the difference). Raises InterruptionRefused when it has not ended.
- `affected_refresh(*, interruption) -> int`: recompute the snapshot of supply points affected;
  returns customers_affected (supply points).
- `planned_notices_send(*, now) -> int`: announce the planned interruptions starting within the
  lead time (the hourly beat task); the number of notices sent.
- `no_supply_report(*, account, supply_point, note="", now) -> NoSupplyReport`
  links the open interruption that explains it, else files a ticket in the OPERATIONS queue.
- `disconnection_interruption_record(*, order, event, on, by=None) -> Interruption | None` and
  `meter_exchange_interruption_record(*, order, by=None) -> Interruption | None`: the
  customer-specific interruptions (arrears' and orders' signals call them).
- Exceptions: InterruptionRefused(message, field=...).
- UNSET: the "not given" marker of interruption_update.

Reads are in outages.queries (public list, per customer, reliability figures).
"""

from outages.services.affected import affected_refresh
from outages.services.customer import disconnection_interruption_record, meter_exchange_interruption_record
from outages.services.fees import CloseResult, interruption_close
from outages.services.interruptions import UNSET, InterruptionRefused, interruption_log, interruption_update
from outages.services.notices import planned_notices_send
from outages.services.reports import no_supply_report

__all__ = [
    "UNSET",
    "CloseResult",
    "InterruptionRefused",
    "affected_refresh",
    "disconnection_interruption_record",
    "interruption_close",
    "interruption_log",
    "interruption_update",
    "meter_exchange_interruption_record",
    "no_supply_report",
    "planned_notices_send",
]
