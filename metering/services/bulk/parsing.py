"""Step 1, reading: the delivered rows are parsed in batches; one query a
batch finds the registers of its meter numbers; a row that cannot be read is
rejected with every reason, a good one joins its chain (supply point and
register code) and goes to the temporary table."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

from metering.services.bulk.rows import SOURCES, ReadRow, Tally
from metering.services.bulk.tables import StagedRow, Tables
from meters.models import Meter, Register

NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


class RowReader:
    """Parses the rows and numbers the chains in the order they first appear."""

    def __init__(self, *, tables: Tables, tally: Tally) -> None:
        self.tables = tables
        self.tally = tally
        # serial -> {obis: (register id, supply point id)}; None for an unknown meter
        self.meters: dict[str, dict[str, tuple[int, int]] | None] = {}
        self.obis_of: dict[int, str] = {}
        self.chain_of: dict[tuple[int, str], int] = {}
        # Per chain: (supply point id, obis), the first row's moment, the number of rows.
        self.chain_keys: list[tuple[int, str]] = []
        self.chain_first: list[dt.datetime] = []
        self.chain_rows: list[int] = []
        self.parsed_moments: dict[str, tuple[dt.datetime, str] | None] = {}

    def stage(self, batch: list[ReadRow]) -> None:
        self._meters_load({row.meter_serial.strip() for row in batch} - self.meters.keys())
        staged = [staged_row for staged_row in map(self._parse, batch) if staged_row is not None]
        self.tally.read += len(batch)
        if staged:
            self.tables.rows_write(staged)
        self.tally.report("reading")

    def _meters_load(self, serials: set[str]) -> None:
        serials.discard("")
        if not serials:
            return
        found: dict[str, dict[str, tuple[int, int]]] = {}
        ordered = sorted(serials)
        postgres, cursor = self.tables.postgres, self.tables.cursor
        size = 20_000 if postgres else 500
        for start in range(0, len(ordered), size):
            part = ordered[start : start + size]
            if postgres:
                # One array parameter: much faster to plan than a list of thousands.
                cursor.execute(
                    f"SELECT m.serial, m.supply_point_id, g.obis, g.id FROM {Meter._meta.db_table} m "  # noqa: S608
                    f"LEFT JOIN {Register._meta.db_table} g ON g.meter_id = m.id WHERE m.serial = ANY(%s)",
                    [part],
                )
                meters = cursor.fetchall()
            else:
                meters = Meter.objects.filter(serial__in=part).values_list(
                    "serial", "supply_point_id", "registers__obis", "registers__id"
                )
            for serial, supply_point_id, obis, register_id in meters:
                registers = found.setdefault(serial, {})
                if register_id is not None:
                    registers[obis] = (register_id, supply_point_id)
                    self.obis_of[register_id] = obis
        for serial in serials:
            self.meters[serial] = found.get(serial)

    def _parse(self, row: ReadRow) -> StagedRow | None:
        """(number, chain, register id, moment, value, source) of a good row."""
        number, serial, obis, read_at, value, source_name, problem = row
        if problem:
            self.tally.rejected_raw(row, problem)
            return None
        serial, obis, value = serial.strip(), obis.strip(), value.strip()
        registers = self.meters.get(serial)
        register = registers.get(obis) if registers else None
        moment = self.parsed_moments.get(read_at) or self._moment(read_at)
        source = SOURCES.get(source_name) or SOURCES.get(source_name.strip().lower())
        if register is None or moment is None or source is None or NUMBER.fullmatch(value) is None:
            self.tally.rejected_raw(row, _problems(row, registers, register, moment, value, source))
            return None
        register_id, supply_point_id = register
        taken_at, stored_moment = moment
        key = (supply_point_id, obis)
        chain = self.chain_of.get(key)
        if chain is None:
            chain = self.chain_of[key] = len(self.chain_keys)
            self.chain_keys.append(key)
            self.chain_first.append(taken_at)
            self.chain_rows.append(0)
        elif taken_at < self.chain_first[chain]:
            self.chain_first[chain] = taken_at
        self.chain_rows[chain] += 1
        return number, chain, register_id, stored_moment, value.replace(",", "."), source

    def _moment(self, text: str) -> tuple[dt.datetime, str] | None:
        """The aware moment and its form for the temporary table; a date or a
        date-time without offset is Berlin time."""
        try:
            moment = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tables.zone)
        if len(self.parsed_moments) >= 100_000:
            self.parsed_moments.clear()
        parsed = self.parsed_moments[text] = (moment, self.tables.moment_out(moment))
        return parsed


def _problems(row: ReadRow, registers, register, moment, value: str, source) -> str:
    """Every reason the row cannot be read, `column: message`, in the columns' order."""
    problems = []
    serial, obis = row.meter_serial.strip(), row.obis.strip()
    if not serial:
        problems.append("meter_serial: " + _("The meter number is missing."))
    elif registers is None:
        problems.append("meter_serial: " + _("There is no meter with the number “%(serial)s”.") % {"serial": serial})
    elif register is None:
        if not registers:
            problems.append("obis: " + _("Meter %(serial)s has no registers.") % {"serial": serial})
        else:
            problems.append(
                "obis: "
                + _("Meter %(serial)s has no register “%(obis)s” (it has %(registers)s).")
                % {"serial": serial, "obis": obis, "registers": ", ".join(sorted(registers))}
            )
    if moment is None:
        if row.read_at.strip():
            problems.append(
                "read_at: "
                + _("“%(value)s” is not an ISO 8601 date or date-time (e.g. 2026-01-31 or 2026-01-31T06:00:00+01:00).")
                % {"value": row.read_at.strip()}
            )
        else:
            problems.append("read_at: " + _("The date of the reading is missing."))
    if NUMBER.fullmatch(value) is None:
        if value:
            problems.append("value: " + _("“%(value)s” is not a number.") % {"value": value})
        else:
            problems.append("value: " + _("The reading is missing."))
    if source is None:
        problems.append(
            "source: "
            + _("“%(value)s” is not one of %(sources)s.") % {"value": row.source.strip(), "sources": ", ".join(SOURCES)}
        )
    return "; ".join(problems)
