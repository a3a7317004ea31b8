"""Members in a period: how many, active, new, leaving, giving and receiving, staying on.

Exchanges are read from each member account's sums (see `timebank.reports.pairs`): the
months they traded in as bits, their last day, how often they gave and received. Brokers
and admins are the time bank's staff, not its members: no member figure counts them
(`members.models.is_not_staff`, the rule outreach follows too).
"""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import sqlalchemy as sa

from timebank.ledger.models import Account
from timebank.members.models import Member, is_not_staff
from timebank.reports.definitions import ACTIVE_DAYS, DEFINITIONS
from timebank.reports.models import AccountMonth, AccountTotal, SummaryRefresh
from timebank.reports.period import (
    Period,
    add_months_to_first,
    first_of_month,
    last_day_of_month,
    previous,
)
from timebank.reports.scope import Scope, month_column
from timebank.reports.scratch import (
    counted_trades,
    day_start,
    month_number,
    number_of_month,
    stamp_on_days,
    transfers,
)
from timebank.reports.summaries import RECENT_MONTHS
from timebank.reports.tables import Column, Figure, Section, Table, Value

# Active in a month: traded in it or the two months before (three bits).
THREE_MONTHS = 7
COHORT_MONTHS = (3, 6, 12)


def _traded_in(months: typing.Any, first_bit: typing.Any) -> sa.ColumnElement[bool]:
    """Return the condition that `months` has any of the three bits from `first_bit` on."""
    condition: sa.ColumnElement[bool] = months.op(">>")(first_bit).op("&")(THREE_MONTHS) != 0
    return condition


def active_at_end(scope: Scope, activity: sa.Table) -> int:
    """Return how many members traded in the 90 days up to the period's end."""
    since = scope.period.end - dt.timedelta(days=ACTIVE_DAYS - 1)
    query = sa.select(sa.func.count()).where(
        activity.c.last_day >= since, is_not_staff(activity.c.role)
    )
    return int(scope.session.scalar(query) or 0)


def gave_and_received(scope: Scope, activity: sa.Table) -> int:
    """Return how many members both gave and received help in the period."""
    query = sa.select(sa.func.count()).where(
        activity.c.gave > 0, activity.c.received > 0, is_not_staff(activity.c.role)
    )
    return int(scope.session.scalar(query) or 0)


def people_helped(scope: Scope, activity: sa.Table) -> int:
    """Return how many different members received help in the period."""
    query = sa.select(sa.func.count()).where(activity.c.received > 0, is_not_staff(activity.c.role))
    return int(scope.session.scalar(query) or 0)


def _members_on(scope: Scope, day: dt.date) -> sa.Select[Any]:
    """Select the bank's members at the end of `day`: joined by then and not left by then.

    Applicants still waiting and staff are not members; suspended members still are. A
    member whose leaving was never dated (before that was recorded) is taken as gone.
    """
    after = day_start(day + dt.timedelta(days=1))
    still_here = sa.or_(
        Member.status != "left", sa.and_(Member.left_at.is_not(None), Member.left_at >= after)
    )
    return sa.select(Member.id).where(
        Member.bank_id == scope.bank_id,
        Member.status != "applicant",
        is_not_staff(Member.role),
        Member.joined_at < after,
        still_here,
    )


def members_at_end(scope: Scope) -> int:
    """Return how many members the bank had at the end of the period's last day."""
    members = _members_on(scope, scope.period.end).subquery("members")
    return int(scope.session.scalar(sa.select(sa.func.count()).select_from(members)) or 0)


def never_traded(scope: Scope, activity: sa.Table) -> int:
    """Return how many of the members at the period's end had no exchange by then."""
    members = _members_on(scope, scope.period.end).subquery("members")
    query = (
        sa.select(sa.func.count())
        .select_from(members)
        .join(Account, Account.member_id == members.c.id)
        .outerjoin(activity, activity.c.account_id == Account.id)
        .where(activity.c.account_id.is_(None))
    )
    return int(scope.session.scalar(query) or 0)


def previous_period_activity(scope: Scope) -> tuple[int, int]:
    """Return how many members traded in the previous period, and how many of them in this.

    The previous period is as long and ends the day before this one starts (see
    `period.previous`). Read from the kept months (see `_months_traded`) unless a period
    lies inside one month without its first or last day; then from the transfer log.
    """
    before = previous(scope.period)
    sides: sa.Subquery | None = None
    if scope.summaries and not (_inside_a_month(before) or _inside_a_month(scope.period)):
        marks = _bits_traded(scope, before)
        if marks is not None:
            return _members_marked(scope, marks)
        sides = _months_traded(scope, before)
    if sides is None:
        sides = _days_traded(scope, before)
    per_member = (
        sa.select(
            sa.func.max(sides.c.earlier).label("before"),
            sa.func.min(sides.c.earlier).label("first_kind"),
        )
        .select_from(sides)
        .join(Account, Account.id == sides.c.account_id)
        .join(Member, Member.id == Account.member_id)
        .where(is_not_staff(Member.role))
        .group_by(sides.c.account_id)
        .subquery("per_member")
    )
    # Traded before: the latest kind is 1. Also traded now: the earliest kind is 0.
    both = sa.and_(per_member.c.before == 1, per_member.c.first_kind == 0)
    query = sa.select(
        sa.func.count(sa.case((per_member.c.before == 1, 1))),
        sa.func.count(sa.case((both, 1))),
    )
    earlier_count, still = scope.session.execute(query).one()
    return int(earlier_count), int(still)


