"""What the CSV imports share: the encoding to assume and the delimiter and
header of a file exported by whatever tool (Excel writes ";" in Germany)."""

import codecs
import csv

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
