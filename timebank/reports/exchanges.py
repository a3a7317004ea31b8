"""Hours and exchanges in a period: totals, by month and by kind of help.

One grouped pass over the period's counted exchanges gives minutes and exchanges per month
and kind of help; every figure here is a sum of those few rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from timebank.ledger.models import Account
from timebank.members.models import Member
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.models import MonthTotal
from timebank.reports.period import first_of_month
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import counted_trades, month_number, number_of_month, transfers
from timebank.reports.tables import Column, Figure, Section, Table

NOT_SAID = "Not said"


@dataclass(frozen=True)
class Tally:
    """Minutes and exchanges of one month and kind of help, and their pairs' areas."""

    month: int
    category: str | None
    minutes: int
    exchanges: int
    # Giver and receiver pairs with both areas known, and those across two areas.
    known_pairs: int = 0
    across_pairs: int = 0


@dataclass(frozen=True)
class ExchangeTotals:
    """The period's exchanges, summed three ways."""

    minutes: int
    exchanges: int
    by_month: dict[int, tuple[int, int]]
    by_category: dict[str | None, tuple[int, int]]
    known_pairs: int = 0
    across_pairs: int = 0


def _areas() -> sa.Subquery:
    return (
        sa.select(Account.id, Member.area)
        .join(Member, Member.id == Account.member_id)
        .where(Member.area.is_not(None))
        .subquery()
    )


def _grouped(scope: Scope) -> sa.Subquery:
    """Sum the period's trades per month, kind of help, group exchange and area mix."""
    transfer = transfers()
    giver, receiver = _areas().alias("giver_area"), _areas().alias("receiver_area")
    month = month_number(scope.session, transfer.c.happened_on).label("month")
    mix = sa.case(
        (sa.or_(giver.c.area.is_(None), receiver.c.area.is_(None)), None),
        (giver.c.area == receiver.c.area, 0),
        else_=1,
    ).label("across")
    keys = (month, transfer.c.skill_category.label("category"), transfer.c.group_id, mix)
    return (
        counted_trades(scope.bank_id, scope.period.start, scope.period.end)
        .add_columns(
            *keys,
            sa.func.count().label("trades"),
            sa.func.sum(transfer.c.amount).label("minutes"),
        )
        .select_from(transfer)
        .outerjoin(giver, giver.c.id == transfer.c.credit_account_id)
        .outerjoin(receiver, receiver.c.id == transfer.c.debit_account_id)
        .group_by(*keys)
        .subquery("grouped")
    )


def tallies(scope: Scope) -> list[Tally]:
    """Return the period's minutes and exchanges per month and kind of help."""
    if scope.summaries:
        return summed_tallies(scope)
    grouped = _grouped(scope)
    # Grouping by group id first leaves few rows, so counting distinct groups is cheap.
    exchanges = sa.func.sum(
        sa.case((grouped.c.group_id.is_(None), grouped.c.trades), else_=0)
    ) + sa.func.count(sa.distinct(grouped.c.group_id))
    query = sa.select(
        grouped.c.month,
        grouped.c.category,
        sa.func.sum(grouped.c.minutes),
        exchanges,
        sa.func.sum(sa.case((grouped.c.across.is_not(None), grouped.c.trades), else_=0)),
        sa.func.sum(sa.case((grouped.c.across == 1, grouped.c.trades), else_=0)),
    ).group_by(grouped.c.month, grouped.c.category)
    return [
        Tally(int(row[0]), row[1], int(row[2] or 0), int(row[3]), int(row[4]), int(row[5]))
        for row in scope.session.execute(query)
    ]


def summed_tallies(scope: Scope) -> list[Tally]:
    """Return the tallies from the kept month totals (whole months only)."""
    total = MonthTotal
    known = sa.case((total.areas != "unknown", total.trades), else_=0)
    across = sa.case((total.areas == "different", total.trades), else_=0)
    query = (
        sa.select(
            total.month,
            total.skill_category,
            sa.func.sum(total.minutes),
            sa.func.sum(total.exchanges),
            sa.func.sum(known),
            sa.func.sum(across),
        )
        .where(
            total.bank_id == scope.bank_id,
            total.month.between(first_of_month(scope.period.start), scope.period.end),
        )
        .group_by(total.month, total.skill_category)
    )
    return [
        Tally(number_of_month(row[0]), row[1], int(row[2]), int(row[3]), int(row[4]), int(row[5]))
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
        known_pairs=sum(row.known_pairs for row in rows),
        across_pairs=sum(row.across_pairs for row in rows),
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
