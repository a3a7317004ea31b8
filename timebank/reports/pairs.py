"""One pass over the ledger up to the period's end: who exchanged with whom, and when.

The biggest cost of a report is reading the transfer log, so the member and network figures
share one pass. It sums every pair of members who ever exchanged (up to the period's end)
into a scratch table: the first and last day they exchanged, the months they did (as bits
of a number: bit 2 is the period's first month, bits 0 and 1 the two months before it), and
how many times each helped the other in the period. A second, small table sums those pairs
per member. The figures are then read from these few hundred thousand rows.
"""

from __future__ import annotations

import datetime as dt
import typing

import sqlalchemy as sa

from timebank.ledger.models import Account
from timebank.members.models import Member
from timebank.reports.period import add_months_to_first
from timebank.reports.scope import Scope
from timebank.reports.scratch import (
    counted_trades,
    create_scratch,
    is_postgresql,
    months_since,
    transfers,
)

PAIRS_TABLE = "report_pairs"
ACCOUNTS_TABLE = "report_activity"
# Bits for the months before the period that "active by month" looks back on.
MONTHS_BEFORE = 2
# Bits 0 to 62 of a signed 64-bit number: the months of five years and the two before.
MONTH_BITS = 63


def first_bit_month(scope: Scope) -> dt.date:
    """Return the first day of the month that bit 0 stands for."""
    return add_months_to_first(scope.period.start.replace(day=1), -MONTHS_BEFORE)


def _lower(scope: Scope, a: typing.Any, b: typing.Any) -> typing.Any:
    return sa.func.least(a, b) if is_postgresql(scope.session) else sa.func.min(a, b)


def _higher(scope: Scope, a: typing.Any, b: typing.Any) -> typing.Any:
    return sa.func.greatest(a, b) if is_postgresql(scope.session) else sa.func.max(a, b)


def sum_pairs(scope: Scope) -> sa.Table:
    """Sum every pair of members who exchanged up to the period's end; return the table."""
    if scope.summaries:
        from timebank.reports import summarised  # it reads this module's names

        return summarised.pairs(scope)
    transfer = transfers()
    day = transfer.c.happened_on
    giver, receiver = transfer.c.credit_account_id, transfer.c.debit_account_id
    one, other = _lower(scope, giver, receiver), _higher(scope, giver, receiver)
    first_month = first_bit_month(scope)
    months = len(scope.period.months()) + MONTHS_BEFORE
    shift = months_since(scope.session, day, first_month, months)
    bit = sa.case((day >= first_month, sa.cast(sa.literal(1), sa.BigInteger).op("<<")(shift)))
    in_period = day >= scope.period.start
    query = (
        counted_trades(scope.bank_id, None, scope.period.end)
        .add_columns(
            one.label("one"),
            other.label("other"),
            sa.func.min(day).label("first_day"),
            sa.func.max(day).label("last_day"),
            _bit_or(scope, bit, distinct=True).label("months"),
            # The lower account gave when the giver's is the lower (the two always differ).
            sa.func.count(sa.case((sa.and_(in_period, giver < receiver), 1))).label("one_gave"),
            sa.func.count(sa.case((sa.and_(in_period, giver > receiver), 1))).label("other_gave"),
        )
        .group_by(one, other)
    )
    return create_scratch(scope.session, PAIRS_TABLE, query)


def _bit_or(scope: Scope, values: typing.Any, distinct: bool = False) -> typing.Any:
    """Combine numbers bit by bit (OR) over a group's rows."""
    if is_postgresql(scope.session):
        return sa.func.coalesce(sa.func.bit_or(values), 0)
    if distinct:
        # One bit per row: adding each distinct bit once is the same as OR.
        return sa.func.coalesce(sa.func.sum(sa.distinct(values)), 0)
    # SQLite has no bitwise aggregate: take each bit's highest value and put them together.
    bits = [sa.func.max(values.op(">>")(k).op("&")(1)).op("<<")(k) for k in range(MONTH_BITS)]
    return sum(bits[1:], bits[0])


def sum_accounts(scope: Scope, pairs: sa.Table) -> sa.Table:
    """Sum the pairs per member account: partners, months, last day, gave, received, area."""
    if scope.summaries:
        from timebank.reports import summarised  # it reads this module's names

        return summarised.accounts(scope)
    ends = sa.union_all(
        sa.select(
            pairs.c.one.label("account_id"),
            pairs.c.months,
            pairs.c.last_day,
            pairs.c.one_gave.label("gave"),
            pairs.c.other_gave.label("received"),
        ),
        sa.select(pairs.c.other, pairs.c.months, pairs.c.last_day, pairs.c.other_gave,
                  pairs.c.one_gave),
    ).subquery("ends")  # fmt: skip
    sums = (
        sa.select(
            ends.c.account_id,
            sa.func.count().label("partners"),
            _bit_or(scope, ends.c.months).label("months"),
            sa.func.max(ends.c.last_day).label("last_day"),
            sa.func.sum(ends.c.gave).label("gave"),
            sa.func.sum(ends.c.received).label("received"),
        )
        .group_by(ends.c.account_id)
        .subquery("sums")
    )
    # The member's area and role come along, so the mix of areas and the member figures
    # (which leave staff out) join this small table only.
    query = (
        sa.select(*sums.c, Member.area, Member.role)
        .select_from(sums)
        .join(Account, Account.id == sums.c.account_id)
        .join(Member, Member.id == Account.member_id)
    )
    return create_scratch(scope.session, ACCOUNTS_TABLE, query)
