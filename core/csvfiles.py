"""What the CSV files share: for imports the encoding to assume and the
delimiter and header of a file exported by whatever tool (Excel writes ";"
in Germany); for exports one writer."""

import codecs
import csv
import io
from collections.abc import Iterable

DELIMITERS = (",", ";", "\t")


def default_encoding(head: bytes) -> str:
    """UTF-16 when the file starts with its byte order mark, else UTF-8 (with
    or without one)."""
    return "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"


def header_cells(line: str, delimiter: str) -> list[str]:
    """The column names of a header line, trimmed and lower-case ([] when it is not CSV)."""
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return []
    return [cell.strip().lower() for cell in cells]


def header_read(line: str, *, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    """The delimiter under which the header line names most of `columns`, and the header."""
    delimiter = max(DELIMITERS, key=lambda candidate: len(set(header_cells(line, candidate)) & set(columns)))
    return delimiter, header_cells(line, delimiter)


def csv_text(*, header: Iterable[str], rows: Iterable[Iterable[object]], delimiter: str = ";") -> str:
    """A CSV file as text: the header, then one line per row (CRLF line ends,
    as spreadsheets expect; `None` as an empty cell)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(list(header))
    writer.writerows(["" if cell is None else cell for cell in row] for row in rows)
    return out.getvalue()
