"""The days a report covers: a start and an end, both included, and the usual choices.

Periods are of whole days. Presets are worked out from "today" in the bank's own time zone,
which the caller passes in, so they are easy to test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from timebank.errors import InvalidInput

# Long enough for a five-year funding review, short enough to keep a report quick.
MAX_YEARS = 5
PRESETS = (
    "last_12_months", "this_year", "this_month", "last_month", "this_quarter", "last_quarter",
    "this_financial_year", "year",
)  # fmt: skip
# The UK financial year starts in April.
FINANCIAL_YEAR_START_MONTH = 4
ONE_DAY = dt.timedelta(days=1)
# The fixed periods a funder report may cover: any two of them are nested or apart, never
# overlapping in part (see docs/reports.md, "Fixed periods for funders").
FUNDER_PERIODS = ("a calendar month", "a calendar quarter", "a calendar year")


@dataclass(frozen=True)
class Period:
    """The days from `start` to `end`, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        """Return how many days the period has."""
        return (self.end - self.start).days + 1

    def months(self) -> list[dt.date]:
        """Return the first day of each month the period touches, in order."""
        return list(months_between(self.start, self.end))

    def month_end(self, month: dt.date) -> dt.date:
        """Return the last day of `month` that is in the period."""
        return min(last_day_of_month(month), self.end)


def first_of_month(day: dt.date) -> dt.date:
    """Return the first day of `day`'s month."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day `months` later (or earlier); the month's last day if it is short."""
    first = add_months_to_first(first_of_month(day), months)
    return min(first + dt.timedelta(days=day.day - 1), last_day_of_month(first))


def last_day_of_month(day: dt.date) -> dt.date:
    """Return the last day of `day`'s month."""
    return add_months_to_first(first_of_month(day), 1) - dt.timedelta(days=1)


def add_months_to_first(first: dt.date, months: int) -> dt.date:
    """Return the first day of the month `months` after the month starting on `first`."""
    index = first.year * 12 + first.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, 1)


def months_between(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Yield the first day of each month from `start`'s to `end`'s, both included."""
    month = first_of_month(start)
    while month <= end:
        yield month
        month = add_months_to_first(month, 1)


def preset(name: str, today: dt.date, year: int | None = None) -> Period:
    """Return the period a preset names, as seen on `today`."""
    this_month = first_of_month(today)
    if name == "last_12_months":
        # Twelve whole months: the month so far is not one of them.
        return Period(add_months_to_first(this_month, -12), this_month - dt.timedelta(days=1))
    if name == "this_year":
        return Period(dt.date(today.year, 1, 1), today)
    if name == "this_month":
        return Period(this_month, today)
    if name == "last_month":
        start = add_months_to_first(this_month, -1)
        return Period(start, last_day_of_month(start))
    if name in ("this_quarter", "last_quarter"):
        start = quarter_start(today)
        if name == "last_quarter":
            start = quarter_start(start - ONE_DAY)
        return Period(start, add_months_to_first(start, 3) - ONE_DAY)
    if name == "this_financial_year":
        first_year = today.year if today.month >= FINANCIAL_YEAR_START_MONTH else today.year - 1
        start = dt.date(first_year, FINANCIAL_YEAR_START_MONTH, 1)
        return Period(start, add_months_to_first(start, 12) - dt.timedelta(days=1))
    if name == "year":
        chosen = today.year if year is None else year
        if not 2000 <= chosen <= 2100:
            raise InvalidInput("Please choose a year between 2000 and 2100.")
        return Period(dt.date(chosen, 1, 1), dt.date(chosen, 12, 31))
    raise InvalidInput(
        "Please choose one of: the last 12 months, this year so far, this month, last month,"
        " this quarter, last quarter, this financial year or a calendar year."
    )


def previous(period: Period) -> Period:
    """Return the period of the same length that ends the day before `period` starts.

    A period of whole months (a quarter, a year) is followed by the same number of whole
    months before it, so a quarter's is the quarter before; any other, by as many days.
    """
    if period.start.day == 1 and period.end == last_day_of_month(period.end):
        months = len(period.months())
        return Period(
            add_months_to_first(period.start, -months), period.start - dt.timedelta(days=1)
        )
    return Period(
        period.start - dt.timedelta(days=period.days), period.start - dt.timedelta(days=1)
    )


def parse_day(text: str | None, which: str) -> dt.date:
    """Return the date written as YYYY-MM-DD, or say in plain words what is wrong."""
    if text is None or not text.strip():
        raise InvalidInput(f"Please give the {which} date, written like 2026-04-01.")
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"The {which} date '{text.strip()[:20]}' is not a date we understand. "
            "Please write it like 2026-04-01 (year, month, day)."
        ) from None


def parse_period(start_text: str | None, end_text: str | None) -> Period:
    """Return the period from two YYYY-MM-DD dates, checking it makes sense."""
    return checked(Period(parse_day(start_text, "start"), parse_day(end_text, "end")))


def checked(period: Period) -> Period:
    """Return `period` if its end is not before its start and it spans at most five years."""
    if period.end < period.start:
        raise InvalidInput("The end date is before the start date. Please swap them round.")
    if period.end > add_months(period.start, 12 * MAX_YEARS) - dt.timedelta(days=1):
        raise InvalidInput("A report can cover at most five years. Please choose a shorter period.")
    return period


def quarter_start(day: dt.date) -> dt.date:
    """Return the first day of the calendar quarter `day` is in (January, April, July, October)."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def grid_kind(period: Period) -> str | None:
    """Return which fixed period this is ("month", "quarter", "year"), or None if none."""
    if period.start.day != 1 or period.end != last_day_of_month(period.end):
        return None
    months = (period.end.year - period.start.year) * 12 + period.end.month - period.start.month + 1
    if months == 1:
        return "month"
    if months == 3 and period.start == quarter_start(period.start):
        return "quarter"
    if months == 12 and period.start.month == 1:
        return "year"
    return None


def funder_period(period: Period) -> Period:
    """Return `period` if a funder report may cover it: a whole calendar month, quarter or year.

    Fixed periods stop anyone working out a hidden count by taking one report from another
    that overlaps it in part (say September to November minus September to October).
    """
    if grid_kind(checked(period)) is None:
        raise InvalidInput(
            "The funder view covers a whole calendar month, a calendar quarter (January to "
            "March, April to June, July to September or October to December) or a calendar "
            "year. Please choose one of those."
        )
    return period


def grid_periods(first: dt.date, last: dt.date) -> list[Period]:
    """Return every fixed funder period that touches the days `first` to `last`."""
    found: list[Period] = []
    for month in months_between(first, last):
        found.append(Period(month, last_day_of_month(month)))
        if month == quarter_start(month):
            found.append(Period(month, add_months_to_first(month, 3) - ONE_DAY))
        if month.month == 1:
            found.append(Period(month, dt.date(month.year, 12, 31)))
    return found
