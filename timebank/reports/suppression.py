"""Protecting counts of people in the report funders see (the method is in docs/reports.md).

A figure that counts people declares it with the kind "people" (`timebank.reports.tables`);
that is the only thing a new figure has to say. The funder view then shows every such count
the way NHS England publishes counts of patients: zero as it is, one to seven hidden, and
eight or more rounded to the nearest 5, each figure on its own (a total is rounded from its
own true value, never added up from rounded parts). Funder reports cover fixed calendar
periods only (`timebank.reports.period.funder_period`).

Hours, minutes, money, days and counts of exchanges are not people and are never hidden.
Brokers and admins see every number exactly, and so does a GP practice in its own report:
it made those referrals and already knows each one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from timebank.errors import InvalidInput
from timebank.reports.tables import AUDIENCES, SUPPRESSED, Report, Table, Value

# Counts of people from 1 to this are hidden in the funder view (NHS England's "1 to 7").
LARGEST_HIDDEN = 7
# Other counts of people are rounded to the nearest multiple of this.
ROUNDING_BASE = 5
# The kind a figure or column declares when it counts people.
PEOPLE = "people"
# Tables (and figures) left out of the funder view, because their rows add up to a total
# shown beside them and rounding each one alone cannot stop a reader working a small row out
# from the rest (see docs/reports.md). Each practice has its own exact report instead.
LEFT_OUT_FOR_FUNDERS = frozenset(
    {
        "referrals_by_practice",
        # Members' own answers, by answer, with their total: brokers see them exactly.
        "outcome_loneliness",
        "outcome_life_satisfaction",
        # A share worked out from exact counts of referred members' pairs would give away
        # the counts the funder view rounds; the two rounded counts stay.
        "mixing_share",
    }
)
# Tables whose people rows are added into one row for the whole period in the funder view,
# for the same reason: the rows would add up to a headline figure.
ONE_ROW_FOR_FUNDERS = frozenset({"retention"})


@dataclass(frozen=True)
class Guard:
    """Who a report is for; checks the audience. Values pass through: `protect` decides."""

    audience: str

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise InvalidInput(
                "A report is for brokers, funders or a GP practice; please choose one of those."
            )

    @property
    def hides_small_numbers(self) -> bool:
        """Return True for the funder view, the only report whose counts of people are changed."""
        return self.audience == "funder"

    def count(self, value: int) -> Value:
        """Return a count as it is: counts of people are protected later, by their kind."""
        return value

    def derived(self, value: Value, people: int) -> Value:
        """Return a figure worked out from a few people as it is: hours, days, £ never hide."""
        return value


def protect_count(value: Value) -> Value:
    """Return a count of people as the funder view shows it: 0, hidden, or rounded to 5."""
    if not isinstance(value, int) or isinstance(value, bool):
        return value  # not known yet (None), or already hidden
    if value <= 0:
        return value
    if value <= LARGEST_HIDDEN:
        return SUPPRESSED
    # Whole numbers are never half way between two multiples of 5, so this is exact.
    return ROUNDING_BASE * ((value + ROUNDING_BASE // 2) // ROUNDING_BASE)


def possible_values(shown: Value) -> range:
    """Return every true count of people the funder view could show as `shown`."""
    if shown == 0:
        return range(0, 1)
    if shown is SUPPRESSED:
        return range(1, LARGEST_HIDDEN + 1)
    if not isinstance(shown, int) or shown % ROUNDING_BASE:
        raise ValueError(f"{shown!r} is not a protected count")
    low = max(shown - ROUNDING_BASE // 2, LARGEST_HIDDEN + 1)
    return range(low, shown + ROUNDING_BASE // 2 + 1)


def protect(report: Report) -> Report:
    """Return the report as its audience may see it (only the funder view is changed)."""
    if report.audience != "funder":
        return report
    return _map_people(funder_layout(report), protect_count)


def funder_layout(report: Report) -> Report:
    """Return the report's tables as the funder view lays them out, its values still exact."""
    sections = tuple(
        dataclasses.replace(
            section,
            figures=tuple(
                figure for figure in section.figures if figure.key not in LEFT_OUT_FOR_FUNDERS
            ),
            tables=tuple(
                _one_row(table) if table.key in ONE_ROW_FOR_FUNDERS else table
                for table in section.tables
                if table.key not in LEFT_OUT_FOR_FUNDERS
            ),
        )
        for section in report.sections
    )
    kept = tuple(section for section in sections if section.figures or section.tables)
    return dataclasses.replace(report, sections=kept)


def _map_people(report: Report, change: Callable[[Value], Value]) -> Report:
    """Return the report with `change` applied to every count of people in it."""
    sections = tuple(
        dataclasses.replace(
            section,
            figures=tuple(
                dataclasses.replace(figure, value=change(figure.value))
                if figure.kind == PEOPLE
                else figure
                for figure in section.figures
            ),
            tables=tuple(_map_table(table, change) for table in section.tables),
        )
        for section in report.sections
    )
    return dataclasses.replace(report, sections=sections)


def _map_table(table: Table, change: Callable[[Value], Value]) -> Table:
    people = {n for n, column in enumerate(table.columns) if column.kind == PEOPLE}
    if not people:
        return table
    rows = tuple(
        tuple(change(value) if n in people else value for n, value in enumerate(row))
        for row in table.rows
    )
    return dataclasses.replace(table, rows=rows)


def _one_row(table: Table) -> Table:
    """Add a table's rows into one for the whole period (a column with an unknown stays so)."""
    if not table.rows:
        return table
    total: list[Value] = ["The whole period"]
    for n, column in enumerate(table.columns[1:], start=1):
        values = [row[n] for row in table.rows]
        if column.kind != PEOPLE or any(not isinstance(v, int) for v in values):
            total.append(None)
        else:
            total.append(sum(v for v in values if isinstance(v, int)))
    first = dataclasses.replace(table.columns[0], label="Joined in", kind="text")
    return dataclasses.replace(table, columns=(first, *table.columns[1:]), rows=(tuple(total),))
