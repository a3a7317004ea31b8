"""Who has met whom: each member's circle, new connections and exchanges across areas.

One statement works out every pair of members who have ever exchanged, up to the period's
end, and the day they first did, and sums them two ways. The mix of areas comes from the
exchanges' own pass (see `exchanges.tallies`): each giver and receiver pair of a group
exchange counts once.
"""

from __future__ import annotations

import typing
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import (
    counted_trades,
    is_postgresql,
    median,
    month_number,
    number_of_month,
    transfers,
)
from timebank.reports.tables import Column, Figure, Section, Table

# How many different people a member has exchanged with, in bands: (label, lowest, highest).
BANDS = (
    ("1", 1, 1),
    ("2 to 3", 2, 3),
    ("4 to 6", 4, 6),
    ("7 to 10", 7, 10),
    ("11 or more", 11, None),
)


@dataclass(frozen=True)
class AreaMix:
    """The period's giver and receiver pairs whose areas are both known, and across areas."""

    known: int
    across: int


def _lower(session: typing.Any, a: typing.Any, b: typing.Any) -> typing.Any:
    return sa.func.least(a, b) if is_postgresql(session) else sa.func.min(a, b)


def _higher(session: typing.Any, a: typing.Any, b: typing.Any) -> typing.Any:
    return sa.func.greatest(a, b) if is_postgresql(session) else sa.func.max(a, b)


def _pairs(scope: Scope) -> sa.CTE:
    """Select every pair of members who exchanged up to the period's end, and their first day."""
    transfer = transfers()
    giver, receiver = transfer.c.credit_account_id, transfer.c.debit_account_id
    one = _lower(scope.session, giver, receiver).label("one")
    other = _higher(scope.session, giver, receiver).label("other")
    return (
        counted_trades(scope.bank_id, None, scope.period.end)
        .add_columns(one, other, sa.func.min(transfer.c.happened_on).label("first_day"))
        .group_by(one, other)
        .cte("pairs")
    )


def pair_figures(scope: Scope) -> tuple[Counter[int], dict[int, int]]:
    """Return how many members have each circle size, and new connections by month number.

    One statement: the pairs are worked out once (PostgreSQL keeps them in memory for both
    uses) and never written to a table.
    """
    pairs = _pairs(scope)
    ends = sa.union_all(
        sa.select(pairs.c.one.label("account_id")), sa.select(pairs.c.other)
    ).subquery("ends")
    sizes = (
        sa.select(sa.func.count().label("people"))
        .select_from(ends)
        .group_by(ends.c.account_id)
        .subquery("sizes")
    )
    month = month_number(scope.session, pairs.c.first_day)
    query = sa.union_all(
        sa.select(
            sa.literal(0).label("kind"), sizes.c.people.label("key"), sa.func.count()
        ).group_by(sizes.c.people),
        sa.select(sa.literal(1), month, sa.func.count())
        .where(pairs.c.first_day >= scope.period.start)
        .group_by(month),
    )
    circles: Counter[int] = Counter()
    connections: dict[int, int] = {}
    for kind, key, count in scope.session.execute(query):
        if kind == 0:
            circles[int(key)] = int(count)
        else:
            connections[int(key)] = int(count)
    return circles, connections


def median_of(sizes: Counter[int]) -> float | None:
    """Return the middle circle size of the members counted in `sizes`."""
    return median([float(size) for size, count in sizes.items() for _ in range(count)])


def band_counts(sizes: Counter[int]) -> list[tuple[str, int]]:
    """Return how many members fall in each band of circle size."""
    return [(label, sum(n for size, n in sizes.items() if _in_band(size, low, high)))
            for label, low, high in BANDS]  # fmt: skip


def _in_band(size: int, low: int, high: int | None) -> bool:
    return low <= size and (high is None or size <= high)


def networks_section(scope: Scope, mix: AreaMix) -> Section:
    """Build the report's section on members' networks (`mix`: the period's area mix)."""
    sizes, by_month = pair_figures(scope)
    members = sum(sizes.values())
    guard = scope.guard
    share = round(100 * mix.across / mix.known, 1) if mix.known else None
    figures = (
        Figure("median_partners", "Different people a member has exchanged with (middle value)",
               guard.derived(median_of(sizes), members), "count", DEFINITIONS["median_partners"]),
        Figure("new_connections", "New connections", guard.count(sum(by_month.values())),
               "count", DEFINITIONS["new_connections"]),
        Figure("cross_area_exchanges", "Exchanges between areas", guard.count(mix.across),
               "count", DEFINITIONS["cross_area_exchanges"]),
        Figure("cross_area_share", "Share of exchanges between areas",
               guard.derived(share, mix.known), "percent", DEFINITIONS["cross_area_share"]),
    )  # fmt: skip
    distribution = Table(
        "partners_distribution",
        "Members by how many different people they have exchanged with",
        DEFINITIONS["partners_distribution"],
        (Column("people", "Different people", "text"), Column("members", "Members")),
        tuple((label, guard.count(count)) for label, count in band_counts(sizes)),
        chart="bars",
        chart_columns=("members",),
    )
    growth = Table(
        "connections_by_month",
        "New connections by month",
        DEFINITIONS["connections_by_month"],
        (month_column(), Column("new_connections", "New connections")),
        tuple(
            (month, guard.count(by_month.get(number_of_month(month), 0)))
            for month in scope.period.months()
        ),
        chart="line",
        chart_columns=("new_connections",),
    )
    return Section("networks", "Networks", figures, (distribution, growth))
