"""One CSV writer for every CSV the app makes, safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with = + - or @ (and, in some, a tab or a carriage
return) as a formula, so a member called "=HYPERLINK(...)" could put a link or a command in
a broker's report. Following OWASP's advice on CSV injection, every text cell that starts
with one of those characters gets a leading apostrophe, which spreadsheets take to mean
"this is text". Text that already starts with an apostrophe gets one more, so `unguard`
gives back exactly what was written.

Numbers the app itself writes (a balance of -90 minutes, an amount in pounds) are passed as
numbers, not text, and are written as they are, so a spreadsheet still reads -90 as a
number. Anything a person typed reaches the writer as text and is guarded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")


class AsWritten(str):
    """Text the app itself made, such as a mark for a hidden figure: written exactly as is.

    Never wrap text a person typed in this; it would skip the guard.
    """


# A cell: text (guarded), a number the app made (written as it is), or nothing (empty).
Cell = str | int | Decimal | None


def guard(text: str) -> str:
    """Return text a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(RISKY_STARTS) else text


def unguard(text: str) -> str:
    """Return text as it was before `guard`."""
    return text[1:] if text.startswith("'") else text


def _written(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, AsWritten):
        return str(cell)
    if isinstance(cell, str):
        return guard(cell)
    if isinstance(cell, bool):
        raise TypeError("Write yes/no answers as words, not True or False.")
    return str(cell)


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    """Return rows as CSV text (CRLF line ends), every text cell guarded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_written(cell) for cell in row])
    return out.getvalue()
