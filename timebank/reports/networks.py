"""Who has met whom: each member's circle, new connections, areas and mixing.

Read from the pairs of members who ever exchanged (see `timebank.reports.pairs`). For the
mix of areas, and for mixing (referred people exchanging with members who were not
referred), each giver and receiver pair of a group exchange counts once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.ledger.models import Account
from timebank.members.models import Member, is_not_staff
from timebank.referrals.models import Referral
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import (
    counted_trades,
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


@dataclass(frozen=True)
class Mixing:
    """The period's giver and receiver pairs with a referred member, and those mixed."""

    referred: int
    mixed: int


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


def mixing(scope: Scope) -> Mixing:
    """Count the period's pairs with a referred member, and those made with a member who was not.

    Referred: a referral partner (such as a GP practice) referred them and they joined.
    Read from the transfer log, for either way of building a report: referred members'
    trades are few, and found through the accounts' indexes.
    """
    transfer = transfers()
    referred = sa.select(Referral.member_id).where(
        Referral.bank_id == scope.bank_id,
        Referral.partner_id.is_not(None),
        Referral.member_id.is_not(None),
    )
    giver, receiver = so.aliased(Member, name="giver"), so.aliased(Member, name="receiver")
    giver_account = so.aliased(Account, name="giver_account")
    receiver_account = so.aliased(Account, name="receiver_account")
    gave, got = giver.id.in_(referred), receiver.id.in_(referred)
    # Through the accounts' own indexes: only referred members' trades are read.
    accounts = sa.select(Account.id).where(Account.member_id.in_(referred))
    theirs = sa.or_(
        transfer.c.credit_account_id.in_(accounts), transfer.c.debit_account_id.in_(accounts)
    )
    mixed = sa.or_(
        sa.and_(gave, ~got, is_not_staff(receiver.role)),
        sa.and_(got, ~gave, is_not_staff(giver.role)),
    )
    query = (
        counted_trades(scope.bank_id, scope.period.start, scope.period.end)
        .add_columns(sa.func.count(), sa.func.count(sa.case((mixed, 1))))
        .select_from(transfer)
        .join(giver_account, giver_account.id == transfer.c.credit_account_id)
        .join(giver, giver.id == giver_account.member_id)
        .join(receiver_account, receiver_account.id == transfer.c.debit_account_id)
        .join(receiver, receiver.id == receiver_account.member_id)
        .where(theirs)
    )
    total, with_others = scope.session.execute(query).one()
    return Mixing(int(total), int(with_others))


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
