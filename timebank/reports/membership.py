"""Members in a period: active, new, leaving, giving and receiving, and staying on.

One scratch table sums each account's exchanges per month of the period (with one more
bucket, numbered -1, for the 90 days before it): the last day it traded in that month, and
how many times it gave and received. Active members, the monthly line, two-way members and
the joining cohorts are all read from it.
"""

from __future__ import annotations

import datetime as dt
import typing

import sqlalchemy as sa

from timebank.ledger.models import Account
from timebank.members.models import Member
from timebank.reports.definitions import ACTIVE_DAYS, DEFINITIONS
from timebank.reports.period import add_months_to_first, last_day_of_month
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import (
    constant_rows,
    counted_trades,
    create_scratch,
    month_number,
    number_of_month,
    stamp_on_days,
    transfers,
)
from timebank.reports.tables import Column, Figure, Section, Table, Value

ACTIVITY_TABLE = "report_activity"
BEFORE = -1
COHORT_MONTHS = (3, 6, 12)


def sum_activity(scope: Scope) -> sa.Table:
    """Sum each account's exchanges per month bucket into a scratch table; return it."""
    transfer = transfers()
    period = scope.period
    first = period.start - dt.timedelta(days=ACTIVE_DAYS - 1)
    base = number_of_month(period.start)
    # Each exchange twice: once for the giver (side 0), once for the receiver (side 1).
    side = constant_rows("sides", ("side",), [(0,), (1,)])
    account = sa.case(
        (side.c.side == 0, transfer.c.credit_account_id), else_=transfer.c.debit_account_id
    ).label("account_id")
    bucket = sa.case(
        (transfer.c.happened_on < period.start, BEFORE),
        else_=month_number(scope.session, transfer.c.happened_on) - base,
    ).label("bucket")
    query = (
        counted_trades(scope.bank_id, first, period.end)
        .add_columns(
            account,
            bucket,
            sa.func.max(transfer.c.happened_on).label("last_day"),
            sa.func.count(sa.case((side.c.side == 0, 1))).label("gave"),
            sa.func.count(sa.case((side.c.side == 1, 1))).label("received"),
        )
        .select_from(transfer)
        .join(side, sa.true())
        .group_by(account, bucket)
    )
    return create_scratch(scope.session, ACTIVITY_TABLE, query)


def active_at_end(scope: Scope, activity: sa.Table) -> int:
    """Return how many members traded in the 90 days up to the period's end."""
    since = scope.period.end - dt.timedelta(days=ACTIVE_DAYS - 1)
    query = sa.select(sa.func.count(sa.distinct(activity.c.account_id))).where(
        activity.c.last_day >= since
    )
    return int(scope.session.scalar(query) or 0)


def gave_and_received(scope: Scope, activity: sa.Table) -> int:
    """Return how many members both gave and received help in the period."""
    both = (
        sa.select(activity.c.account_id)
        .where(activity.c.bucket != BEFORE)
        .group_by(activity.c.account_id)
        .having(sa.and_(sa.func.sum(activity.c.gave) > 0, sa.func.sum(activity.c.received) > 0))
        .subquery()
    )
    return int(scope.session.scalar(sa.select(sa.func.count()).select_from(both)) or 0)


def active_by_month(scope: Scope, activity: sa.Table) -> list[int]:
    """Return, for each month of the period, the members active at its end."""
    months = scope.period.months()
    ends = constant_rows(
        "month_ends",
        ("k", "since"),
        [
            (k, scope.period.month_end(month) - dt.timedelta(days=ACTIVE_DAYS - 1))
            for k, month in enumerate(months)
        ],
    )
    # An account's latest bucket up to a month holds its last trading day up to that month,
    # so each bucket speaks for the months from its own to the next one the account has.
    following = sa.func.lead(activity.c.bucket, 1, len(months)).over(
        partition_by=activity.c.account_id, order_by=activity.c.bucket
    )
    spans = sa.select(
        activity.c.bucket, following.label("next_bucket"), activity.c.last_day
    ).subquery("spans")
    query = (
        sa.select(ends.c.k, sa.func.count())
        .select_from(spans)
        .join(
            ends,
            sa.and_(
                ends.c.k >= spans.c.bucket,
                ends.c.k < spans.c.next_bucket,
                spans.c.last_day >= ends.c.since,
            ),
        )
        .group_by(ends.c.k)
    )
    found = dict(scope.session.execute(query).tuples().all())
    return [int(found.get(k, 0)) for k in range(len(months))]


