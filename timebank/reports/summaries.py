"""Keep each bank's report summaries: rebuild them from the ledger, and say how fresh they are.

A year's report at millions of transfers cannot read the transfer log within a page load, so
it reads these few summaries instead (see `models`). A rebuild deletes the bank's rows and
writes them again from its counted exchanges in three grouped statements, in one
transaction: a report never sees half a rebuild. The schedule rebuilds every bank's every
15 minutes, and a report rebuilds them first when they are older than
REPORT_SUMMARY_MAX_AGE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import time
import typing
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.ledger.models import Account
from timebank.members.models import Member
from timebank.reports.formatting import format_date
from timebank.reports.models import (
    AccountMonth,
    AccountPair,
    AccountTotal,
    MonthTotal,
    SummaryRefresh,
)
from timebank.reports.period import add_months_to_first, first_of_month, last_day_of_month
from timebank.reports.scratch import (
    counted_trades,
    is_postgresql,
    month_number,
    number_of_month,
    prepare,
    transfers,
)

# The first key of PostgreSQL's two-key advisory locks that queue refreshes of one bank.
REFRESH_LOCK = 7007
# Counted trades on any day at all.
EVER = dt.date.max
# How many months `AccountTotal.recent_months` holds, up to the latest exchange's.
RECENT_MONTHS = 63
# The tables a rebuild empties and fills again, in the order it fills them.
SUMMARIES = (AccountMonth, AccountPair, AccountTotal, MonthTotal)
# How old summaries may be before a report rebuilds them, when no setting says.
DEFAULT_MAX_AGE_SECONDS = 1800


@dataclass(frozen=True)
class Freshness:
    """When a bank's summaries were rebuilt, how long that took, and their latest day."""

    refreshed_at: dt.datetime
    seconds: float
    latest_day: dt.date | None

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """Return True when the summaries give exact figures for the days `start` to `end`.

        They hold whole months, so a period must start on the 1st and end on a month's last
        day, or on or after the latest day anything had happened on when they were rebuilt.
        """
        if start.day != 1:
            return False
        return end == last_day_of_month(end) or self.latest_day is None or end >= self.latest_day


def summary_max_age() -> float:
    """Return REPORT_SUMMARY_MAX_AGE_SECONDS of the running app (the default outside one)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_MAX_AGE_SECONDS
    return float(current_app.config.get("REPORT_SUMMARY_MAX_AGE_SECONDS", DEFAULT_MAX_AGE_SECONDS))


def up_to_words(stamp: dt.datetime, now: dt.datetime | None = None, dated: bool = False) -> str:
    """Say in plain words how recent a report's figures are, in `stamp`'s own time zone.

    `dated` always gives the date, for paper, where "today" would not stay true.
    """
    today = (now or utcnow()).astimezone(stamp.tzinfo).date()
    when = f"{stamp:%H:%M}"
    if dated:
        when += f" on {format_date(stamp.date())}"
    elif stamp.date() == today:
        when += " today"
    elif stamp.date() == today - dt.timedelta(days=1):
        when += " yesterday"
    else:
        when += f" on {format_date(stamp.date())}"
    return f"Figures include everything recorded up to {when}."


def month_start(session: so.Session, day: typing.Any) -> typing.Any:
    """Return the first day of a date column's month, as a date."""
    if is_postgresql(session):
        return sa.cast(sa.func.date_trunc("month", day), sa.Date)
    return sa.func.date(day, "start of month")


def freshness(session: so.Session, bank_id: int) -> Freshness | None:
    """Return how fresh the bank's summaries are, or None if they were never built."""
    row = session.get(SummaryRefresh, bank_id, populate_existing=True)
    if row is None:
        return None
    return Freshness(as_utc(row.refreshed_at), row.seconds, row.latest_day)


def refresh_summaries(session: so.Session, bank_id: int) -> Freshness:
    """Rebuild the bank's report summaries from its ledger, and commit."""
    started = time.perf_counter()
    _lock(session, bank_id)
    prepare(session)
    if is_postgresql(session):
        # Left to itself the planner walks all transfers in id order to merge them with the
        # few reversals; reading them in one sweep and looking reversals up in a hash is
        # several times quicker.
        session.execute(sa.text("SET LOCAL enable_mergejoin = off"))
    for model in SUMMARIES:
        session.execute(sa.delete(model).where(model.bank_id == bank_id))
    for statement in (_account_months, _account_pairs, _month_totals):
        session.execute(statement(session, bank_id))
    latest = session.scalar(
        sa.select(sa.func.max(AccountMonth.last_day)).where(AccountMonth.bank_id == bank_id)
    )
    if latest is not None:
        session.execute(_account_totals(session, bank_id, latest))
    _analyse(session)
    found = Freshness(utcnow(), round(time.perf_counter() - started, 3), latest)
    _record(session, bank_id, found)
    session.commit()
    return found


