import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.files import File
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from metering.models import ReadImportJob
from metering.services import bulk as read_bulk
from metering.services.bulk import ReadRow, reads_check_and_store
from metering.services.imports import ReadFileError, read_import_job_run, reads_import_csv
from metering.services.intake import read_submit
from metering.tasks import import_reads_job
from meters.models import Meter, Read, Register
from meters.readings import Verdict
from meters.services import meter_install
from supply.models import ServiceAgreement
from tests.metering.factories import NOW, OBIS, csv_write, plausible, report_rows, serial
from tests.meters.factories import at
from tests.supply.factories import supplied

pytestmark = pytest.mark.django_db

FEB, MAR, APR = at(2026, 2, 1), at(2026, 3, 1), at(2026, 4, 1)
HEADER_WITHOUT_SOURCE = ["meter_serial", "obis", "read_at", "value"]


def row(n: int, moment: dt.datetime | str, value, source: str = "smart", obis: str = OBIS) -> list[str]:
    read_at = moment if isinstance(moment, str) else moment.isoformat()
    return [serial(n), obis, read_at, str(value), source]


def imported(tmp_path, rows, **options):
    path = csv_write(tmp_path / "reads.csv", rows, **options)
    with translation.override("en"):
        return reads_import_csv(path=path, now=NOW)


def counts(result) -> tuple[int, int, int, int]:
    c = result.counts
    return c.accepted, c.suspect, c.rejected, c.duplicate


def reads_from_file() -> list[tuple]:
    return list(
        Read.objects.exclude(taken_at=at(2026, 1, 1), source=Read.Source.OPERATOR)  # the start read
        .order_by("register__meter__serial", "taken_at", "source")
        .values_list("register__meter__serial", "taken_at", "value", "source", "quality")
    )


@pytest.fixture
def supply():
    return supplied(1, language="de")


# --- what is stored ------------------------------------------------------------------------------------------


def test_good_rows_are_stored_with_their_moment_source_and_quality(tmp_path, supply):
    result, _report = imported(tmp_path, [row(1, FEB, plausible(FEB)), row(1, MAR, plausible(MAR), "operator")])

    assert counts(result) == (2, 0, 0, 0)
    assert reads_from_file() == [
        (serial(1), FEB, plausible(FEB), Read.Source.SMART, Read.Quality.VALID),
        (serial(1), MAR, plausible(MAR), Read.Source.OPERATOR, Read.Quality.VALID),
    ]


@pytest.mark.parametrize(
    ("read_at", "moment"),
    [
        ("2026-02-01", at(2026, 2, 1)),
        ("2026-06-01", at(2026, 6, 1)),
        ("2026-06-01T06:30:00", at(2026, 6, 1, 6) + dt.timedelta(minutes=30)),
        ("2026-02-01T06:30:00+00:00", dt.datetime(2026, 2, 1, 6, 30, tzinfo=dt.UTC)),
        ("2026-02-01 06:30:00Z", dt.datetime(2026, 2, 1, 6, 30, tzinfo=dt.UTC)),
    ],
    ids=["winter-date", "summer-date", "summer-date-time", "offset", "zulu"],
)
def test_a_date_is_midnight_in_berlin_and_a_date_time_without_offset_berlin_time(tmp_path, supply, read_at, moment):
    result, _report = imported(tmp_path, [row(1, read_at, plausible(moment))])

    assert counts(result) == (1, 0, 0, 0)
    assert Read.objects.get(source=Read.Source.SMART).taken_at == moment


def test_importing_the_same_file_twice_stores_nothing_twice(tmp_path, supply):
    rows = [row(1, FEB, plausible(FEB)), row(1, MAR, plausible(MAR)), row(1, APR, "1", "customer")]
    imported(tmp_path, rows)
    stored = reads_from_file()

    second, _report = imported(tmp_path, rows)

    assert counts(second) == (0, 0, 1, 2)
    assert reads_from_file() == stored


