"""Report values in words people read: hours and minutes, pounds, months, hidden small counts.

Values come from the report as plain numbers (see timebank/reports/tables.py); this module
only says them. A percent is a number out of 100 (42.5 means 42.5%).
"""

from __future__ import annotations

import datetime as dt

from timebank.minutes import format_duration
from timebank.reports.tables import Suppressed, Value

# A count of one to seven people in the funder view (see timebank/reports/suppression.py).
HIDDEN_WORDS = "1 to 7"
MISSING_WORDS = "not yet"


def format_minutes(minutes: int) -> str:
    """Say minutes as hours and minutes: 750 -> '12 hours 30 minutes', with thousands marked."""
    hours, mins = divmod(abs(minutes), 60)
    if hours < 1000:
        return format_duration(minutes)
    words = f"{hours:,} hours" + (f" {mins} minute" + ("s" if mins != 1 else "") if mins else "")
    return ("minus " if minutes < 0 else "") + words


def format_pence(pence: int) -> str:
    """Say pence as pounds: 123450 -> '£1,234.50'."""
    pounds, rest = divmod(abs(pence), 100)
    return ("-" if pence < 0 else "") + f"£{pounds:,}.{rest:02d}"


def format_number(value: int | float) -> str:
    """Say a number with thousands marked and at most one decimal place: 1234.0 -> '1,234'."""
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def format_days(value: int | float) -> str:
    """Say a number of days: 1 -> '1 day', 4.5 -> '4.5 days'."""
    return format_number(value) + (" day" if value == 1 else " days")


def format_percent(value: int | float) -> str:
    """Say a percent out of 100, to the nearest whole one unless under 1: 42.4 -> '42%'."""
    if 0 < abs(value) < 1:
        return f"{value:.1f}%"
    return f"{round(value):,}%"


def format_month(value: dt.date) -> str:
    """Say a month by name: 2026-03-01 -> 'March 2026'."""
    return f"{value:%B %Y}"


def format_date(value: dt.date) -> str:
    """Say a day in full: 2026-03-05 -> '5 March 2026'."""
    return f"{value.day} {value:%B %Y}"


def format_value(value: Value, kind: str = "count") -> str:
    """Say a report value of the given kind in plain words."""
    if isinstance(value, Suppressed):
        return HIDDEN_WORDS
    if value is None:
        return MISSING_WORDS
    if isinstance(value, dt.date):
        return format_month(value) if kind == "month" else format_date(value)
    if isinstance(value, str) or kind == "text":
        return str(value)
    return _format_number_of_kind(value, kind)


def _format_number_of_kind(value: int | float, kind: str) -> str:
    """Say a number as the kind of figure it is."""
    if kind == "minutes":
        return format_minutes(round(value))
    if kind == "pence":
        return format_pence(round(value))
    if kind == "days":
        return format_days(value)
    if kind == "percent":
        return format_percent(value)
    return format_number(value)


def is_numeric(kind: str) -> bool:
    """Say whether a column of this kind lines up on the right, as numbers do."""
    return kind in ("count", "people", "minutes", "pence", "days", "percent")
