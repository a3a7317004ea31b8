"""The report's sums read from the kept summaries instead of the transfer log.

Each function here gives what its namesake in the builders gives for the same period, in the
same shape, so the figures are worked out the same way from either.
`tests/integration/test_report_summaries.py` holds them to that, for whole months and for
periods that start or end inside a month. Days are exact from the day totals; an account's
sums come from its whole months, and from the transfer log only for the days of a month the
period cuts into.
"""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import sqlalchemy as sa

from timebank.ledger.models import Account
from timebank.members.models import Member
from timebank.reports.definitions import ACTIVE_DAYS
from timebank.reports.exchanges import Tally
from timebank.reports.models import (
    AccountMonth,
    AccountPair,
    AccountTotal,
    DayTotal,
    SummaryRefresh,
)
from timebank.reports.networks import AreaMix
from timebank.reports.pairs import ACCOUNTS_TABLE, PAIRS_TABLE, first_bit_month
from timebank.reports.period import first_of_month, last_day_of_month
from timebank.reports.scope import Scope
from timebank.reports.scratch import (
    any_of,
    counted_trades,
    create_scratch,
    months_since,
    number_of_month,
    transfers,
)
from timebank.reports.summaries import RECENT_MONTHS


def _days(scope: Scope) -> sa.ColumnElement[bool]:
    """Return the condition that a kept day lies in the period."""
    return DayTotal.day.between(scope.period.start, scope.period.end)


def latest_day(scope: Scope) -> dt.date | None:
    """Return the latest day the bank's counted exchanges happened on (or a day after it)."""
    return scope.session.scalar(
        sa.select(SummaryRefresh.latest_day).where(SummaryRefresh.bank_id == scope.bank_id)
    )


def tallies(scope: Scope) -> list[Tally]:
    """Return the period's minutes and exchanges per month and kind of help."""
    total = DayTotal
    query = (
        sa.select(
            total.day,
            total.skill_category,
            sa.func.sum(total.minutes),
            sa.func.sum(total.exchanges),
        )
        .where(total.bank_id == scope.bank_id, _days(scope))
        .group_by(total.day, total.skill_category)
    )
    found: dict[tuple[int, str | None], list[int]] = {}
    for day, category, minutes, exchanges in scope.session.execute(query):
        sums = found.setdefault((number_of_month(day), category), [0, 0])
        sums[0] += int(minutes)
        sums[1] += int(exchanges)
    return [Tally(month, category, *sums) for (month, category), sums in found.items()]


def area_mix(scope: Scope) -> AreaMix:
    """Return the period's giver and receiver pairs with both areas known, and across areas."""
    total = DayTotal
    known = sa.case((total.areas != "unknown", total.trades), else_=0)
    across = sa.case((total.areas == "different", total.trades), else_=0)
    query = sa.select(
        sa.func.coalesce(sa.func.sum(known), 0), sa.func.coalesce(sa.func.sum(across), 0)
    ).where(total.bank_id == scope.bank_id, _days(scope))
    found_known, found_across = scope.session.execute(query).one()
    return AreaMix(int(found_known), int(found_across))


def pairs(scope: Scope) -> sa.Table:
    """Fill the pairs scratch table: the pairs who first exchanged in the period.

    Only new connections read it when the figures come from the summaries (the accounts'
    sums and the mix of areas have kept rows of their own), so earlier pairs are left out.
    """
    pair = AccountPair
    query = sa.select(
        pair.one_account_id.label("one"),
        pair.other_account_id.label("other"),
        pair.first_day.label("first_day"),
    ).where(
        pair.bank_id == scope.bank_id, pair.first_day.between(scope.period.start, scope.period.end)
    )
    return create_scratch(scope.session, PAIRS_TABLE, query)


def accounts(scope: Scope) -> sa.Table:
    """Fill the accounts scratch table: partners, months, last day, gave, received, area, role.

    Every member's account that exchanged by the period's end has a row. The last day is only
    filled in for those who traded since the earliest day a member figure looks at. Read
    from the months, the table also says whether each exchanged one-to-one in the period.
    """
    quick = _accounts_so_far(scope)
    if quick is not None:
        return create_scratch(scope.session, ACCOUNTS_TABLE, quick)
    partners = _partners_so_far(scope) if _reaches_latest(scope) else _partners(scope)
    window = _window(scope)
    query = (
        sa.select(
            partners.c.account_id,
            partners.c.partners,
            # Untyped, as on the direct path, so shifting it by a plain number binds the same.
            sa.type_coerce(sa.func.coalesce(window.c.months, 0), sa.types.NullType).label("months"),
            window.c.last_day,
            sa.func.coalesce(window.c.gave, 0).label("gave"),
            sa.func.coalesce(window.c.received, 0).label("received"),
            Member.area,
            Member.role,
            # Whether it exchanged outside group exchanges in the period (above 0).
            sa.func.coalesce(window.c.one_to_one, 0).label("one_to_one"),
        )
        .select_from(partners)
        .outerjoin(window, window.c.account_id == partners.c.account_id)
        .join(Account, Account.id == partners.c.account_id)
        .join(Member, Member.id == Account.member_id)
    )
    return create_scratch(scope.session, ACCOUNTS_TABLE, query)