def test_a_row_twice_in_the_file_is_stored_once_and_counted_as_duplicate(tmp_path, supply):
    result, _report = imported(tmp_path, [row(1, FEB, plausible(FEB)), row(1, FEB, plausible(FEB))])

    assert counts(result) == (1, 0, 0, 1)
    assert len(reads_from_file()) == 1


def test_the_same_moment_from_another_source_is_a_read_of_its_own(tmp_path, supply):
    result, _report = imported(tmp_path, [row(1, FEB, plausible(FEB)), row(1, FEB, plausible(FEB), "operator")])

    assert counts(result) == (2, 0, 0, 0)


def test_a_suspect_row_is_stored_as_suspect_for_the_review_queue(tmp_path, supply):
    result, _report = imported(tmp_path, [row(1, FEB, plausible(FEB) * 2)])

    assert counts(result) == (0, 1, 0, 0)
    read = Read.objects.get(source=Read.Source.SMART)
    assert read.quality == Read.Quality.SUSPECT
    assert "we expected between" in read.reason


def test_a_rollover_is_accepted_and_kept_as_such(tmp_path, supply):
    Register.objects.update(digits=5)
    Read.objects.update(value=Decimal("99990"))
    # The day's plausible use, counted on past 99999.
    value = Decimal("99990") + (plausible(at(2026, 1, 2)) - 1000) - 100_000

    result, _report = imported(tmp_path, [row(1, at(2026, 1, 2), value)])

    assert counts(result) == (1, 0, 0, 0)
    assert Read.objects.get(source=Read.Source.SMART).rollover is True


# --- checked in time order per register ------------------------------------------------------------------


def test_rows_are_checked_in_time_order_so_the_previous_read_may_be_an_earlier_row(tmp_path, supply):
    # March comes first in the file; February is its previous read.
    result, report = imported(tmp_path, [row(1, MAR, plausible(FEB) - 1), row(1, FEB, plausible(FEB))])

    assert counts(result) == (1, 0, 1, 0)
    assert report_rows(report)[0]["line"] == "2"
    assert "lower than the previous reading" in report_rows(report)[0]["reason"]


def test_a_suspect_row_is_the_previous_read_of_the_next_row_as_for_a_single_read(tmp_path, supply):
    high = plausible(FEB) * 2

    result, _report = imported(tmp_path, [row(1, FEB, high), row(1, MAR, high - 1)])

    assert counts(result) == (0, 1, 1, 0)


def test_a_row_higher_than_a_later_stored_read_is_rejected(tmp_path, supply):
    Read.objects.create(
        register=Register.objects.get(), taken_at=MAR, value=plausible(MAR), source=Read.Source.OPERATOR
    )

    result, report = imported(tmp_path, [row(1, FEB, plausible(MAR) + 1)])

    assert counts(result) == (0, 0, 1, 0)
    assert "higher than the later reading" in report_rows(report)[0]["reason"]


def test_after_a_meter_exchange_the_new_meter_is_not_compared_with_the_old_one(tmp_path, supply):
    Meter.objects.update(removed_on=dt.date(2026, 3, 1))
    meter_install(supply_point=supply.supply_point, serial="1NEW0000001", installed_on=dt.date(2026, 3, 1))
    rows = [
        row(1, MAR, plausible(MAR)),  # the old meter's final read
        ["1NEW0000001", OBIS, at(2026, 3, 2).isoformat(), "5", "smart"],  # the new one starts at 5
        ["1NEW0000001", OBIS, at(2026, 3, 20).isoformat(), "4", "smart"],  # and may not go back
        row(1, at(2026, 3, 3), plausible(MAR) + 10),  # the old one is gone
    ]

    result, report = imported(tmp_path, rows)

    assert counts(result) == (2, 0, 2, 0)
    reasons = {line["line"]: line["reason"] for line in report_rows(report)}
    assert "lower than the previous reading" in reasons["4"]
    assert reasons["5"] == "Meter 1ESY00000001 was not installed on 03/03/2026."


