"""The rows of a bulk import as delivered, and what became of them: counts,
rejections with their reasons and, when asked for, every row's status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.translation import gettext as _

from meters.models import Read

COLUMNS = ("meter_serial", "obis", "read_at", "value", "source")
SOURCES = {
    "smart": Read.Source.SMART,
    "operator": Read.Source.OPERATOR,
    "customer": Read.Source.CUSTOMER,
    "agent": Read.Source.AGENT,
}
ACCEPTED, SUSPECT, REJECTED, DUPLICATE = "accepted", "suspect", "rejected", "duplicate"
STATUS_OF_QUALITY = {Read.Quality.VALID: ACCEPTED, Read.Quality.SUSPECT: SUSPECT}


class ReadRow(NamedTuple):
    """One read as delivered: `number` is the file's line (the header is
    line 1) or the API item's index; `problem` rejects a malformed row."""

    number: int
    meter_serial: str = ""
    obis: str = ""
    read_at: str = ""
    value: str = ""
    source: str = ""
    problem: str = ""


@dataclass(frozen=True)
class RejectedRow:
    number: int
    reason: str
    meter_serial: str
    obis: str
    read_at: str
    value: str
    source: str

    def report_row(self) -> list[str]:
        return [str(self.number), self.reason, self.meter_serial, self.obis, self.read_at, self.value, self.source]


@dataclass
class ReadCounts:
    accepted: int = 0
    suspect: int = 0
    rejected: int = 0
    duplicate: int = 0

    @property
    def rows(self) -> int:
        return self.accepted + self.suspect + self.rejected + self.duplicate

    def summary(self) -> str:
        return _("accepted %(accepted)d, suspect %(suspect)d, rejected %(rejected)d, duplicate %(duplicate)d") % {
            "accepted": self.accepted,
            "suspect": self.suspect,
            "rejected": self.rejected,
            "duplicate": self.duplicate,
        }


@dataclass
class ReadImportResult:
    counts: ReadCounts
    # Sorted by number.
    rejections: list[RejectedRow]
    # number -> (status, reason) for every row, when asked for.
    items: dict[int, tuple[str, str]] | None = None


# stage ("reading", "checking", "saving"), rows read, rows checked, counts so far
Progress = Callable[[str, int, int, ReadCounts], None]


@dataclass
class Tally:
    """What became of the rows so far, reported to `progress` after each step's part."""

    progress: Progress | None
    # number -> (status, reason), kept only when the caller asks for every row's status.
    items: dict[int, tuple[str, str]] | None
    counts: ReadCounts = field(default_factory=ReadCounts)
    rejections: list[RejectedRow] = field(default_factory=list)
    read: int = 0
    checked: int = 0

    def rejected(self, rejected: RejectedRow) -> None:
        self.counts.rejected += 1
        self.rejections.append(rejected)
        if self.items is not None:
            self.items[rejected.number] = (REJECTED, rejected.reason)

    def rejected_raw(self, row: ReadRow, reason: str) -> None:
        self.rejected(RejectedRow(row.number, reason, row.meter_serial, row.obis, row.read_at, row.value, row.source))

    def duplicate(self, number: int, reason: str) -> None:
        self.counts.duplicate += 1
        if self.items is not None:
            self.items[number] = (DUPLICATE, reason)

    def kept(self, number: int, status: str, reason: str) -> None:
        """An ACCEPTED or SUSPECT row to store."""
        if self.items is not None:
            self.items[number] = (status, reason)
        if status == ACCEPTED:
            self.counts.accepted += 1
        else:
            self.counts.suspect += 1

    def lost(self, lost: list[tuple[int, str]]) -> None:
        """Rows another writer stored since they were checked are duplicates."""
        for number, quality in lost:
            if STATUS_OF_QUALITY[quality] == ACCEPTED:
                self.counts.accepted -= 1
            else:
                self.counts.suspect -= 1
            self.duplicate(number, "")

    def report(self, stage: str) -> None:
        if self.progress is not None:
            self.progress(stage, self.read, self.checked, self.counts)

    def result(self) -> ReadImportResult:
        self.rejections.sort(key=lambda rejected: rejected.number)
        return ReadImportResult(counts=self.counts, rejections=self.rejections, items=self.items)