def _members_on_days(scope: Scope, column: typing.Any) -> sa.Select:
    return sa.select(sa.func.count(Member.id)).where(
        Member.bank_id == scope.bank_id, stamp_on_days(column, scope.period.start, scope.period.end)
    )


def new_members(scope: Scope) -> int:
    """Return how many members joined in the period (applicants still waiting left out)."""
    query = _members_on_days(scope, Member.joined_at).where(Member.status != "applicant")
    return int(scope.session.scalar(query) or 0)


def left_members(scope: Scope) -> int:
    """Return how many members left in the period and have not come back."""
    query = _members_on_days(scope, Member.left_at).where(Member.status == "left")
    return int(scope.session.scalar(query) or 0)


def cohorts(scope: Scope, activity: sa.Table) -> list[tuple[dt.date, int, list[int | None]]]:
    """Return each joining month's members and how many were active 3, 6 and 12 months on."""
    months = scope.period.months()
    base = number_of_month(scope.period.start)
    joined = (month_number(scope.session, Member.joined_at) - base).label("cohort")
    counts = [
        sa.func.count(
            sa.distinct(
                sa.case((activity.c.bucket.between(joined + after - 2, joined + after), Member.id))
            )
        )
        for after in COHORT_MONTHS
    ]
    query = (
        sa.select(joined, sa.func.count(sa.distinct(Member.id)), *counts)
        .join(Account, Account.member_id == Member.id)
        .outerjoin(activity, activity.c.account_id == Account.id)
        .where(
            Member.bank_id == scope.bank_id,
            Member.status != "applicant",
            stamp_on_days(Member.joined_at, scope.period.start, scope.period.end),
        )
        .group_by(joined)
    )
    found = {int(row[0]): row[1:] for row in scope.session.execute(query)}
    rows = []
    for k, month in enumerate(months):
        members, *later = found.get(k, (0, 0, 0, 0))
        shown = [
            int(count) if _over_by_end(scope, month, after) else None
            for count, after in zip(later, COHORT_MONTHS, strict=True)
        ]
        rows.append((month, int(members), shown))
    return rows


def _over_by_end(scope: Scope, month: dt.date, after: int) -> bool:
    return last_day_of_month(add_months_to_first(month, after)) <= scope.period.end


def membership_section(scope: Scope) -> Section:
    """Build the report's section on members."""
    activity = sum_activity(scope)
    guard = scope.guard
    figures = (
        _figure(scope, "active_members", "Active members", active_at_end(scope, activity)),
        _figure(scope, "new_members", "New members", new_members(scope)),
        _figure(scope, "left_members", "Members who left", left_members(scope)),
        _figure(scope, "gave_and_received", "Gave and received",
                gave_and_received(scope, activity)),
    )  # fmt: skip
    counts = active_by_month(scope, activity)
    line = tuple(
        (month, guard.count(count))
        for month, count in zip(scope.period.months(), counts, strict=True)
    )
    return Section(
        "members",
        "Members",
        figures,
        (
            Table(
                "active_by_month",
                "Active members by month",
                DEFINITIONS["active_by_month"],
                (month_column(), Column("active", "Active members")),
                line,
                chart="line",
                chart_columns=("active",),
            ),
            _retention_table(scope, activity),
        ),  # fmt: skip
    )


def _figure(scope: Scope, key: str, label: str, value: int) -> Figure:
    return Figure(key, label, scope.guard.count(value), "count", DEFINITIONS[key])


def _retention_table(scope: Scope, activity: sa.Table) -> Table:
    rows: list[tuple[Value, ...]] = []
    for month, members, later in cohorts(scope, activity):
        shown = [None if n is None else scope.guard.count(n) for n in later]
        rows.append((month, scope.guard.count(members), *shown))
    columns = (
        Column("month", "Month joined", "month"),
        Column("joined", "Joined"),
        *(Column(f"active_{n}_months", f"Active {n} months on") for n in COHORT_MONTHS),
    )
    return Table("retention", "Members staying on", DEFINITIONS["retention"], columns, tuple(rows))