def refresh_if_stale(session: so.Session, bank_id: int, max_age_seconds: float) -> Freshness:
    """Rebuild the bank's summaries if they are missing or older than `max_age_seconds`."""
    found = freshness(session, bank_id)
    if _fresh(found, max_age_seconds):
        assert found is not None
        return found
    # Whoever rebuilt them while this waited for the lock has done the work already.
    _lock(session, bank_id)
    found = freshness(session, bank_id)
    if _fresh(found, max_age_seconds):
        assert found is not None
        return found
    return refresh_summaries(session, bank_id)


def _fresh(found: Freshness | None, max_age_seconds: float) -> bool:
    if found is None:
        return False
    return (utcnow() - found.refreshed_at).total_seconds() < max_age_seconds


def _lock(session: so.Session, bank_id: int) -> None:
    """Queue behind any other refresh of this bank until this transaction ends (PostgreSQL).

    SQLite needs nothing: every write transaction there begins IMMEDIATE, one at a time.
    """
    if is_postgresql(session):
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:kind, :bank_id)"),
            {"kind": REFRESH_LOCK, "bank_id": bank_id},
        )


def _analyse(session: so.Session) -> None:
    """Refresh PostgreSQL's statistics of the rebuilt tables, so reports get good plans."""
    if is_postgresql(session):
        for model in SUMMARIES:
            session.execute(sa.text(f"ANALYZE {model.__tablename__}"))


def _record(session: so.Session, bank_id: int, found: Freshness) -> None:
    row = session.get(SummaryRefresh, bank_id)
    if row is None:
        row = SummaryRefresh(bank_id=bank_id)
        session.add(row)
    row.refreshed_at = found.refreshed_at
    row.seconds = found.seconds
    row.latest_day = found.latest_day


def _account_months(session: so.Session, bank_id: int) -> sa.Insert:
    """Sum each account's counted exchanges per month, as giver and as receiver."""
    transfer = transfers()
    # Each trade twice from one read of the ledger: for its giver, then for its receiver.
    side = sa.union_all(
        sa.select(sa.literal(1).label("gave")), sa.select(sa.literal(0).label("gave"))
    ).subquery("side")
    account = sa.case(
        (side.c.gave == 1, transfer.c.credit_account_id), else_=transfer.c.debit_account_id
    )
    sides = (
        counted_trades(bank_id, None, EVER)
        .add_columns(
            account.label("account_id"),
            transfer.c.happened_on.label("day"),
            side.c.gave,
            transfer.c.amount.label("minutes"),
        )
        .select_from(transfer)
        .join(side, sa.true())
        .subquery("sides")
    )
    month = month_start(session, sides.c.day)
    given = sides.c.gave == 1
    query = (
        sa.select(
            sides.c.account_id,
            month,
            sa.literal(bank_id),
            sa.func.sum(sides.c.gave),
            sa.func.sum(1 - sides.c.gave),
            sa.func.sum(sa.case((given, sides.c.minutes), else_=0)),
            sa.func.sum(sa.case((given, 0), else_=sides.c.minutes)),
            sa.func.min(sides.c.day),
            sa.func.max(sides.c.day),
        )
        .group_by(sides.c.account_id, month)
        # Written month by month, a report's months lie together on disk.
        .order_by(month, sides.c.account_id)
    )
    return sa.insert(AccountMonth).from_select(
        ["account_id", "month", "bank_id", "gave", "received", "minutes_given",
         "minutes_received", "first_day", "last_day"],
        query,
    )  # fmt: skip


def _account_pairs(session: so.Session, bank_id: int) -> sa.Insert:
    """Sum each pair of accounts' counted exchanges: first day, last day, and how many."""
    transfer = transfers()
    giver, receiver = transfer.c.credit_account_id, transfer.c.debit_account_id
    one = sa.case((giver < receiver, giver), else_=receiver)
    other = sa.case((giver < receiver, receiver), else_=giver)
    query = (
        counted_trades(bank_id, None, EVER)
        .add_columns(
            one,
            other,
            sa.literal(bank_id),
            sa.func.min(transfer.c.happened_on),
            sa.func.max(transfer.c.happened_on),
            sa.func.count(),
        )
        .group_by(one, other)
    )
    return sa.insert(AccountPair).from_select(
        ["one_account_id", "other_account_id", "bank_id", "first_day", "last_day", "trades"],
        query,
    )


def _account_totals(session: so.Session, bank_id: int, latest: dt.date) -> sa.Insert:
    """Sum each account's partners (from the pairs) and months (from its months) so far."""
    pair = AccountPair
    ends = sa.union_all(
        sa.select(pair.one_account_id.label("account_id")).where(pair.bank_id == bank_id),
        sa.select(pair.other_account_id).where(pair.bank_id == bank_id),
    ).subquery("ends")
    partners = (
        sa.select(ends.c.account_id, sa.func.count().label("partners"))
        .group_by(ends.c.account_id)
        .subquery("partners")
    )
    months = _months_so_far(session, bank_id, latest)
    query = sa.select(
        partners.c.account_id,
        sa.literal(bank_id),
        partners.c.partners,
        months.c.last_day,
        months.c.last_gave_month,
        months.c.last_received_month,
        months.c.recent_months,
    ).join(months, months.c.account_id == partners.c.account_id)
    return sa.insert(AccountTotal).from_select(
        ["account_id", "bank_id", "partners", "last_day", "last_gave_month",
         "last_received_month", "recent_months"],
        query,
    )  # fmt: skip


