"""Reading an uploaded CSV file: its size, its encoding, Excel's BOM and its separator.

Every value that a person typed is read here as text; turning it into a date, a number of
minutes or a mobile number happens in `values`, which says in plain words what is wrong.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from timebank.csvfile import unguard
from timebank.porting.errors import FileRefused

# Files this big are refused before being read: an export of even a large bank is smaller.
MOST_BYTES = 50 * 1024 * 1024
BOM = "\ufeff"


@dataclass(frozen=True)
class Table:
    """A CSV file as read: its name, its header and its rows (each with its line number)."""

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def check_size(name: str, size: int) -> None:
    """Refuse a file of MOST_BYTES or more, before reading it."""
    if size >= MOST_BYTES:
        megabytes = size / (1024 * 1024)
        raise FileRefused(
            f"{name} is {megabytes:.0f} MB; files of 50 MB or more cannot be imported. "
            "Split it into smaller files, or import it from the command line in parts."
        )


def decode(name: str, data: bytes) -> str:
    """Return the file's text, read as UTF-8 (with or without Excel's BOM)."""
    check_size(name, len(data))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileRefused(
            f"{name} is not UTF-8 text (line {line} has a character that UTF-8 does not "
            'allow). In Excel, choose Save As and the type "CSV UTF-8"; in LibreOffice, '
            'choose the character set "Unicode (UTF-8)".'
        ) from exc
    return text.removeprefix(BOM)


def separator_of(header_line: str) -> str:
    """Return the separator the header uses: a comma, or a semicolon as Excel writes in
    countries where the comma is the decimal mark."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_table(name: str, data: bytes) -> Table:
    """Read a CSV file into a Table, refusing what cannot be read as a whole."""
    text = decode(name, data)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise FileRefused(f"{name} is empty: the first line should name the columns.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator_of(first_line))
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise FileRefused(f"{name} cannot be read as CSV: {exc}.") from exc
    header = [cell.strip() for cell in lines[0]]
    rows = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        stripped = [cell.strip() for cell in cells]
        # Only cells our own export guarded start with an apostrophe: most need no work.
        rows.append((number, [unguard(c) if c[:1] == "'" else c for c in stripped]))
    return Table(name=name, header=header, rows=rows)