# --- rejected rows -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        (["9NOPE", OBIS, "2026-02-01", "1300", "operator"], "meter_serial: There is no meter with the number “9NOPE”."),
        (["", OBIS, "2026-02-01", "1300", "operator"], "meter_serial: The meter number is missing."),
        (
            [serial(1), "1-0:2.8.0", "2026-02-01", "1300", "operator"],
            "obis: Meter 1ESY00000001 has no register “1-0:2.8.0” (it has 1-0:1.8.0).",
        ),
        ([serial(1), OBIS, "01.02.2026", "1300", "operator"], "read_at: “01.02.2026” is not an ISO 8601 date"),
        ([serial(1), OBIS, "2026-02-30", "1300", "operator"], "read_at: “2026-02-30” is not an ISO 8601 date"),
        ([serial(1), OBIS, "", "1300", "operator"], "read_at: The date of the reading is missing."),
        ([serial(1), OBIS, "2026-02-01", "13OO", "operator"], "value: “13OO” is not a number."),
        ([serial(1), OBIS, "2026-02-01", "1e3", "operator"], "value: “1e3” is not a number."),
        ([serial(1), OBIS, "2026-02-01", "", "operator"], "value: The reading is missing."),
        ([serial(1), OBIS, "2026-02-01", "1300", "estimated"], "source: “estimated” is not one of smart, operator"),
        ([serial(1), OBIS, "2026-02-01", "-5", "operator"], "A meter reading cannot be negative."),
        ([serial(1), OBIS, "2026-02-01", "1300.0001", "operator"], "A meter reading has at most 3 decimal places."),
        ([serial(1), OBIS, "2026-02-01", "1000000", "operator"], "This register shows at most 6 digits"),
        ([serial(1), OBIS, "2026-02-01", "999", "operator"], "The reading is lower than the previous reading"),
        ([serial(1), OBIS, "2026-07-01", "1300", "operator"], "The reading cannot be taken in the future."),
        ([serial(1), OBIS, "2025-12-31", "999", "operator"], "We do not supply this meter on 12/31/2025."),
    ],
    ids=[
        "unknown-meter",
        "no-meter",
        "unknown-register",
        "german-date",
        "no-such-day",
        "no-date",
        "bad-number",
        "exponent",
        "no-value",
        "unknown-source",
        "negative",
        "four-decimals",
        "too-many-digits",
        "lower-than-before",
        "future",
        "before-the-supply",
    ],
)
def test_a_bad_row_is_rejected_with_its_reason_and_nothing_stored(tmp_path, supply, cells, reason):
    result, report = imported(tmp_path, [row(1, FEB, plausible(FEB)), cells])

    assert counts(result) == (1, 0, 1, 0)
    assert reads_from_file() == [(serial(1), FEB, plausible(FEB), Read.Source.SMART, Read.Quality.VALID)]
    (rejected,) = report_rows(report)
    assert rejected["line"] == "3"
    assert rejected["reason"].startswith(reason)


def test_every_problem_of_a_row_is_named(tmp_path, supply):
    result, report = imported(tmp_path, [["9NOPE", OBIS, "yesterday", "many", "eyes"]])

    (rejected,) = report_rows(report)
    assert rejected["reason"].count(";") == 3
    assert rejected["meter_serial"] == "9NOPE"


def test_a_row_with_too_few_cells_is_rejected(tmp_path, supply):
    path = tmp_path / "short.csv"
    path.write_text(f"meter_serial,obis,read_at,value,source\n{serial(1)},{OBIS},2026-02-01\n", encoding="utf-8")

    with translation.override("en"):
        result, report = reads_import_csv(path=path, now=NOW)

    assert counts(result) == (0, 0, 1, 0)
    assert report_rows(report)[0]["reason"] == "The row has 3 cells but the header has 5."


@pytest.mark.parametrize("status", [ServiceAgreement.Status.ENDED, ServiceAgreement.Status.CANCELLED])
def test_a_supply_that_is_not_active_takes_no_reads(tmp_path, supply, status):
    ServiceAgreement.objects.update(status=status)

    result, _report = imported(tmp_path, [row(1, FEB, plausible(FEB))])

    assert counts(result) == (0, 0, 1, 0)
    assert reads_from_file() == []