def _accounts_so_far(scope: Scope) -> sa.Select[Any] | None:
    """Select the accounts' sums from their totals so far, if the period reaches that far.

    When the period ends on or after the latest exchange, everything so far is everything up
    to the period's end, so each account's sums come from its one row of totals. Gave and
    received then say only whether it did (1) or not (0) in the period: the figures ask no
    more of them. None when the period ends earlier.
    """
    kept = scope.session.get(SummaryRefresh, scope.bank_id)
    if kept is None or kept.latest_day is None or scope.period.end < kept.latest_day:
        return None
    if scope.period.start.day != 1:
        # Gave and received in the period start inside a month: the kept months cannot say.
        return None
    total = AccountTotal
    # Bit 62 of recent_months is the latest exchange's month; bit 0 of months (as the
    # direct path sets them) is the first month before the period that it looks back on.
    shift = number_of_month(first_bit_month(scope)) - (
        number_of_month(kept.latest_day) - (RECENT_MONTHS - 1)
    )
    if shift < 0:
        return None
    months = (
        total.recent_months.op(">>")(shift) if shift < RECENT_MONTHS else sa.literal_column("0")
    )
    start = scope.period.start
    return (
        sa.select(
            total.account_id,
            # A count, as on the other paths: PostgreSQL's cached plans of the same
            # statement on this connection must get the same type back.
            sa.cast(total.partners, sa.BigInteger).label("partners"),
            sa.type_coerce(months, sa.types.NullType).label("months"),
            total.last_day,
            sa.case((total.last_gave_month >= start, 1), else_=0).label("gave"),
            sa.case((total.last_received_month >= start, 1), else_=0).label("received"),
            Member.area,
            Member.role,
        )
        .join(Account, Account.id == total.account_id)
        .join(Member, Member.id == Account.member_id)
        .where(total.bank_id == scope.bank_id)
    )


def _reaches_latest(scope: Scope) -> bool:
    """Return True when the period ends on or after the latest exchange kept."""
    latest = latest_day(scope)
    return latest is not None and scope.period.end >= latest


def _partners_so_far(scope: Scope) -> sa.Subquery:
    """Take each account's partners from its totals so far (all its pairs, one row each).

    Only for a period that reaches the latest exchange: every pair then first exchanged by
    its end, so these are the pairs `_partners` would count.
    """
    total = AccountTotal
    return (
        sa.select(
            total.account_id.label("account_id"),
            # A count, as `_partners` gives, for the same statement's cached plans.
            sa.cast(total.partners, sa.BigInteger).label("partners"),
        )
        .where(total.bank_id == scope.bank_id)
        .subquery("partners")
    )


def _partners(scope: Scope) -> sa.Subquery:
    """Count each account's partners: the pairs it is in that first exchanged by the end."""
    pair = AccountPair
    mine = (pair.bank_id == scope.bank_id, pair.first_day <= scope.period.end)
    ends = sa.union_all(
        sa.select(pair.one_account_id.label("account_id")).where(*mine),
        sa.select(pair.other_account_id).where(*mine),
    ).subquery("ends")
    return (
        sa.select(ends.c.account_id, sa.func.count().label("partners"))
        .group_by(ends.c.account_id)
        .subquery("partners")
    )


def _tail_cut(scope: Scope) -> bool:
    """Return True when the period ends inside a month that has exchanges after its end."""
    end = scope.period.end
    latest = latest_day(scope)
    return end != last_day_of_month(end) and latest is not None and end < latest


def cut_inside_one_month(scope: Scope) -> bool:
    """Return True when the period lies in one month, cut at both ends.

    Only then do a month's first and last days not say what happened within the period.
    """
    period = scope.period
    same = first_of_month(period.start) == first_of_month(period.end)
    return same and period.start.day != 1 and _tail_cut(scope)


