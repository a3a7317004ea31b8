"""The report's sums read from the kept summaries instead of the transfer log.

Each function here gives what its namesake in the builders gives for the same whole-month
period (see `summaries.Freshness.covers`), in the same shape, so the figures are worked out
the same way from either. `tests/integration/test_report_summaries.py` holds them to that.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from timebank.ledger.models import Account
from timebank.members.models import Member
from timebank.reports.definitions import ACTIVE_DAYS
from timebank.reports.exchanges import Tally
from timebank.reports.models import (
    AccountMonth,
    AccountPair,
    AccountTotal,
    MonthTotal,
    SummaryRefresh,
)
from timebank.reports.networks import AreaMix
from timebank.reports.pairs import ACCOUNTS_TABLE, PAIRS_TABLE, first_bit_month
from timebank.reports.period import first_of_month
from timebank.reports.scope import Scope
from timebank.reports.scratch import create_scratch, months_since, number_of_month
from timebank.reports.summaries import RECENT_MONTHS


def _months(scope: Scope) -> sa.ColumnElement[bool]:
    """Return the condition that a kept month lies in the period."""
    return MonthTotal.month.between(first_of_month(scope.period.start), scope.period.end)


def tallies(scope: Scope) -> list[Tally]:
    """Return the period's minutes and exchanges per month and kind of help."""
    total = MonthTotal
    query = (
        sa.select(
            total.month,
            total.skill_category,
            sa.func.sum(total.minutes),
            sa.func.sum(total.exchanges),
        )
        .where(total.bank_id == scope.bank_id, _months(scope))
        .group_by(total.month, total.skill_category)
    )
    return [
        Tally(number_of_month(month), category, int(minutes), int(exchanges))
        for month, category, minutes, exchanges in scope.session.execute(query)
    ]


def area_mix(scope: Scope) -> AreaMix:
    """Return the period's giver and receiver pairs with both areas known, and across areas."""
    total = MonthTotal
    known = sa.case((total.areas != "unknown", total.trades), else_=0)
    across = sa.case((total.areas == "different", total.trades), else_=0)
    query = sa.select(
        sa.func.coalesce(sa.func.sum(known), 0), sa.func.coalesce(sa.func.sum(across), 0)
    ).where(total.bank_id == scope.bank_id, _months(scope))
    found_known, found_across = scope.session.execute(query).one()
    return AreaMix(int(found_known), int(found_across))


def pairs(scope: Scope) -> sa.Table:
    """Fill the pairs scratch table: every pair who first exchanged by the period's end."""
    pair = AccountPair
    query = sa.select(
        pair.one_account_id.label("one"),
        pair.other_account_id.label("other"),
        pair.first_day.label("first_day"),
    ).where(pair.bank_id == scope.bank_id, pair.first_day <= scope.period.end)
    return create_scratch(scope.session, PAIRS_TABLE, query)


def accounts(scope: Scope) -> sa.Table:
    """Fill the accounts scratch table: partners, months, last day, gave, received, area, role.

    Every member's account that exchanged by the period's end has a row. The last day is only
    filled in for those who traded since the earliest day a member figure looks at.
    """
    quick = _accounts_so_far(scope)
    if quick is not None:
        return create_scratch(scope.session, ACCOUNTS_TABLE, quick)
    partners = _partners(scope)
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
        )
        .select_from(partners)
        .outerjoin(window, window.c.account_id == partners.c.account_id)
        .join(Account, Account.id == partners.c.account_id)
        .join(Member, Member.id == Account.member_id)
    )
    return create_scratch(scope.session, ACCOUNTS_TABLE, query)


def _accounts_so_far(scope: Scope) -> sa.Select | None:
    """Select the accounts' sums from their totals so far, if the period reaches that far.

    When the period ends on or after the latest exchange, everything so far is everything up
    to the period's end, so each account's sums come from its one row of totals. Gave and
    received then say only whether it did (1) or not (0) in the period: the figures ask no
    more of them. None when the period ends earlier.
    """
    kept = scope.session.get(SummaryRefresh, scope.bank_id)
    if kept is None or kept.latest_day is None or scope.period.end < kept.latest_day:
        return None
    total = AccountTotal
    # Bit 62 of recent_months is the latest exchange's month; bit 0 of months (as the
    # direct path sets them) is the first month before the period that it looks back on.
    shift = number_of_month(first_bit_month(scope)) - (
        number_of_month(kept.latest_day) - (RECENT_MONTHS - 1)
    )
    if shift < 0:
        return None
    months = total.recent_months.op(">>")(shift) if shift < RECENT_MONTHS else sa.literal(0)
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


def _window(scope: Scope) -> sa.Subquery:
    """Sum each account's months from the earliest one a member figure looks at."""
    kept = AccountMonth
    first_month = first_bit_month(scope)
    since = scope.period.end - dt.timedelta(days=ACTIVE_DAYS - 1)
    earliest = min(first_month, since)
    shift = months_since(scope.session, kept.month, first_month, len(scope.period.months()) + 2)
    # Cast in the SQL itself: a plain 1 is a 32-bit number, whose shifts wrap at 32.
    one = sa.cast(sa.literal(1), sa.BigInteger)
    bit = sa.case((kept.month >= first_month, one.op("<<")(shift)))
    in_period = kept.month >= scope.period.start
    return (
        sa.select(
            kept.account_id,
            # One row per account and month, so adding each month's bit sets it once; the
            # sum is a decimal on PostgreSQL, so it is cast back to a whole number.
            sa.cast(sa.func.coalesce(sa.func.sum(bit), 0), sa.BigInteger).label("months"),
            sa.func.max(kept.last_day).label("last_day"),
            sa.func.sum(sa.case((in_period, kept.gave), else_=0)).label("gave"),
            sa.func.sum(sa.case((in_period, kept.received), else_=0)).label("received"),
        )
        .where(
            kept.bank_id == scope.bank_id,
            kept.month.between(first_of_month(earliest), scope.period.end),
            kept.last_day >= earliest,
        )
        .group_by(kept.account_id)
        .subquery("window")
    )