def test_an_ending_supply_takes_reads_until_midnight_after_its_end_date(tmp_path, supply):
    ServiceAgreement.objects.update(status=ServiceAgreement.Status.ENDING, end_date=dt.date(2026, 1, 31))

    result, _report = imported(tmp_path, [row(1, FEB, plausible(FEB)), row(1, at(2026, 2, 1, 1), plausible(FEB))])

    assert counts(result) == (1, 0, 1, 0)


def test_a_missing_column_fails_at_once_and_stores_nothing(tmp_path, supply):
    path = csv_write(tmp_path / "reads.csv", [[serial(1), OBIS, "2026-02-01", "1300"]], header=HEADER_WITHOUT_SOURCE)

    with translation.override("en"), pytest.raises(ReadFileError, match="lacks required columns: source"):
        reads_import_csv(path=path, now=NOW)

    assert reads_from_file() == []
    assert not path.with_name("reads.csv.rejected.csv").exists()


@pytest.mark.parametrize(
    "content",
    [b"", b"\n\n", b"\x00\x01\x02binary", b"meter_serial,obis\xff,read_at,value,source\n"],
    ids=["empty", "blank", "binary", "not-utf8"],
)
def test_a_file_that_is_not_a_csv_of_reads_stores_nothing(tmp_path, supply, content):
    path = tmp_path / "reads.csv"
    path.write_bytes(content)

    with pytest.raises(ReadFileError):
        reads_import_csv(path=path, now=NOW)

    assert reads_from_file() == []


@pytest.mark.parametrize(
    ("broken", "message"),
    [(b"\xff\xfe not text\n", "is not UTF-8 text"), (b'1ESY00000001,"an open quote\n', "not valid CSV near line 5002")],
    ids=["not-utf8", "open-quote"],
)
def test_a_file_broken_after_many_good_rows_stores_nothing(tmp_path, supply, broken, message):
    path = tmp_path / "reads.csv"
    good = f"{serial(1)},{OBIS},2026-02-01,{plausible(FEB)},smart\n".encode()
    path.write_bytes(b"meter_serial,obis,read_at,value,source\n" + good * 5000 + broken)

    with translation.override("en"), pytest.raises(ReadFileError, match=message):
        reads_import_csv(path=path, now=NOW)

    assert reads_from_file() == []


# --- file formats ------------------------------------------------------------------------------------------


def test_excel_files_with_semicolons_byte_order_mark_and_decimal_commas_are_read(tmp_path, supply):
    value = str(plausible(FEB)).replace(".", ",")
    header = ["Meter_Serial ", "OBIS", "read_at", "value", "source", "comment"]

    result, _report = imported(
        tmp_path, [[serial(1), OBIS, "2026-02-01", value, "Smart", "ok"]], header=header, delimiter=";", bom=True
    )

    assert counts(result) == (1, 0, 0, 0)
    assert Read.objects.get(source=Read.Source.SMART).value == plausible(FEB)


def test_utf16_files_are_read(tmp_path, supply):
    path = tmp_path / "reads.csv"
    path.write_text(
        f"meter_serial\tobis\tread_at\tvalue\tsource\n{serial(1)}\t{OBIS}\t2026-02-01\t1300\tsmart\n", "utf-16"
    )

    result, _report = reads_import_csv(path=path, now=NOW)

    assert counts(result) == (1, 0, 0, 0)


# --- a large mixed file ---------------------------------------------------------------------------------------


BROKEN_CELL = {"meter_serial": 0, "read_at": 2, "value": 3, "source": 4}


