"""Report values in words: hours and minutes, pounds, percents, months and hidden counts."""

from __future__ import annotations

import datetime as dt

import pytest

from timebank.reports.formatting import format_value
from timebank.reports.tables import SUPPRESSED


@pytest.mark.parametrize(
    ("value", "kind", "words"),
    [
        (750, "minutes", "12 hours 30 minutes"),
        (60, "minutes", "1 hour"),
        (0, "minutes", "0 minutes"),
        (60_000 * 60 + 1, "minutes", "60,000 hours 1 minute"),
        (123450, "pence", "£1,234.50"),
        (5, "pence", "£0.05"),
        (12345, "count", "12,345"),
        (2.25, "count", "2.2"),
        (1, "days", "1 day"),
        (4.5, "days", "4.5 days"),
        (42.4, "percent", "42%"),
        (0.5, "percent", "0.5%"),
        (dt.date(2026, 3, 1), "month", "March 2026"),
        (dt.date(2026, 3, 5), "date", "5 March 2026"),
        ("Gardening", "text", "Gardening"),
        (SUPPRESSED, "people", "1 to 7"),
        (SUPPRESSED, "count", "1 to 7"),
        (None, "percent", "not yet"),
    ],
)
def test_a_report_value_is_said_in_plain_words(value, kind, words):
    assert format_value(value, kind) == words
