"""Meter reads in bulk, the use cases: a CSV file (`manage.py import_reads`),
a file uploaded in the back-office and imported by a Celery task with its
progress recorded (ReadImportJob), and a JSON list (POST /api/v1/reads).
Every row is judged like a single read; metering.services.bulk holds the rules and
the work.

A CSV file names its columns in the header row (any order, other columns
ignored): meter_serial, obis, read_at (ISO 8601 date or date-time; a date
means 00:00 Europe/Berlin, a date-time without offset is Berlin time), value
and source (smart | operator | customer | agent). Delimiter "," ";" or tab;
UTF-8 with or without byte order mark, or UTF-16 with one.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from celery import shared_task
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from core import clock
from core.csvfiles import default_encoding, header_read
from metering.models import ReadImportJob
from metering.services.bulk import COLUMNS, ReadCounts, ReadImportResult, ReadRow, RejectedRow, reads_check_and_store

REPORT_COLUMNS = ("line", "reason", *COLUMNS)
MAX_API_ITEMS = 10_000


class ReadFileError(Exception):
    """The file as a whole cannot be imported (unreadable, not CSV, a column
    missing); nothing was stored."""


# --- CSV ---------------------------------------------------------------------------


def csv_rows(*, stream: IO[bytes], name: str, encoding: str | None = None) -> Iterator[ReadRow]:
    """The rows of a CSV file, streamed. The header is checked at once (a
    missing column raises ReadFileError before any row is read); a file that
    turns out not to be CSV text raises ReadFileError while it is read.

    Delimiter "," ";" or tab; UTF-8 with or without byte order mark, or
    UTF-16 with one, unless `encoding` names another."""
    text, encoding, delimiter, header = _csv_open(stream=stream, name=name, encoding=encoding)
    return _csv_data_rows(text=text, name=name, encoding=encoding, delimiter=delimiter, header=header)


def csv_header_check(*, stream: IO[bytes], name: str) -> None:
    """Raise ReadFileError when the file cannot be imported as a whole (not
    text, a column missing); the stream is left open at its start."""
    text, _encoding, _delimiter, _header = _csv_open(stream=stream, name=name, encoding=None)
    text.detach()
    stream.seek(0)


def _csv_open(*, stream: IO[bytes], name: str, encoding: str | None) -> tuple[io.TextIOWrapper, str, str, list[str]]:
    head = stream.read(4)
    stream.seek(0)
    if encoding is None:
        encoding = default_encoding(head)
    try:
        codecs.lookup(encoding)
    except LookupError as error:
        raise ReadFileError(_("Unknown encoding: %(encoding)s.") % {"encoding": encoding}) from error
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        first_line = text.readline()
    except UnicodeDecodeError as error:
        raise _not_text(name, encoding) from error
    if "\x00" in first_line:
        raise _not_text(name, encoding)
    if not first_line.strip():
        raise ReadFileError(_("%(name)s is empty or has no header row.") % {"name": name})
    delimiter, header = header_read(first_line, columns=COLUMNS)
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise ReadFileError(
            _("%(name)s lacks required columns: %(missing)s. The header must name: %(columns)s.")
            % {"name": name, "missing": ", ".join(missing), "columns": ", ".join(COLUMNS)}
        )
    repeated = sorted({column for column in COLUMNS if header.count(column) > 1})
    if repeated:
        raise ReadFileError(
            _("%(name)s names these columns more than once: %(repeated)s.")
            % {"name": name, "repeated": ", ".join(repeated)}
        )
    return text, encoding, delimiter, header


def _csv_data_rows(*, text: IO[str], name: str, encoding: str, delimiter: str, header: list[str]) -> Iterator[ReadRow]:
    columns = itemgetter(*(header.index(column) for column in COLUMNS))
    width = len(header)
    # Strict: a quote left open or stray text after a quoted cell make the file invalid, not a row.
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    last_line = 1
    try:
        for cells in reader:
            line = last_line + 1
            last_line = reader.line_num + 1
            if len(cells) == width:
                yield ReadRow(line, *columns(cells))
            elif any(cell.strip() for cell in cells):
                yield ReadRow(
                    line,
                    problem=_("The row has %(found)d cells but the header has %(expected)d.")
                    % {"found": len(cells), "expected": width},
                )
    except UnicodeDecodeError as error:
        raise _not_text(name, encoding) from error
    except csv.Error as error:
        raise ReadFileError(
            _("%(name)s is not valid CSV near line %(line)d: %(error)s")
            % {"name": name, "line": last_line + 1, "error": error}
        ) from error


def _not_text(name: str, encoding: str) -> ReadFileError:
    shown = "UTF-8" if encoding == "utf-8-sig" else encoding
    return ReadFileError(
        _("%(name)s is not %(encoding)s text. Save it as “CSV UTF-8” or name its encoding.")
        % {"name": name, "encoding": shown}
    )


def report_write(*, rejections: Iterable[RejectedRow], stream: IO[str]) -> None:
    """The rejected rows as CSV: line, reason and the row's values."""
    writer = csv.writer(stream)
    writer.writerow(REPORT_COLUMNS)
    for rejected in rejections:
        writer.writerow(rejected.report_row())