def test_a_10000_row_file_stores_every_good_row_and_no_bad_one(tmp_path):
    """100 meters with a read a day for 100 days, shuffled; one row in ten has
    one broken cell, and a broken row does not disturb its meter's next rows."""
    for n in range(1, 101):
        supplied(n, language="de")
    rng = random.Random(4)
    days = [at(2026, 1, 2) + dt.timedelta(days=offset) for offset in range(100)]
    rows = [row(n, moment, plausible(moment)) for n in range(1, 101) for moment in days]
    rng.shuffle(rows)
    good, broken = set(), {}
    for line, cells in enumerate(rows, start=2):
        if rng.randrange(10) == 0:
            column = rng.choice(list(BROKEN_CELL))
            cells[BROKEN_CELL[column]] = "??"
            broken[line] = column
        else:
            good.add((cells[0], dt.datetime.fromisoformat(cells[2]), Decimal(cells[3])))
    path = csv_write(tmp_path / "big.csv", rows)

    with translation.override("en"):
        result, report = reads_import_csv(path=path, now=NOW)

    assert len(rows) == 10_000
    assert counts(result) == (len(good), 0, len(broken), 0)
    assert {(serial_, taken_at, value) for serial_, taken_at, value, _source, _quality in reads_from_file()} == good
    rejected = report_rows(report)
    assert [int(line["line"]) for line in rejected] == sorted(broken)
    assert [line["reason"].split(":")[0] for line in rejected] == [broken[line] for line in sorted(broken)]


# --- the same rules as a single read ------------------------------------------------------------------------


STATUS = {Verdict.ACCEPTED: "accepted", Verdict.SUSPECT: "suspect", Verdict.REJECTED: "rejected"}


def single_and_bulk(*, moment: dt.datetime, value: Decimal, history: Decimal | None = None) -> tuple[str, str]:
    """The status of the same read taken by read_submit on one supply and by
    the bulk import on an identical one."""
    single, bulk = supplied(1, language="de"), supplied(2, language="de")
    if history is not None:
        for agreement in (single, bulk):
            Read.objects.create(
                register=Register.objects.get(meter__supply_point=agreement.supply_point),
                taken_at=at(2026, 1, 11),
                value=history,
                source=Read.Source.OPERATOR,
            )
    verdict = read_submit(
        register=Register.objects.get(meter__supply_point=single.supply_point),
        taken_at=moment,
        value=value,
        source=Read.Source.SMART,
        confirm_suspect=True,
        now=NOW,
    ).verdict
    result = reads_check_and_store(
        rows=[ReadRow(0, serial(2), OBIS, moment.isoformat(), str(value), "smart")], now=NOW, keep_items=True
    )
    return STATUS[verdict], result.items[0][0]


@pytest.mark.parametrize(
    ("moment", "value", "status"),
    [
        (FEB, plausible(FEB), "accepted"),
        (FEB, plausible(FEB) * 2, "suspect"),
        (FEB, (plausible(FEB) + 1000) / 2, "suspect"),
        (FEB, Decimal("999"), "rejected"),
        (at(2026, 1, 1, 12), Decimal("1000"), "suspect"),
        (at(2026, 6, 30, 13), plausible(at(2026, 6, 30)), "rejected"),
        (at(2025, 12, 1), Decimal("900"), "rejected"),
    ],
    ids=["plausible", "double", "half", "lower", "nothing-used", "future", "before-the-supply"],
)
def test_a_row_gets_the_verdict_a_single_read_gets(moment, value, status):
    assert single_and_bulk(moment=moment, value=value.quantize(Decimal("0.001"))) == (status, status)


@pytest.mark.parametrize(
    ("value", "status"),
    [("1249.999", "suspect"), ("1250", "accepted"), ("1400", "accepted"), ("1400.001", "suspect")],
)
def test_with_history_the_average_daily_use_decides_as_for_a_single_read(value, status):
    # 100 in the 10 days to 11 January: 10 a day, so 150 .. 300 in the 20 days to 31 January.
    result = single_and_bulk(moment=at(2026, 1, 31), value=Decimal(value), history=Decimal("1100"))

    assert result == (status, status)


# --- concurrency ---------------------------------------------------------------------------------------------


def test_a_row_another_writer_stores_meanwhile_counts_as_duplicate(tmp_path, supply):
    register = Register.objects.get()

    def interfere(stage, read, checked, counts):
        if stage == "saving" and not Read.objects.filter(taken_at=FEB, source=Read.Source.SMART).exists():
            Read.objects.create(register=register, taken_at=FEB, value=plausible(FEB), source=Read.Source.SMART)

    result = reads_check_and_store(rows=two_rows(), now=NOW, progress=interfere, keep_items=True)

    assert counts(result) == (1, 0, 0, 1)
    assert result.items[2] == ("duplicate", "")
    assert Read.objects.filter(source=Read.Source.SMART).count() == 2


