"""A report table as CSV for spreadsheets, and back again.

The CSV is made to round-trip: reading it back with the table's columns gives the same
values. Minutes take two columns, "<label> (hours)" to 2 decimal places for people and
"<label> (minutes)" exactly, which is the one read back. Money is pounds to 2 decimal places
("<label> (£)"), so exact. Days are ISO dates (2026-03-05), months ISO year-months
(2026-03). A hidden count of one to seven people is "1 to 7"; a value not known yet is empty.

Text that a spreadsheet could take for a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe, as does text that already starts with one, so reading back
removes exactly one apostrophe; numbers are written as numbers (`timebank.csvfile`, the one
CSV writer).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from timebank.csvfile import AsWritten, Cell, csv_text, guard, unguard
from timebank.reports.formatting import HIDDEN_WORDS
from timebank.reports.tables import SUPPRESSED, Column, Suppressed, Table, Value

HIDDEN = HIDDEN_WORDS
CENTS = Decimal("0.01")


class UnreadableCsv(ValueError):
    """The CSV does not match the table it is read for."""


def headers(column: Column) -> list[str]:
    """Return the CSV header(s) a column takes."""
    if column.kind == "minutes":
        return [f"{column.label} (hours)", f"{column.label} (minutes)"]
    if column.kind == "pence":
        return [f"{column.label} (£)"]
    return [column.label]


def cells(value: Value, kind: str) -> list[Cell]:
    """Return the CSV cell(s) for one value of a column of `kind` (text is guarded later)."""
    width = 2 if kind == "minutes" else 1
    if isinstance(value, Suppressed):
        return [HIDDEN] * width
    if value is None:
        return [""] * width
    if isinstance(value, dt.date):
        return [f"{value:%Y-%m}" if kind == "month" else value.isoformat()]
    if isinstance(value, str):
        # Text that reads as the hidden mark is quoted like a formula, to read back as text.
        return [AsWritten("'" + value) if value == HIDDEN else value]
    if kind == "minutes":
        return [(Decimal(round(value)) / 60).quantize(CENTS), round(value)]
    if kind == "pence":
        return [(Decimal(round(value)) / 100).quantize(CENTS)]
    return [value if isinstance(value, int) else Decimal(str(value))]


def to_csv(table: Table) -> str:
    """Return the table as CSV text: a header row of column labels, then one row per row."""
    heading = [text for column in table.columns for text in headers(column)]
    rows = (
        [
            cell
            for value, column in zip(row, table.columns, strict=True)
            for cell in cells(value, column.kind)
        ]
        for row in table.rows
    )
    return csv_text([heading, *rows])


def read_csv(text: str, columns: tuple[Column, ...]) -> tuple[tuple[Value, ...], ...]:
    """Read back CSV made by `to_csv` for a table with these columns."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    expected = [guard(label) for column in columns for label in headers(column)]
    if next(rows, None) != expected:
        raise UnreadableCsv("The first row is not the headings of this table.")
    return tuple(_read_row(row, columns) for row in rows if row)


def _read_row(row: list[str], columns: tuple[Column, ...]) -> tuple[Value, ...]:
    """Read one CSV row back into the table's values."""
    found = iter(row)
    values = tuple(_read_value(found, column) for column in columns)
    if next(found, None) is not None:
        raise UnreadableCsv("A row has more cells than the table has columns.")
    return values


def _read_value(found: Iterator[str], column: Column) -> Value:
    """Read the cell(s) of one column's value."""
    try:
        text = next(found)
        if column.kind == "minutes":
            text = next(found)  # the exact minutes, not the rounded hours
    except StopIteration:
        raise UnreadableCsv("A row has fewer cells than the table has columns.") from None
    if text == HIDDEN:
        return SUPPRESSED
    if text == "":
        return None
    try:
        return _parse(text, column.kind)
    except (ValueError, InvalidOperation):
        raise UnreadableCsv(f"{text!r} is not a {column.kind} value.") from None


def _parse(text: str, kind: str) -> Value:
    """Parse one cell of a column of `kind`."""
    if kind == "text":
        return unguard(text)
    if kind == "month":
        return dt.date.fromisoformat(text + "-01")
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "pence":
        return int(Decimal(text) * 100)
    return int(text) if text.lstrip("-").isdigit() else float(text)
