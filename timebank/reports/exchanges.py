"""Hours and exchanges in a period: totals, by month and by kind of help.

One grouped pass over the period's counted exchanges gives minutes and exchanges per month
and kind of help; every figure here is a sum of those few rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import counted_trades, month_number, number_of_month, transfers
from timebank.reports.tables import Column, Figure, Section, Table

NOT_SAID = "Not said"


@dataclass(frozen=True)
class Tally:
    """Minutes and exchanges of one month and kind of help."""

    month: int
    category: str | None
    minutes: int
    exchanges: int


@dataclass(frozen=True)
class ExchangeTotals:
    """The period's exchanges, summed three ways."""

    minutes: int
    exchanges: int
    by_month: dict[int, tuple[int, int]]
    by_category: dict[str | None, tuple[int, int]]


def tallies(scope: Scope) -> list[Tally]:
    """Return the period's minutes and exchanges per month and kind of help."""
    transfer = transfers()
    month = month_number(scope.session, transfer.c.happened_on).label("month")
    # A group exchange is several transfers sharing a group id; it counts once.
    single = sa.func.count(sa.case((transfer.c.group_id.is_(None), 1)))
    query = (
        counted_trades(scope.bank_id, scope.period.start, scope.period.end)
        .add_columns(
            month,
            transfer.c.skill_category,
            sa.func.sum(transfer.c.amount),
            single + sa.func.count(sa.distinct(transfer.c.group_id)),
        )
        .group_by(month, transfer.c.skill_category)
    )
    return [
        Tally(int(row[0]), row[1], int(row[2] or 0), int(row[3]))
        for row in scope.session.execute(query)
    ]


def totals(rows: list[Tally]) -> ExchangeTotals:
    """Sum the tallies overall, by month and by kind of help."""
    by_month: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_category: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        for bucket in (by_month[row.month], by_category[row.category]):
            bucket[0] += row.minutes
            bucket[1] += row.exchanges
    return ExchangeTotals(
        minutes=sum(row.minutes for row in rows),
        exchanges=sum(row.exchanges for row in rows),
        by_month={key: (pair[0], pair[1]) for key, pair in by_month.items()},
        by_category={key: (pair[0], pair[1]) for key, pair in by_category.items()},
    )


def exchanges_section(scope: Scope, found: ExchangeTotals) -> Section:
    """Build the report's section on hours and exchanges."""
    guard = scope.guard
    figures = (
        Figure(
            "hours_exchanged",
            "Hours exchanged",
            guard.derived(found.minutes, found.exchanges),
            "minutes",
            DEFINITIONS["hours_exchanged"],
        ),
        Figure("exchanges", "Exchanges", guard.count(found.exchanges), "count",
               DEFINITIONS["exchanges"]),
    )  # fmt: skip
    return Section(
        "exchanges",
        "Hours and exchanges",
        figures,
        (_by_month(scope, found), _by_category(scope, found)),
    )


def _columns() -> tuple[Column, Column]:
    return Column("exchanges", "Exchanges"), Column("minutes", "Hours", "minutes")


def _by_month(scope: Scope, found: ExchangeTotals) -> Table:
    rows = []
    for month in scope.period.months():
        minutes, exchanges = found.by_month.get(number_of_month(month), (0, 0))
        rows.append((month, scope.guard.count(exchanges), scope.guard.derived(minutes, exchanges)))
    return Table(
        "exchanges_by_month",
        "Hours and exchanges by month",
        DEFINITIONS["exchanges_by_month"],
        (month_column(), *_columns()),
        tuple(rows),
        chart="bars",
        chart_columns=("minutes",),
    )


def _by_category(scope: Scope, found: ExchangeTotals) -> Table:
    ordered = sorted(found.by_category.items(), key=lambda item: (-item[1][0], item[0] or "~"))
    guard = scope.guard
    rows = tuple(
        (category or NOT_SAID, guard.count(exchanges), guard.derived(minutes, exchanges))
        for category, (minutes, exchanges) in ordered
    )
    return Table(
        "exchanges_by_category",
        "Hours and exchanges by kind of help",
        DEFINITIONS["exchanges_by_category"],
        (Column("category", "Kind of help", "text"), *_columns()),
        rows,
        chart="bars",
        chart_columns=("minutes",),
    )
