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


def _grouped(scope: Scope) -> sa.Select:
    """Sum the period's trades per day and kind of help (one pass, no joins)."""
    transfer = transfers()
    # By day, not month: the database groups dates far faster than it works out months.
    keys = (transfer.c.happened_on, transfer.c.skill_category)
    return (
        counted_trades(scope.bank_id, scope.period.start, scope.period.end)
        .add_columns(
            *keys,
            sa.func.count(sa.case((transfer.c.group_id.is_(None), 1))),
            sa.func.sum(transfer.c.amount),
        )
        .group_by(*keys)
    )


def _group_exchanges(scope: Scope) -> dict[tuple[int, str | None], int]:
    """Count the period's group exchanges per month and kind of help (each group once)."""
    transfer = transfers()
    month = month_number(scope.session, transfer.c.happened_on)
    query = (
        counted_trades(scope.bank_id, scope.period.start, scope.period.end)
        .add_columns(
            month, transfer.c.skill_category, sa.func.count(sa.distinct(transfer.c.group_id))
        )
        .where(transfer.c.group_id.is_not(None))
        .group_by(month, transfer.c.skill_category)
    )
    # Few rows: group exchanges are a small share of all, found through their own index.
    return {(int(row[0]), row[1]): int(row[2]) for row in scope.session.execute(query)}


def tallies(scope: Scope) -> list[Tally]:
    """Return the period's minutes and exchanges per month and kind of help."""
    if scope.summaries:
        from timebank.reports import summarised  # it reads Tally from here

        return summarised.tallies(scope)
    # A group exchange is several transfers sharing a group id; it counts once. Counting
    # groups apart keeps the big pass free of a count of distinct values, so PostgreSQL
    # can share it between cores.
    found: dict[tuple[int, str | None], list[int]] = defaultdict(lambda: [0, 0])
    for day, category, singles, minutes in scope.session.execute(_grouped(scope)):
        sums = found[(number_of_month(day), category)]
        sums[0] += int(minutes or 0)
        sums[1] += int(singles)
    for key, groups in _group_exchanges(scope).items():
        found[key][1] += groups
    return [Tally(month, category, *sums) for (month, category), sums in found.items()]


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
