"""Read intake test data: the bulk read import's CSV files and the values
the load profile expects for the supplies it reads into."""

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from meters.profiles import profile_use_between

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 6, 30, 12, tzinfo=BERLIN)
START = dt.date(2026, 1, 1)
START_READ = Decimal("1000")
ANNUAL = Decimal("3650")
OBIS = "1-0:1.8.0"
HEADER = ["meter_serial", "obis", "read_at", "value", "source"]


def serial(n: int) -> str:
    """The meter number request_for gives supply `n`."""
    return f"1ESY{n:08d}"


def plausible(moment: dt.datetime) -> Decimal:
    """The value the standard load profile expects at `moment` after the start read."""
    use = profile_use_between(annual=ANNUAL, start_at=dt.datetime.combine(START, dt.time.min, BERLIN), end_at=moment)
    return (START_READ + use).quantize(Decimal("0.001"))


def csv_write(path: Path, rows: list[list[str]], *, header=HEADER, delimiter: str = ",", bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        writer = csv.writer(stream, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def report_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))
