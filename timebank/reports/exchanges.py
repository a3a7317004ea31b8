"""Hours and exchanges in a period: totals, by month and by kind of help, group or not.

One grouped pass over the period's counted exchanges gives the minutes credited and the
exchanges per month and kind of help. Hours of help count volunteers' time: a group exchange
counts its length once for each giver, not once for each receiver, so the few group
exchanges are read apart (`group_sessions`) and the difference taken off their month.
"""

from __future__ import annotations

import typing
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from timebank.ledger.models import Account
from timebank.members.models import Member, is_not_staff
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import (
    any_of,
    counted_trades,
    month_number,
    number_of_month,
    transfers,
)
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
class GroupSession:
    """One group exchange of the period: when, what, who gave and received, and its minutes."""

    month: int
    category: str | None
    givers: frozenset[int]
    receivers: frozenset[int]
    # What the ledger credited the givers (once per giver and receiver pair).
    credited: int
    # The givers' own time: the length once per giver.
    given: int
    # Each giver and receiver pair: one transfer each.
    trades: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class ExchangeTotals:
    """The period's exchanges, summed three ways; minutes are hours of help given."""

    minutes: int
    exchanges: int
    by_month: dict[int, tuple[int, int]]
    by_category: dict[str | None, tuple[int, int]]
    # The minutes the ledger credited: a group exchange once per giver and receiver pair.
    credited: int = 0


def _grouped(scope: Scope) -> sa.Select[Any]:
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


def group_sessions(scope: Scope) -> list[GroupSession]:
    """Return the period's group exchanges, read from the transfer log in either case.

    Group exchanges are a small share of all and are found through their own index, so this
    stays quick for a big bank, and both ways of building a report give the same figures.
    A giver whose receivers confirmed different lengths gave the longest of them.
    """
    transfer = transfers()
    query = (
        counted_trades(scope.bank_id, scope.period.start, scope.period.end)
        .add_columns(
            transfer.c.group_id,
            transfer.c.happened_on,
            transfer.c.skill_category,
            transfer.c.credit_account_id,
            transfer.c.debit_account_id,
            transfer.c.amount,
        )
        .where(transfer.c.group_id.is_not(None))
    )
    found: dict[typing.Any, list[typing.Any]] = defaultdict(list)
    for row in scope.session.execute(query):
        found[row.group_id].append(row)
    return [_session(parts) for parts in found.values()]


def _session(parts: list[typing.Any]) -> GroupSession:
    longest: dict[int, int] = defaultdict(int)
    for part in parts:
        longest[part.credit_account_id] = max(longest[part.credit_account_id], part.amount)
    return GroupSession(
        month=number_of_month(parts[0].happened_on),
        category=parts[0].skill_category,
        givers=frozenset(longest),
        receivers=frozenset(part.debit_account_id for part in parts),
        credited=sum(int(part.amount) for part in parts),
        given=sum(longest.values()),
        trades=tuple((part.credit_account_id, part.debit_account_id) for part in parts),
    )