def _members_marked(scope: Scope, marks: sa.Subquery) -> tuple[int, int]:
    """Count the members marked as trading before, and of them those marked in the period too."""
    query = (
        sa.select(
            sa.func.count(sa.case((marks.c.before == 1, 1))),
            sa.func.count(sa.case((sa.and_(marks.c.before == 1, marks.c.now == 1), 1))),
        )
        .select_from(marks)
        .join(Account, Account.id == marks.c.account_id)
        .join(Member, Member.id == Account.member_id)
        .where(is_not_staff(Member.role))
    )
    earlier_count, still = scope.session.execute(query).one()
    return int(earlier_count), int(still)


def _inside_a_month(period: Period) -> bool:
    """Return True when `period` lies within one month and holds neither its first nor last day."""
    start, end = period.start, period.end
    return (
        first_of_month(start) == first_of_month(end)
        and start.day != 1
        and end != last_day_of_month(end)
    )


def _days_traded(scope: Scope, before: Period) -> sa.Subquery:
    """Select each side of each trade from `before`'s start to the end, and if it was before."""
    transfer = transfers()
    earlier = sa.case((transfer.c.happened_on < scope.period.start, 1), else_=0).label("earlier")
    trades = counted_trades(scope.bank_id, before.start, scope.period.end)
    return sa.union_all(
        trades.add_columns(transfer.c.credit_account_id.label("account_id"), earlier),
        trades.add_columns(transfer.c.debit_account_id.label("account_id"), earlier),
    ).subquery("sides")


def _bits_traded(scope: Scope, before: Period) -> sa.Subquery | None:
    """Select whether each account traded before (1 or 0) and in the period, from its totals.

    An account's totals mark the months it traded in (see `AccountTotal.recent_months`), so
    the months lying wholly before or wholly in the period are one test each; the few months
    cut by a start or end day are read from the kept months, as in `_months_traded`. Only
    accounts that traded in one or the other have a row. None when the months reach further
    back than the totals do.
    """
    kept = scope.session.get(SummaryRefresh, scope.bank_id)
    if kept is None or kept.latest_day is None:
        return None
    base = number_of_month(kept.latest_day) - (RECENT_MONTHS - 1)
    earlier_end = scope.period.start - dt.timedelta(days=1)
    ranges = ((before.start, earlier_end), (scope.period.start, scope.period.end))
    masks, cut = [0, 0], set()
    month = first_of_month(before.start)
    while month <= scope.period.end:
        month_end = last_day_of_month(month)
        for kind, (start, end) in enumerate(ranges):
            bit = number_of_month(month) - base
            if start <= month and month_end <= end:
                if bit < 0:
                    return None
                if bit < RECENT_MONTHS:  # later months have no exchanges yet
                    masks[kind] |= 1 << bit
            elif start <= month_end and month <= end:
                cut.add(month)
        month = add_months_to_first(month, 1)
    total, months = AccountTotal, AccountMonth

    def traded(start: dt.date, end: dt.date) -> sa.ColumnElement[int]:
        return sa.case((sa.and_(months.first_day <= end, months.last_day >= start), 1), else_=0)

    def marked(mask: int) -> sa.ColumnElement[int]:
        bits = total.recent_months.op("&")(sa.cast(sa.literal(mask), sa.BigInteger))
        return sa.case((bits != 0, 1), else_=0)

    either = total.recent_months.op("&")(sa.cast(sa.literal(masks[0] | masks[1]), sa.BigInteger))
    parts = [
        sa.select(
            total.account_id.label("account_id"),
            marked(masks[0]).label("before"),
            marked(masks[1]).label("now"),
        ).where(total.bank_id == scope.bank_id, either != 0)
    ]
    if cut:
        parts.append(
            sa.select(months.account_id, traded(*ranges[0]), traded(*ranges[1])).where(
                months.bank_id == scope.bank_id, months.month.in_(sorted(cut))
            )
        )
    both = sa.union_all(*parts).subquery("marks")
    return (
        sa.select(
            both.c.account_id,
            sa.func.max(both.c.before).label("before"),
            sa.func.max(both.c.now).label("now"),
        )
        .group_by(both.c.account_id)
        .subquery("per_account")
    )


