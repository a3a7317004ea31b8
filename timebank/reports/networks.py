"""Who has met whom: each member's circle, new connections, areas and mixing.

Read from the pairs of members who ever exchanged (see `timebank.reports.pairs`). For the
mix of areas, and for mixing (referred people exchanging with members who were not
referred), each giver and receiver pair of a group exchange counts once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from timebank.members.models import is_not_staff
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.mixing import mixing
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import (
    median,
    month_number,
    number_of_month,
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


def circle_sizes(scope: Scope, activity: sa.Table) -> Counter[int]:
    """Return how many members have exchanged with each number of different people."""
    query = (
        sa.select(activity.c.partners, sa.func.count())
        .where(is_not_staff(activity.c.role))
        .group_by(activity.c.partners)
    )
    return Counter({int(size): int(count) for size, count in scope.session.execute(query)})


def new_connections(scope: Scope, pairs: sa.Table) -> dict[int, int]:
    """Return the pairs who first exchanged in each month of the period, by month number."""
    month = month_number(scope.session, pairs.c.first_day)
    query = (
        sa.select(month, sa.func.count())
        .where(pairs.c.first_day >= scope.period.start)
        .group_by(month)
    )
    return {int(number): int(count) for number, count in scope.session.execute(query)}


def area_mix(scope: Scope, pairs: sa.Table, activity: sa.Table) -> AreaMix:
    """Return the period's giver and receiver pairs with both areas known, and across areas."""
    if scope.summaries:
        from timebank.reports import summarised  # it reads AreaMix from here

        return summarised.area_mix(scope)
    first, second = activity.alias("first_end"), activity.alias("second_end")
    trades = pairs.c.one_gave + pairs.c.other_gave
    query = (
        sa.select(
            sa.func.coalesce(sa.func.sum(trades), 0),
            sa.func.coalesce(sa.func.sum(sa.case((first.c.area != second.c.area, trades))), 0),
        )
        .select_from(pairs)
        .join(first, first.c.account_id == pairs.c.one)
        .join(second, second.c.account_id == pairs.c.other)
        .where(trades > 0, first.c.area.is_not(None), second.c.area.is_not(None))
    )
    known, across = scope.session.execute(query).one()
    return AreaMix(int(known), int(across))


def median_of(sizes: Counter[int]) -> float | None:
    """Return the middle circle size of the members counted in `sizes`."""
    return median([float(size) for size, count in sizes.items() for _ in range(count)])


def band_counts(sizes: Counter[int]) -> list[tuple[str, int]]:
    """Return how many members fall in each band of circle size."""
    return [(label, sum(n for size, n in sizes.items() if _in_band(size, low, high)))
            for label, low, high in BANDS]  # fmt: skip


def _in_band(size: int, low: int, high: int | None) -> bool:
    return low <= size and (high is None or size <= high)


def networks_section(scope: Scope, pairs: sa.Table, activity: sa.Table) -> Section:
    """Build the report's section on members' networks (see `timebank.reports.pairs`)."""
    sizes = circle_sizes(scope, activity)
    by_month = new_connections(scope, pairs)
    mix = area_mix(scope, pairs, activity)
    members = sum(sizes.values())
    guard = scope.guard
    share = round(100 * mix.across / mix.known, 1) if mix.known else None
    figures = (
        Figure("median_partners", "Different people a member has exchanged with (middle value)",
               guard.derived(median_of(sizes), members), "count", DEFINITIONS["median_partners"]),
        _new_connections(scope, by_month),
        Figure("cross_area_exchanges", "Giver and receiver pairs between areas",
               guard.count(mix.across), "count", DEFINITIONS["cross_area_exchanges"]),
        Figure("cross_area_share", "Share of giver and receiver pairs between areas",
               guard.derived(share, mix.known), "percent", DEFINITIONS["cross_area_share"]),
        *_mixing_figures(scope),
    )  # fmt: skip
    distribution = Table(
        "partners_distribution",
        "Members by how many different people they have exchanged with",
        DEFINITIONS["partners_distribution"],
        (Column("people", "Different people", "text"), Column("members", "Members", "people")),
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


def networks_summary(scope: Scope, pairs: sa.Table) -> Section:
    """Build the networks section with only the figures a summary page compares."""
    figures = (_new_connections(scope, new_connections(scope, pairs)), *_mixing_figures(scope))
    return Section("networks", "Networks", figures)


def _new_connections(scope: Scope, by_month: dict[int, int]) -> Figure:
    return Figure(
        "new_connections",
        "New connections (pairs of members)",
        scope.guard.count(sum(by_month.values())),
        "count",
        DEFINITIONS["new_connections"],
    )


def _mixing_figures(scope: Scope) -> tuple[Figure, ...]:
    """Return the mixing figures: referred members' pairs, those with others, and the share."""
    guard = scope.guard
    mixed = mixing(scope)
    share = round(100 * mixed.mixed / mixed.referred, 1) if mixed.referred else None
    return (
        Figure("referred_pairs", "Giver and receiver pairs with a referred member",
               guard.count(mixed.referred), "people", DEFINITIONS["referred_pairs"]),
        Figure("mixed_pairs", "Of those, with a member who was not referred",
               guard.count(mixed.mixed), "people", DEFINITIONS["mixed_pairs"]),
        Figure("mixing_share", "Share of referred members' pairs made with others",
               guard.derived(share, mixed.referred), "percent", DEFINITIONS["mixing_share"]),
    )  # fmt: skip
