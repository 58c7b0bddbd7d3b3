"""The chains a chunk of rows is checked against, loaded with three set-based
queries: per chain (a register code at a supply point) its utility and
supplying agreements, and its registers on the supply point's meters, old and
new, each with the last counted actual read before the chain's first row and
its history (the first and last valid actual read of the year before)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, localcontext
from functools import lru_cache

from core import clock
from metering.services.bulk.tables import CHAINS_TABLE, Tables, date_in, decimal_in
from metering.services.intake import SUPPLYING_STATES
from meters.models import Meter, Read, Register, SupplyPoint
from meters.profiles import PRECISION
from meters.readings import COUNTED_QUALITIES, HISTORY_MIN_DAYS, MICROSECONDS_PER_DAY
from supply.models import ServiceAgreement

ONE_MICROSECOND = dt.timedelta(microseconds=1)
ESTIMATED = Read.Source.ESTIMATED
VALID = Read.Quality.VALID


@dataclass(slots=True)
class ChainRegister:
    """A register of a chain, with its history: the valid actual reads from a
    year before the chain's first row."""

    id: int
    meter_id: int
    serial: str
    digits: int
    installed_from: dt.datetime
    removed_until: dt.datetime | None
    first: tuple[dt.datetime, Decimal] | None = None
    last: tuple[dt.datetime, Decimal] | None = None
    reads: int = 0
    wraps: int = 0
    daily: Decimal | None = None
    daily_known: bool = False
    # Stored counted actual reads from the chain's first row on, in time order.
    later: list[tuple[dt.datetime, Decimal]] | None = None
    later_index: int = 0

    def remember(self, taken_at: dt.datetime, value: Decimal) -> None:
        """A valid actual read before the one being checked joins the history."""
        if self.last is not None and value < self.last[1]:
            self.wraps += 1
        if self.first is None:
            self.first = (taken_at, value)
        self.last = (taken_at, value)
        self.reads += 1
        self.daily_known = False

    def daily_use(self) -> Decimal | None:
        """meters.readings.expected_daily_use over the remembered history."""
        if not self.daily_known:
            self.daily_known = True
            self.daily = None
            if self.reads >= 2:
                # meters.readings.elapsed_days, for moments that are all in UTC here.
                days = Decimal((self.last[0] - self.first[0]) // ONE_MICROSECOND) / MICROSECONDS_PER_DAY
                if days >= HISTORY_MIN_DAYS:
                    total = self.last[1] - self.first[1] + self.wraps * Decimal(10) ** self.digits
                    with localcontext(prec=PRECISION):
                        self.daily = total / days
        return self.daily

    def later_add(self, taken_at: dt.datetime, value: Decimal) -> None:
        if self.later is None:
            self.later = []
        self.later.append((taken_at, value))

    def next_later(self, taken_at: dt.datetime) -> tuple[dt.datetime, Decimal] | None:
        later, index = self.later, self.later_index
        if later is None:
            return None
        while index < len(later) and later[index][0] <= taken_at:
            index += 1
        self.later_index = index
        return later[index] if index < len(later) else None


@dataclass(frozen=True)
class ChainAgreement:
    supplies_from: dt.datetime
    supplies_until: dt.datetime | None
    annual: Decimal | None


@dataclass
class Chain:
    utility: str
    # The newest agreement first, as the single read looks them up.
    agreements: list[ChainAgreement]
    registers: dict[int, ChainRegister]
    # The previous counted actual read: (taken_at, value, meter id, read id).
    previous: tuple[dt.datetime, Decimal, int, int] | None = None

    def agreement_at(self, taken_at: dt.datetime) -> ChainAgreement | None:
        """The agreement supplying the chain's supply point at `taken_at`: from
        00:00 of its start date to 00:00 of the day after its end date."""
        for agreement in self.agreements:
            if agreement.supplies_from <= taken_at and (
                agreement.supplies_until is None or taken_at <= agreement.supplies_until
            ):
                return agreement
        return None


def chains_load(tables: Tables, first: int, last: int) -> dict[int, Chain]:
    """The chains numbered `first` to `last` (see the module's description)."""
    registers, previous = _registers_load(tables, first, last)
    utilities, agreements = _agreements_load(tables, first, last)
    return {
        chain: Chain(
            utility=utility,
            agreements=agreements[chain],
            registers=registers.get(chain, {}),
            previous=previous.get(chain),
        )
        for chain, utility in utilities.items()
    }


def _registers_load(
    tables: Tables, first: int, last: int
) -> tuple[dict[int, dict[int, ChainRegister]], dict[int, tuple[dt.datetime, Decimal, int, int]]]:
    """Per chain its registers by id, and the newest of their last counted actual reads."""
    reads = Read._meta.db_table
    text, decimal = tables.text, tables.decimal
    last_counted = (
        f"SELECT r.id FROM {reads} r WHERE r.register_id = g.id AND r.taken_at < c.from_at "  # noqa: S608
        "AND r.quality IN (%s, %s) AND r.source <> %s ORDER BY r.taken_at DESC, r.id DESC LIMIT 1"
    )
    history = (
        f"SELECT r.id FROM {reads} r WHERE r.register_id = g.id AND r.taken_at >= c.window_from "  # noqa: S608
        "AND r.taken_at < c.from_at AND r.quality = %s AND r.source <> %s ORDER BY r.taken_at {order}, "
        "r.id {order} LIMIT 1"
    )
    tables.cursor.execute(
        f"SELECT c.chain, g.id, g.meter_id, g.digits, m.serial, m.installed_on, m.removed_on, "  # noqa: S608
        f"{text('p.taken_at')}, {decimal('p.value')}, p.id, "
        f"{text('f.taken_at')}, {decimal('f.value')}, f.id, "
        f"{text('l.taken_at')}, {decimal('l.value')}, l.id "
        f"FROM {CHAINS_TABLE} c "
        f"JOIN {Meter._meta.db_table} m ON m.supply_point_id = c.supply_point_id "
        f"JOIN {Register._meta.db_table} g ON g.meter_id = m.id AND g.obis = c.obis "
        f"LEFT JOIN {reads} p ON p.id = ({last_counted}) "
        f"LEFT JOIN {reads} f ON f.id = ({history.format(order='ASC')}) "
        f"LEFT JOIN {reads} l ON l.id = ({history.format(order='DESC')}) "
        "WHERE c.chain BETWEEN %s AND %s",
        [*COUNTED_QUALITIES, ESTIMATED, VALID, ESTIMATED, VALID, ESTIMATED, first, last],
    )
    registers: dict[int, dict[int, ChainRegister]] = {}
    previous: dict[int, tuple[dt.datetime, Decimal, int, int]] = {}
    for row in tables.cursor.fetchall():
        chain = row[0]
        register = _register_of(tables, row)
        registers.setdefault(chain, {})[register.id] = register
        p_at, p_value, p_id = row[7:10]
        if p_id is not None:
            candidate = (tables.moment_in(p_at), decimal_in(p_value), register.meter_id, p_id)
            known = previous.get(chain)
            if known is None or (candidate[0], candidate[3]) > (known[0], known[3]):
                previous[chain] = candidate
    return registers, previous


def _register_of(tables: Tables, row: tuple) -> ChainRegister:
    """A register from a row of `_registers_load`'s query, with its history."""
    _chain, register_id, meter_id, digits, serial, installed_on, removed_on = row[:7]
    f_at, f_value, f_id, l_at, l_value, l_id = row[10:]
    register = ChainRegister(
        id=register_id,
        meter_id=meter_id,
        serial=serial,
        digits=digits,
        installed_from=_start_of_day(date_in(installed_on)),
        removed_until=_start_of_day(date_in(removed_on) + dt.timedelta(days=1)) if removed_on else None,
    )
    if f_id is not None:
        register.first = (tables.moment_in(f_at), decimal_in(f_value))
        register.last = (tables.moment_in(l_at), decimal_in(l_value))
        register.reads = 1 if f_id == l_id else 2
        # At most one rollover a year: a last value below the first means one.
        register.wraps = 1 if register.last[1] < register.first[1] else 0
    return register


def _agreements_load(tables: Tables, first: int, last: int) -> tuple[dict[int, str], dict[int, list[ChainAgreement]]]:
    """Per chain its utility and the ACTIVE or ENDING agreements of its supply point, newest first."""
    tables.cursor.execute(
        f"SELECT c.chain, s.utility, a.id, a.start_date, a.end_date, "  # noqa: S608
        f"{tables.decimal('a.expected_annual_consumption')} "
        f"FROM {CHAINS_TABLE} c JOIN {SupplyPoint._meta.db_table} s ON s.id = c.supply_point_id "
        f"LEFT JOIN {ServiceAgreement._meta.db_table} a ON a.supply_point_id = c.supply_point_id "
        "AND a.status IN (%s, %s) WHERE c.chain BETWEEN %s AND %s",
        [*SUPPLYING_STATES, first, last],
    )
    found: dict[int, list[tuple]] = {}
    utilities: dict[int, str] = {}
    for chain, utility, agreement_id, start_date, end_date, annual in tables.cursor.fetchall():
        utilities[chain] = utility
        agreements = found.setdefault(chain, [])
        if agreement_id is not None:
            agreements.append((date_in(start_date), agreement_id, date_in(end_date) if end_date else None, annual))
    return utilities, {
        chain: [
            ChainAgreement(
                supplies_from=_start_of_day(start_date),
                supplies_until=_start_of_day(end_date + dt.timedelta(days=1)) if end_date else None,
                annual=decimal_in(annual) if annual is not None else None,
            )
            for start_date, _id, end_date, annual in sorted(agreements, key=lambda item: item[:2], reverse=True)
        ]
        for chain, agreements in found.items()
    }


@lru_cache(maxsize=4096)
def _start_of_day(day: dt.date) -> dt.datetime:
    return clock.start_of_day(day)