def _window(scope: Scope) -> sa.Subquery:
    """Sum each account's months from the earliest one a member figure looks at.

    Whole months come from the kept months. In a month the period starts inside, an account
    gave (or received) in the period exactly when the last day it did so that month falls on
    or after the start; in a month it ends inside (before the latest exchange), when the first
    day falls on or before the end, and that month counts towards its months and last day
    only if its first trading day does. So gave and received here say whether (above 0), not
    how often, and the last day of such a month may be an earlier trading day of it (every day
    of it lies in the 90 days the figures ask about). Only a period inside one month, cut at
    both ends, reads that month's days from the transfer log.
    """
    period = scope.period
    first_month = first_bit_month(scope)
    since = period.end - dt.timedelta(days=ACTIVE_DAYS - 1)
    earliest = min(first_month, since)
    tail = first_of_month(period.end)
    tail_cut = _tail_cut(scope)
    inside = cut_inside_one_month(scope)
    bits = len(period.months()) + 2
    kept = AccountMonth
    shift = months_since(scope.session, kept.month, first_month, bits)
    # Cast in the SQL itself: a plain 1 is a 32-bit number, whose shifts wrap at 32.
    one = sa.cast(sa.literal(1), sa.BigInteger)
    start, end = period.start, period.end
    # Each kept month: whole (or reaching no further than the latest exchange), cut by the
    # start, or cut by the end.
    at_start = sa.and_(kept.month < start, kept.month >= first_of_month(start))
    at_end = sa.and_(kept.month == tail, sa.literal(tail_cut))
    counted = sa.and_(kept.first_day <= end) if tail_cut else sa.true()

    def side(count: typing.Any, first: typing.Any, last: typing.Any) -> typing.Any:
        return sa.case(
            (at_start, sa.case((last >= start, 1), else_=0)),
            (at_end, sa.case((first <= end, 1), else_=0)),
            (kept.month >= start, count),
            else_=0,
        )

    bit = sa.case(
        (sa.and_(kept.month >= first_month, sa.or_(~at_end, counted)), one.op("<<")(shift)),
        else_=0,
    )
    last_day = sa.case(
        (~at_end, kept.last_day),
        (kept.last_day <= end, kept.last_day),
        (kept.first_day <= end, kept.first_day),
    )
    months: sa.ColumnElement[bool] = kept.month.between(first_of_month(earliest), period.end)
    if inside:
        months = sa.and_(months, kept.month < tail)
    parts: list[sa.Select[Any]] = [
        sa.select(
            kept.account_id.label("account_id"),
            bit.label("bit"),
            last_day.label("last_day"),
            side(kept.gave, kept.gave_first_day, kept.gave_last_day).label("gave"),
            side(kept.received, kept.received_first_day, kept.received_last_day).label("received"),
            side(
                sa.case((kept.single_first_day.is_not(None), 1), else_=0),
                kept.single_first_day,
                kept.single_last_day,
            ).label("one_to_one"),
        ).where(kept.bank_id == scope.bank_id, months, kept.last_day >= earliest)
    ]
    if inside:
        parts.append(_month_read(scope, tail, bit=len(period.months()) + 1))
    rows = sa.union_all(*parts).subquery("kept_and_read")
    return (
        sa.select(
            rows.c.account_id,
            # One row per account and month, so adding each month's bit sets it once; the
            # sum is a decimal on PostgreSQL, so it is cast back to a whole number.
            sa.cast(sa.func.coalesce(sa.func.sum(rows.c.bit), 0), sa.BigInteger).label("months"),
            sa.func.max(rows.c.last_day).label("last_day"),
            sa.func.sum(rows.c.gave).label("gave"),
            sa.func.sum(rows.c.received).label("received"),
            sa.func.sum(rows.c.one_to_one).label("one_to_one"),
        )
        .group_by(rows.c.account_id)
        .subquery("window")
    )


def one_to_one_traders(scope: Scope, accounts: list[int]) -> set[int]:
    """Return those of `accounts` that exchanged outside a group exchange in the period.

    From their kept months: a month's first and last days of such exchanges say whether one
    fell in the period (not for a period inside one month, cut at both ends).
    """
    kept = AccountMonth
    start, end = scope.period.start, scope.period.end
    query = (
        sa.select(kept.account_id)
        .where(
            kept.bank_id == scope.bank_id,
            any_of(scope.session, kept.account_id, accounts),
            kept.month.between(first_of_month(start), end),
            kept.single_first_day <= end,
            kept.single_last_day >= start,
        )
        .distinct()
    )
    return {int(account) for account in scope.session.scalars(query)}


def _month_read(scope: Scope, month: dt.date, bit: int) -> sa.Select[Any]:
    """Sum each account's trades of `month` up to the period's end, from the transfer log.

    The rows stand for that month (its `bit` of the months, its last day); gave and received
    count only the days from the period's start on.
    """
    transfer = transfers()
    one = sa.cast(sa.literal(1), sa.BigInteger)
    in_period = transfer.c.happened_on >= scope.period.start
    trades = counted_trades(scope.bank_id, month, scope.period.end)
    sides = sa.union_all(
        trades.add_columns(
            transfer.c.credit_account_id.label("account_id"),
            transfer.c.happened_on.label("day"),
            sa.case((in_period, 1), else_=0).label("gave"),
            sa.literal(0).label("received"),
        ),
        trades.add_columns(
            transfer.c.debit_account_id,
            transfer.c.happened_on,
            sa.literal(0),
            sa.case((in_period, 1), else_=0),
        ),
    ).subquery("sides")
    return sa.select(
        sides.c.account_id,
        one.op("<<")(bit).label("bit"),
        sa.func.max(sides.c.day).label("last_day"),
        sa.func.sum(sides.c.gave).label("gave"),
        sa.func.sum(sides.c.received).label("received"),
        # Not worked out from the log: a report cut inside one month counts trades instead.
        sa.literal(0).label("one_to_one"),
    ).group_by(sides.c.account_id)