# --- The use cases ---------------------------------------------------------------


def reads_import_csv(
    *, path: Path, now: dt.datetime, report_path: Path | None = None, encoding: str | None = None
) -> tuple[ReadImportResult, Path]:
    """Import a CSV file and write the report of rejected rows (to
    `<file>.rejected.csv` unless `report_path` names another)."""
    report_path = report_path or path.with_name(path.name + ".rejected.csv")
    try:
        stream = path.open("rb")
    except OSError as error:
        raise ReadFileError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror or error}
        ) from error
    with stream:
        result = reads_check_and_store(rows=csv_rows(stream=stream, name=str(path), encoding=encoding), now=now)
    with report_path.open("w", encoding="utf-8", newline="") as report:
        report_write(rejections=result.rejections, stream=report)
    return result, report_path


def reads_import_items(*, items: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """The API's use case: every item's {"index", "status", "reason"}."""
    rows = [ReadRow(index, *(_text(item.get(column)) for column in COLUMNS)) for index, item in enumerate(items)]
    results = reads_check_and_store(rows=rows, now=now, keep_items=True).items or {}
    return [{"index": index, "status": results[index][0], "reason": results[index][1]} for index in range(len(rows))]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def read_import_job_create(*, upload: UploadedFile, created_by: Any) -> ReadImportJob:
    """Keep a copy of the uploaded file and import it in the background."""
    name = Path(upload.name or "reads.csv").name
    job = ReadImportJob(file_name=name[:255], created_by=created_by)
    job.file.save(name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: import_reads_job.delay(job.pk))
    return job


def read_import_job_run(*, job_id: int, now: dt.datetime) -> ReadImportJob:
    """Run a queued job; a job that another worker took already is left alone."""
    claimed = ReadImportJob.objects.filter(pk=job_id, status=ReadImportJob.Status.QUEUED).update(
        status=ReadImportJob.Status.READING, started_at=clock.now()
    )
    job = ReadImportJob.objects.get(pk=job_id)
    if not claimed:
        return job
    jobs = ReadImportJob.objects.filter(pk=job_id)

    def record(stage: str, read: int, checked: int, counts: ReadCounts) -> None:
        jobs.update(
            status=_JOB_STAGE[stage],
            read_rows=read,
            checked_rows=checked,
            accepted=counts.accepted,
            suspect=counts.suspect,
            rejected=counts.rejected,
            duplicate=counts.duplicate,
        )

    try:
        with job.file.open("rb") as stream:
            jobs.update(total_rows=sum(1 for _row in csv_rows(stream=stream, name=job.file_name)))
        with job.file.open("rb") as stream:
            result = reads_check_and_store(rows=csv_rows(stream=stream, name=job.file_name), now=now, progress=record)
    except ReadFileError as error:
        jobs.update(status=ReadImportJob.Status.FAILED, error=str(error), finished_at=clock.now())
        return ReadImportJob.objects.get(pk=job_id)
    report = io.StringIO()
    report_write(rejections=result.rejections, stream=report)
    job = ReadImportJob.objects.get(pk=job_id)
    job.report.save(
        f"{Path(job.file_name).stem}.rejected.csv", ContentFile(report.getvalue().encode("utf-8")), save=False
    )
    counts = result.counts
    job.status = ReadImportJob.Status.FINISHED
    job.accepted, job.suspect, job.rejected, job.duplicate = (
        counts.accepted,
        counts.suspect,
        counts.rejected,
        counts.duplicate,
    )
    job.total_rows = job.read_rows = job.checked_rows = counts.rows
    job.finished_at = clock.now()
    job.save()
    return job


def read_import_job_fail(*, job_id: int, error: str) -> None:
    """Record that the job's task stopped on an unexpected error."""
    ReadImportJob.objects.filter(pk=job_id).exclude(status__in=ReadImportJob.DONE_STATES).update(
        status=ReadImportJob.Status.FAILED, error=error, finished_at=clock.now()
    )


@shared_task(name="metering.tasks.import_reads_job")
def import_reads_job(job_id: int) -> None:
    """Import a CSV file of reads uploaded in the back-office (a second run does nothing)."""
    try:
        read_import_job_run(job_id=job_id, now=clock.now())
    except Exception as error:
        read_import_job_fail(job_id=job_id, error=str(error))
        raise


_JOB_STAGE = {
    "reading": ReadImportJob.Status.READING,
    "checking": ReadImportJob.Status.CHECKING,
    "saving": ReadImportJob.Status.SAVING,
}
