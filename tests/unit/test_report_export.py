"""Report tables as CSV: exact round trips, hidden counts as "1 to 7", and no formulas let in."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from timebank.reports.export import UnreadableCsv, read_csv, to_csv
from timebank.reports.tables import SUPPRESSED, Column, Table

COLUMNS = (
    Column("month", "Month", "month"),
    Column("category", "Kind of help", "text"),
    Column("minutes", "Hours exchanged", "minutes"),
    Column("exchanges", "Exchanges", "count"),
    Column("value", "Estimated value", "pence"),
    Column("share", "Share across areas", "percent"),
    Column("median", "Median days to match", "days"),
    Column("first", "First exchange", "date"),
)


def table(*rows: tuple) -> Table:
    """Return a table of every kind of column with these rows."""
    return Table("mixed", "Every kind of value", "", COLUMNS, rows)


def raw(text: str) -> list[list[str]]:
    """Return the CSV's cells as a spreadsheet would read them."""
    return list(csv.reader(io.StringIO(text)))


ROWS = (
    (dt.date(2026, 3, 1), "Gardening", 750, 12, 17375, 42.5, 3.5, dt.date(2026, 3, 9)),
    (dt.date(2026, 4, 1), "Not said", 1, SUPPRESSED, 23, 0, SUPPRESSED, None),
    (dt.date(2026, 5, 1), '=HYPERLINK("http://x")', SUPPRESSED, 0, SUPPRESSED, None, 7, None),
)


def test_a_table_read_back_from_its_csv_has_the_same_values():
    assert read_csv(to_csv(table(*ROWS)), COLUMNS) == ROWS


def test_the_header_is_the_column_labels_with_minutes_given_in_hours_and_in_minutes():
    header, first, _second, _third = raw(to_csv(table(*ROWS)))

    assert header == [
        "Month",
        "Kind of help",
        "Hours exchanged (hours)",
        "Hours exchanged (minutes)",
        "Exchanges",
        "Estimated value (£)",
        "Share across areas",
        "Median days to match",
        "First exchange",
    ]
    assert first == [
        "2026-03",
        "Gardening",
        "12.50",
        "750",
        "12",
        "173.75",
        "42.5",
        "3.5",
        "2026-03-09",
    ]


def test_hidden_counts_are_written_as_one_to_seven_and_unknown_values_left_empty():
    _header, _first, second, third = raw(to_csv(table(*ROWS)))

    assert second[4] == "1 to 7" and second[7] == "1 to 7" and second[8] == ""
    assert third[2:4] == ["1 to 7", "1 to 7"] and third[5] == "1 to 7" and third[6] == ""


@pytest.mark.parametrize("text", ["=1+1", "+44 20", "-2+3", "@SUM(A1)", "\tx", "\r=1", "'quoted"])
def test_text_a_spreadsheet_could_run_as_a_formula_gets_a_leading_apostrophe(text):
    row = (dt.date(2026, 3, 1), text, 60, 1, 100, 1, 1, None)

    cells = raw(to_csv(table(row)))[1]

    assert cells[1] == "'" + text
    assert read_csv(to_csv(table(row)), COLUMNS)[0][1] == text


def test_text_that_looks_like_a_hidden_count_reads_back_as_text():
    row = (dt.date(2026, 3, 1), "1 to 7", 60, 1, 100, 1, 1, None)

    assert read_csv(to_csv(table(row)), COLUMNS) == (row,)


def test_a_csv_with_other_headings_is_refused_in_words():
    with pytest.raises(UnreadableCsv, match="not the headings of this table"):
        read_csv("Month,Hours\r\n2026-03,1\r\n", COLUMNS)


def test_a_row_with_a_missing_cell_is_refused_in_words():
    text = to_csv(table(ROWS[0])).rsplit(",", 1)[0] + "\r\n"

    with pytest.raises(UnreadableCsv, match="fewer cells"):
        read_csv(text, COLUMNS)


def test_a_csv_saved_with_a_byte_order_mark_still_reads_back():
    assert read_csv("\ufeff" + to_csv(table(*ROWS)), COLUMNS) == ROWS