def _months_traded(scope: Scope, before: Period) -> sa.Subquery:
    """Select, from each account's kept months, whether it traded before and in the period.

    A month's first and last trading days answer "traded from day a to day b" exactly
    whenever those days do not both fall strictly inside that month: it did when the first
    is on or before b and the last on or after a.
    """
    kept = AccountMonth

    def traded(start: dt.date, end: dt.date) -> sa.ColumnElement[bool]:
        return sa.and_(kept.first_day <= end, kept.last_day >= start)

    earlier_end = scope.period.start - dt.timedelta(days=1)
    months = kept.month.between(first_of_month(before.start), scope.period.end)
    mine = sa.and_(kept.bank_id == scope.bank_id, months)
    return sa.union_all(
        sa.select(kept.account_id.label("account_id"), sa.literal(1).label("earlier")).where(
            mine, traded(before.start, earlier_end)
        ),
        sa.select(kept.account_id, sa.literal(0)).where(
            mine, traded(scope.period.start, scope.period.end)
        ),
    ).subquery("sides")


def active_by_month(scope: Scope, activity: sa.Table) -> list[int]:
    """Return, for each month of the period, the members who traded in it or the two before."""
    months = scope.period.months()
    # Month k of the period is bit k + 2, so its three months are bits k to k + 2.
    counts = [
        sa.func.count(sa.case((_traded_in(activity.c.months, k), 1))) for k in range(len(months))
    ]
    found = scope.session.execute(sa.select(*counts).where(is_not_staff(activity.c.role))).one()
    return [int(count) for count in found]


def _members_on_days(scope: Scope, column: typing.Any) -> sa.Select[Any]:
    return sa.select(sa.func.count(Member.id)).where(
        Member.bank_id == scope.bank_id,
        is_not_staff(Member.role),
        stamp_on_days(column, scope.period.start, scope.period.end),
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
    traded = sa.func.coalesce(activity.c.months, 0)
    # N months on from cohort j: months j + N - 2 to j + N, which are bits j + N on.
    counts = [
        sa.func.count(sa.case((_traded_in(traded, joined + after), 1))) for after in COHORT_MONTHS
    ]
    query = (
        sa.select(joined, sa.func.count(), *counts)
        .join(Account, Account.member_id == Member.id)
        .outerjoin(activity, activity.c.account_id == Account.id)
        .where(
            Member.bank_id == scope.bank_id,
            Member.status != "applicant",
            is_not_staff(Member.role),
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


def membership_section(scope: Scope, activity: sa.Table) -> Section:
    """Build the report's section on members from each account's sums (`pairs.sum_accounts`)."""
    guard = scope.guard
    earlier, still = previous_period_activity(scope)
    figures = (
        _figure(scope, "members_at_end", "Members at the end of the period", members_at_end(scope)),
        _figure(scope, "never_traded", "Members who have never exchanged",
                never_traded(scope, activity)),
        _figure(scope, "people_helped", "People helped", people_helped(scope, activity)),
        _figure(scope, "active_members", "Active members", active_at_end(scope, activity)),
        _figure(scope, "new_members", "New members", new_members(scope)),
        _figure(scope, "left_members", "Members who left", left_members(scope)),
        _figure(scope, "gave_and_received", "Gave and received",
                gave_and_received(scope, activity)),
        _figure(scope, "active_previous_period", "Active in the previous period", earlier),
        _figure(scope, "still_active", "Of those, active in this period", still),
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
                (month_column(), Column("active", "Active members", "people")),
                line,
                chart="line",
                chart_columns=("active",),
            ),
            _retention_table(scope, activity),
        ),  # fmt: skip
    )


def membership_summary(scope: Scope, activity: sa.Table) -> Section:
    """Build the members section with only the figures a summary page compares."""
    figures = (
        _figure(scope, "members_at_end", "Members at the end of the period", members_at_end(scope)),
        _figure(scope, "people_helped", "People helped", people_helped(scope, activity)),
        _figure(scope, "active_members", "Active members", active_at_end(scope, activity)),
        _figure(scope, "new_members", "New members", new_members(scope)),
    )  # fmt: skip
    return Section("members", "Members", figures)


def _figure(scope: Scope, key: str, label: str, value: int) -> Figure:
    return Figure(key, label, scope.guard.count(value), "people", DEFINITIONS[key])


def _retention_table(scope: Scope, activity: sa.Table) -> Table:
    rows: list[tuple[Value, ...]] = []
    for month, members, later in cohorts(scope, activity):
        shown = [None if n is None else scope.guard.count(n) for n in later]
        rows.append((month, scope.guard.count(members), *shown))
    columns = (
        Column("month", "Month joined", "month"),
        Column("joined", "Joined", "people"),
        *(Column(f"active_{n}_months", f"Active {n} months on", "people") for n in COHORT_MONTHS),
    )
    return Table("retention", "Members staying on", DEFINITIONS["retention"], columns, tuple(rows))
