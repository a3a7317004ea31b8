"""The shape of a report: sections of headline figures and tables, each with its definition.

The report builders fill these in from the database; the web pages, the CSV export and the
charts read them and know nothing of how a figure was found. Values are plain: minutes as
whole minutes, money in pence, days as numbers, months as the first day of the month. A figure
that counts people says so with the kind "people"; in the funder view such a count of one to
seven is `SUPPRESSED` (see `timebank.reports.suppression`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

# How a value is shown: "text", "count", "people", "minutes", "pence", "days", "percent",
# "month", "date". "people" is a count of people: the one kind the funder view protects
# (`timebank.reports.suppression`); "count" counts things that are not people (exchanges,
# requests), which are never hidden.
KINDS: Final = (
    "text", "count", "people", "minutes", "pence", "days", "percent", "month", "date",
)  # fmt: skip
# Who the report is for: brokers, admins and a practice (its own referrals) see every figure;
# funders see counts of people rounded or hidden, and no names.
AUDIENCES: Final = ("broker", "funder", "practice")
# How a table is drawn beside its rows, if at all.
CHARTS: Final = ("bars", "line", "funnel")


class Suppressed:
    """A count of one to seven people, hidden in the funder view."""

    _instance: Suppressed | None = None

    def __new__(cls) -> Suppressed:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "SUPPRESSED"


SUPPRESSED: Final = Suppressed()

Value = str | int | float | dt.date | Suppressed | None


@dataclass(frozen=True)
class Column:
    """One column of a table: `key` for code and CSV headers, `label` for people."""

    key: str
    label: str
    kind: str = "count"


@dataclass(frozen=True)
class Table:
    """Rows of figures under one title; `chart` says how to draw it (labels from column 0)."""

    key: str
    title: str
    definition: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    chart: str | None = None
    chart_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """One headline number and, in `definition`, what it counts in words."""

    key: str
    label: str
    value: Value
    kind: str = "count"
    definition: str = ""


@dataclass(frozen=True)
class Section:
    """A part of the report about one subject (exchanges, members, networks ...)."""

    key: str
    title: str
    figures: tuple[Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Report:
    """A bank's report for the days `start` to `end`, both included, for one audience."""

    bank_name: str
    start: dt.date
    end: dt.date
    audience: str
    sections: tuple[Section, ...] = ()
    definitions: dict[str, str] = field(default_factory=dict)
    title: str = ""
    # The figures include everything recorded up to this time (in the bank's time zone).
    recorded_up_to: dt.datetime | None = None

    def table(self, key: str) -> Table | None:
        """Return the table with this key, wherever it is in the report."""
        for section in self.sections:
            for table in section.tables:
                if table.key == key:
                    return table
        return None