def two_rows() -> list[ReadRow]:
    return [
        ReadRow(2, serial(1), OBIS, "2026-02-01", str(plausible(FEB)), "smart"),
        ReadRow(3, serial(1), OBIS, "2026-03-01", str(plausible(MAR)), "smart"),
    ]


# --- progress -----------------------------------------------------------------------------------------------


def test_progress_is_reported_while_reading_checking_and_saving(tmp_path, supply, monkeypatch):
    monkeypatch.setattr(read_bulk, "BATCH_ROWS", 2)
    monkeypatch.setattr(read_bulk, "CHUNK_ROWS", 2)
    seen = []
    rows = [
        ReadRow(line, serial(1), OBIS, moment.isoformat(), str(plausible(moment)), "smart")
        for line, moment in enumerate([at(2026, 1, day) for day in range(2, 7)], start=2)
    ]

    reads_check_and_store(rows=rows, now=NOW, progress=lambda *args: seen.append(args[:3]))

    assert seen[0] == ("reading", 2, 0)
    assert ("reading", 5, 0) in seen
    assert seen[-1] == ("saving", 5, 5)
    assert [stage for stage, _read, _checked in seen].count("checking") >= 1


# --- the command -------------------------------------------------------------------------------------------


def test_the_command_prints_the_counts_and_succeeds_when_nothing_was_rejected(tmp_path, supply, capsys):
    path = csv_write(tmp_path / "reads.csv", [row(1, FEB, plausible(FEB)), row(1, FEB, plausible(FEB))])

    call_command("import_reads", str(path))

    output = capsys.readouterr().out
    assert "accepted 1, suspect 0, rejected 0, duplicate 1" in output
    assert report_rows(path.with_name("reads.csv.rejected.csv")) == []


def test_the_command_fails_when_a_row_was_rejected_and_writes_the_report(tmp_path, supply, capsys):
    path = csv_write(tmp_path / "reads.csv", [row(1, FEB, plausible(FEB)), row(7, FEB, "1")])
    report = tmp_path / "elsewhere.csv"

    with pytest.raises(CommandError, match="1 rows were rejected"):
        call_command("import_reads", str(path), "--report", str(report))

    assert "accepted 1, suspect 0, rejected 1, duplicate 0" in capsys.readouterr().out
    assert [line["line"] for line in report_rows(report)] == ["3"]


def test_the_command_fails_at_once_on_a_missing_column(tmp_path, supply):
    path = csv_write(tmp_path / "reads.csv", [[serial(1), OBIS, "2026-02-01", "1300"]], header=HEADER_WITHOUT_SOURCE)

    with pytest.raises(CommandError, match="lacks required columns: source"):
        call_command("import_reads", str(path))

    assert reads_from_file() == []


def test_run_as_a_program_the_command_exits_with_status_1_when_a_row_was_rejected(tmp_path, supply, capsys):
    path = csv_write(tmp_path / "reads.csv", [row(7, FEB, "1")])

    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "import_reads", str(path)]).execute()

    assert exit_.value.code == 1
    assert "1 rows were rejected" in capsys.readouterr().err


# --- the back-office job ----------------------------------------------------------------------------------


def job_for(path, settings, tmp_path) -> ReadImportJob:
    settings.MEDIA_ROOT = tmp_path / "media"
    job = ReadImportJob(file_name=path.name)
    with path.open("rb") as stream:
        job.file.save(path.name, File(stream), save=True)
    return job