def _months_so_far(session: so.Session, bank_id: int, latest: dt.date) -> sa.Subquery:
    """Sum each account's months: last day, latest months giving and receiving, months' bits."""
    kept = AccountMonth
    first = add_months_to_first(first_of_month(latest), -(RECENT_MONTHS - 1))
    shift = month_number(session, kept.month) - number_of_month(first)
    # Cast in the SQL itself: a plain 1 is a 32-bit number, whose shifts wrap at 32.
    bit = sa.case((kept.month >= first, sa.cast(sa.literal(1), sa.BigInteger).op("<<")(shift)))
    return (
        sa.select(
            kept.account_id,
            sa.func.max(kept.last_day).label("last_day"),
            sa.func.max(sa.case((kept.gave > 0, kept.month))).label("last_gave_month"),
            sa.func.max(sa.case((kept.received > 0, kept.month))).label("last_received_month"),
            # One row per month, so adding each month's bit sets it once.
            sa.cast(sa.func.coalesce(sa.func.sum(bit), 0), sa.BigInteger).label("recent_months"),
        )
        .where(kept.bank_id == bank_id)
        .group_by(kept.account_id)
        .subquery("months_so_far")
    )


def _areas(name: str) -> sa.Subquery:
    """Return each member's account and area, where the area is known."""
    return (
        sa.select(Account.id, Member.area)
        .join(Member, Member.id == Account.member_id)
        .where(Member.area.is_not(None))
        .subquery(name)
    )


def _month_totals(session: so.Session, bank_id: int) -> sa.Insert:
    """Sum each month's minutes, transfers and exchanges by kind of help and mix of areas."""
    singles = _grouped_by_exchange(session, bank_id, groups=False)
    grouped = _grouped_by_exchange(session, bank_id, groups=True)
    # A group exchange counts once in its month and kind of help: on the row of its first
    # mix of areas (most have one), so adding up the mixes counts it once.
    owner = sa.func.min(grouped.c.areas).over(
        partition_by=(grouped.c.month, grouped.c.category, grouped.c.group_id)
    )
    owned = sa.select(grouped, owner.label("owner")).subquery("owned")
    both = sa.union_all(
        sa.select(singles.c.month, singles.c.category, singles.c.areas, singles.c.minutes,
                  singles.c.trades, singles.c.trades.label("exchanges")),
        sa.select(owned.c.month, owned.c.category, owned.c.areas, owned.c.minutes,
                  owned.c.trades, sa.case((owned.c.areas == owned.c.owner, 1), else_=0)),
    ).subquery("both")  # fmt: skip
    query = sa.select(
        sa.literal(bank_id),
        both.c.month,
        both.c.category,
        both.c.areas,
        sa.func.sum(both.c.minutes),
        sa.func.sum(both.c.trades),
        sa.func.sum(both.c.exchanges),
    ).group_by(both.c.month, both.c.category, both.c.areas)
    return sa.insert(MonthTotal).from_select(
        ["bank_id", "month", "skill_category", "areas", "minutes", "trades", "exchanges"], query
    )


def _grouped_by_exchange(session: so.Session, bank_id: int, groups: bool) -> sa.Subquery:
    """Sum counted trades per month, kind of help and mix of areas (and group, if `groups`).

    Trades outside group exchanges are most of the ledger and are summed straight into a
    few hundred rows; the few group exchanges are kept apart by group, to be counted once.
    """
    transfer = transfers()
    giver, receiver = _areas("giver_area"), _areas("receiver_area")
    areas = sa.case(
        (sa.or_(giver.c.area.is_(None), receiver.c.area.is_(None)), "unknown"),
        (giver.c.area == receiver.c.area, "same"),
        else_="different",
    ).label("areas")
    month = month_start(session, transfer.c.happened_on).label("month")
    keys: tuple[typing.Any, ...] = (month, transfer.c.skill_category.label("category"), areas)
    in_group = transfer.c.group_id.is_not(None)
    if groups:
        keys = (*keys, transfer.c.group_id)
    return (
        counted_trades(bank_id, None, EVER)
        .where(in_group if groups else ~in_group)
        .add_columns(
            *keys,
            sa.func.count().label("trades"),
            sa.func.sum(transfer.c.amount).label("minutes"),
        )
        .select_from(transfer)
        .outerjoin(giver, giver.c.id == transfer.c.credit_account_id)
        .outerjoin(receiver, receiver.c.id == transfer.c.debit_account_id)
        .group_by(*keys)
        .subquery("groups" if groups else "singles")
    )