def totals(rows: list[Tally], groups: list[GroupSession] | None = None) -> ExchangeTotals:
    """Sum the tallies overall, by month and by kind of help, as hours of help given."""
    by_month: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    by_category: dict[str | None, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        for bucket in (by_month[row.month], by_category[row.category]):
            bucket[0] += row.minutes
            bucket[1] += row.exchanges
    groups = groups or []
    for session in groups:
        # The ledger credits each receiver's share; the givers gave their time once.
        for bucket in (by_month[session.month], by_category[session.category]):
            bucket[0] -= session.credited - session.given
    credited = sum(row.minutes for row in rows)
    return ExchangeTotals(
        minutes=credited - sum(s.credited - s.given for s in groups),
        exchanges=sum(row.exchanges for row in rows),
        by_month={key: (pair[0], pair[1]) for key, pair in by_month.items()},
        by_category={key: (pair[0], pair[1]) for key, pair in by_category.items()},
        credited=credited,
    )


def exchanges_section(
    scope: Scope, found: ExchangeTotals, groups: list[GroupSession], activity: sa.Table
) -> Section:
    """Build the report's section on hours and exchanges."""
    guard = scope.guard
    figures = (
        Figure(
            "hours_exchanged",
            "Hours of help given",
            guard.derived(found.minutes, found.exchanges),
            "minutes",
            DEFINITIONS["hours_exchanged"],
        ),
        Figure("exchanges", "Exchanges", guard.count(found.exchanges), "count",
               DEFINITIONS["exchanges"]),
        Figure("hours_credited", "Hours credited in members' accounts",
               guard.derived(found.credited, found.exchanges), "minutes",
               DEFINITIONS["hours_credited"]),
    )  # fmt: skip
    return Section(
        "exchanges",
        "Hours of help and exchanges",
        figures,
        (
            _by_month(scope, found),
            _by_category(scope, found),
            group_activity_table(scope, found, groups, activity),
        ),
    )


def _columns() -> tuple[Column, Column]:
    return Column("exchanges", "Exchanges"), Column("minutes", "Hours of help", "minutes")


def _by_month(scope: Scope, found: ExchangeTotals) -> Table:
    rows = []
    for month in scope.period.months():
        minutes, exchanges = found.by_month.get(number_of_month(month), (0, 0))
        rows.append((month, scope.guard.count(exchanges), scope.guard.derived(minutes, exchanges)))
    return Table(
        "exchanges_by_month",
        "Hours of help and exchanges by month",
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
        "Hours of help and exchanges by kind of help",
        DEFINITIONS["exchanges_by_category"],
        (Column("category", "Kind of help", "text"), *_columns()),
        rows,
        chart="bars",
        chart_columns=("minutes",),
    )


def _members_among(scope: Scope, accounts: set[int]) -> int:
    """Count the accounts in `accounts` that are members' (not staff's, not the bank's)."""
    if not accounts:
        return 0
    query = (
        sa.select(sa.func.count())
        .select_from(Account)
        .join(Member, Member.id == Account.member_id)
        .where(any_of(scope.session, Account.id, accounts), is_not_staff(Member.role))
    )
    return int(scope.session.scalar(query) or 0)


def _one_to_one(
    scope: Scope, activity: sa.Table, accounts: list[int], in_groups: Counter[int]
) -> set[int]:
    """Return those of `accounts` that traded outside group exchanges in the period."""
    from timebank.reports import summarised  # it reads Tally from here

    if scope.summaries and not summarised.cut_inside_one_month(scope):
        if "one_to_one" in activity.c:
            query = sa.select(activity.c.account_id).where(
                any_of(scope.session, activity.c.account_id, accounts), activity.c.one_to_one > 0
            )
            return {int(account) for account in scope.session.scalars(query)}
        return summarised.one_to_one_traders(scope, accounts)
    # Read from the log, each account's gave and received count its trades in the period:
    # more than its trades in groups means some were not.
    query = sa.select(activity.c.account_id, activity.c.gave + activity.c.received).where(
        any_of(scope.session, activity.c.account_id, accounts)
    )
    return {
        int(account)
        for account, trades in scope.session.execute(query)
        if int(trades or 0) > in_groups[int(account)]
    }


def one_to_one_people(scope: Scope, activity: sa.Table, groups: list[GroupSession]) -> int:
    """Count the members who gave or received help outside group exchanges in the period.

    Everyone who traded in the period, less those whose every trade was in a group exchange,
    so that the transfer log is read only for the few group exchanges.
    """
    in_groups: Counter[int] = Counter()
    for session in groups:
        for giver, receiver in session.trades:
            in_groups[giver] += 1
            in_groups[receiver] += 1
    members = is_not_staff(activity.c.role)
    traded = sa.or_(activity.c.gave > 0, activity.c.received > 0)
    traders = int(scope.session.scalar(sa.select(sa.func.count()).where(members, traded)) or 0)
    if not in_groups:
        return traders
    found = scope.session.scalars(
        sa.select(activity.c.account_id).where(
            members, any_of(scope.session, activity.c.account_id, in_groups)
        )
    )
    grouped = [int(account) for account in found]
    one_to_one = _one_to_one(scope, activity, grouped, in_groups)
    return traders - sum(1 for account in grouped if account not in one_to_one)


def group_activity_table(
    scope: Scope, found: ExchangeTotals, groups: list[GroupSession], activity: sa.Table
) -> Table:
    """Return group exchanges against one-to-one: sessions, people taking part, hours of help."""
    in_groups: set[int] = set()
    for session in groups:
        in_groups |= session.givers | session.receivers
    group_minutes = sum(session.given for session in groups)
    sessions = (len(groups), found.exchanges - len(groups))
    people = (_members_among(scope, in_groups), one_to_one_people(scope, activity, groups))
    minutes = (group_minutes, found.minutes - group_minutes)
    guard = scope.guard
    rows = tuple(
        (label, guard.count(sessions[k]), guard.count(people[k]),
         guard.derived(minutes[k], sessions[k]))
        for k, label in enumerate(("Group sessions", "One-to-one"))
    )  # fmt: skip
    return Table(
        "group_activity",
        "Group sessions and one-to-one help",
        DEFINITIONS["group_activity"],
        (
            Column("kind", "Kind of exchange", "text"),
            Column("sessions", "Exchanges"),
            Column("people", "People taking part", "people"),
            Column("minutes", "Hours of help", "minutes"),
        ),
        rows,
    )