def test_a_job_imports_its_file_and_records_counts_and_report(tmp_path, settings, supply):
    path = csv_write(tmp_path / "upload.csv", [row(1, FEB, plausible(FEB)), row(7, FEB, "1")])
    job = job_for(path, settings, tmp_path)

    with translation.override("en"):
        job = read_import_job_run(job_id=job.pk, now=NOW)

    assert job.status == ReadImportJob.Status.FINISHED
    assert (job.total_rows, job.accepted, job.suspect, job.rejected, job.duplicate) == (2, 1, 0, 1, 0)
    assert job.started_at is not None and job.finished_at is not None
    assert job.percent == 100
    with job.report.open("rb") as report:
        lines = report.read().decode().splitlines()
    assert lines[0] == "line,reason,meter_serial,obis,read_at,value,source"
    assert lines[1].startswith("3,meter_serial: There is no meter")


def test_a_job_runs_once(tmp_path, settings, supply):
    path = csv_write(tmp_path / "upload.csv", [row(1, FEB, plausible(FEB))])
    job = job_for(path, settings, tmp_path)
    read_import_job_run(job_id=job.pk, now=NOW)

    again = read_import_job_run(job_id=job.pk, now=NOW)

    assert (again.accepted, again.duplicate) == (1, 0)
    assert len(reads_from_file()) == 1


def test_a_job_with_a_broken_file_fails_and_stores_nothing(tmp_path, settings, supply):
    path = csv_write(tmp_path / "upload.csv", [[serial(1), OBIS, "2026-02-01", "1300"]], header=HEADER_WITHOUT_SOURCE)
    job = job_for(path, settings, tmp_path)

    with translation.override("en"):
        job = read_import_job_run(job_id=job.pk, now=NOW)

    assert job.status == ReadImportJob.Status.FAILED
    assert "lacks required columns: source" in job.error
    assert reads_from_file() == []


def test_the_task_records_an_unexpected_error(tmp_path, settings, supply, monkeypatch):
    path = csv_write(tmp_path / "upload.csv", [row(1, FEB, plausible(FEB))])
    job = job_for(path, settings, tmp_path)

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("metering.services.imports.reads_check_and_store", broken)

    with pytest.raises(RuntimeError):
        import_reads_job.delay(job.pk)

    job.refresh_from_db()
    assert (job.status, job.error) == (ReadImportJob.Status.FAILED, "disk on fire")


# --- PostgreSQL: stored over a second connection while checking ---------------------------------------------

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the streaming save is PostgreSQL's")


def stream_every_delivery(monkeypatch) -> list:
    """Every delivery is stored over the second connection; the calls are counted."""
    monkeypatch.setattr(read_bulk, "STREAM_FROM_ROWS", 1)
    calls = []
    stream = read_bulk._reads_stream

    def counted(**kwargs):
        calls.append(kwargs)
        return stream(**kwargs)

    monkeypatch.setattr(read_bulk, "_reads_stream", counted)
    return calls


@pytest.fixture
def streaming(monkeypatch):
    return stream_every_delivery(monkeypatch)


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "copied-at-the-end"])
def test_outside_a_transaction_the_rows_are_stored_once(tmp_path, monkeypatch, stream):
    calls = []
    if stream:
        calls = stream_every_delivery(monkeypatch)
    supplied(1, language="de")
    rows = [row(1, FEB, plausible(FEB)), row(1, MAR, plausible(MAR) * 2), row(1, APR, "1")]

    first, _report = imported(tmp_path, rows)
    second, _report = imported(tmp_path, rows)

    assert counts(first) == (1, 1, 1, 0)
    assert counts(second) == (0, 0, 1, 2)
    assert len(reads_from_file()) == 2
    assert len(calls) == (2 if stream else 0)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_row_stored_meanwhile_counts_as_duplicate(streaming):
    supplied(1, language="de")
    register = Register.objects.get()

    def interfere(stage, read, checked, counts):
        # After the check and before the rows are handed to the second connection.
        if stage == "checking" and not Read.objects.filter(source=Read.Source.SMART).exists():
            Read.objects.create(register=register, taken_at=FEB, value=plausible(FEB), source=Read.Source.SMART)

    result = reads_check_and_store(rows=two_rows(), now=NOW, progress=interfere, keep_items=True)

    assert counts(result) == (1, 0, 0, 1)
    assert result.items[2] == ("duplicate", "")
    assert Read.objects.filter(source=Read.Source.SMART).count() == 2
