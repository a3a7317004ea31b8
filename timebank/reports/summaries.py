"""Keep each bank's report summaries: build them from the ledger, then keep them current.

A year's report at millions of transfers cannot read the transfer log within a page load, so
it reads these few summaries instead (see `models`). The first report of a bank (or
`flask reports refresh`) builds them from its counted exchanges in a few grouped statements.
After that, every report first brings them up to date (`bring_up_to_date`): it finds the
transfers written since they were last brought up to date (by `Transfer.seq`, the order
transfers were written in) and works out again only the rows those transfers touch: their
days, their accounts' months and totals, their pairs of accounts. A report therefore always
includes everything recorded, and a period never shows more than a longer one containing it.

Redoing a row is idempotent (it is worked out afresh from the ledger), so a transfer seen
twice does no harm; what must never happen is a transfer missed. On PostgreSQL a transfer
numbered below the mark could still be uncommitted when the mark is read, so the mark is read
under a brief SHARE lock on the transfer log, which waits for the writes in flight to finish
(`_written_up_to`). On SQLite there is one writer at a time and the rowid counts up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import typing
import uuid
from dataclasses import dataclass
from typing import Any

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
    DayTotal,
    SummaryRefresh,
)
from timebank.reports.period import add_months_to_first, first_of_month, last_day_of_month
from timebank.reports.scratch import (
    EXCHANGE_CODES,
    MOVED_PHASES,
    any_of,
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
SUMMARIES = (AccountMonth, AccountPair, AccountTotal, DayTotal)
# Past this many transfers written since the last time, rebuilding everything is quicker
# than redoing the rows they touch one by one.
MOST_TO_CATCH_UP = 20_000
# How long a report waits for the transfers being written to finish before it reads the
# mark; past it, the report reads the ledger itself instead (see `build`).
LOCK_WAIT = "2s"


@dataclass(frozen=True)
class Freshness:
    """When a bank's summaries were brought up to date, how long that took, and their latest day."""

    refreshed_at: dt.datetime
    seconds: float
    latest_day: dt.date | None


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


def written_order(session: so.Session, table: typing.Any = None) -> typing.Any:
    """Return the column that numbers transfers (of `table`) in the order they were written."""
    table = transfers() if table is None else table
    if is_postgresql(session):
        return table.c.seq
    return sa.literal_column(f"{table.name}.rowid")


def freshness(session: so.Session, bank_id: int) -> Freshness | None:
    """Return how fresh the bank's summaries are, or None if they were never built."""
    row = session.get(SummaryRefresh, bank_id, populate_existing=True)
    if row is None:
        return None
    return Freshness(as_utc(row.refreshed_at), row.seconds, row.latest_day)


def refresh_summaries(session: so.Session, bank_id: int) -> Freshness:
    """Rebuild the bank's report summaries from its ledger, and commit."""
    upto = _written_up_to(session)
    return _rebuild(session, bank_id, upto)


def bring_up_to_date(session: so.Session, bank_id: int) -> Freshness | None:
    """Make the bank's summaries include every transfer written so far, and commit.

    Builds them if they were never built; otherwise works out again only what the transfers
    written since last time touch. Returns None, changing nothing, when the transfers being
    written did not finish within LOCK_WAIT: the caller then reads the ledger itself.
    """
    upto = _written_up_to(session)
    if upto is None:
        return None
    started = time.perf_counter()
    _lock(session, bank_id)
    kept = session.get(SummaryRefresh, bank_id, populate_existing=True)
    if kept is None or kept.upto_seq is None:
        return _rebuild(session, bank_id, upto)
    if kept.upto_seq >= upto:
        found = Freshness(utcnow(), kept.seconds, kept.latest_day)
        session.commit()
        return found
    written = _written_since(session, bank_id, kept.upto_seq)
    if len(written) > MOST_TO_CATCH_UP:
        return _rebuild(session, bank_id, upto)
    touched = _touched(written)
    latest = kept.latest_day
    if touched.days:
        latest = max(latest or dt.date.min, max(touched.days))
    prepare(session)
    if latest is not None and touched.days:
        _add_day_totals(session, bank_id, touched, kept.upto_seq, upto)
        _redo(session, bank_id, touched, latest, kept.latest_day)
    found = Freshness(utcnow(), round(time.perf_counter() - started, 3), latest)
    _record(session, bank_id, found, upto)
    session.commit()
    return found


def _rebuild(session: so.Session, bank_id: int, upto: int | None) -> Freshness:
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
    session.execute(_account_months(session, bank_id))
    session.execute(_account_pairs(bank_id))
    session.execute(_day_totals(session, bank_id))
    latest = session.scalar(
        sa.select(sa.func.max(AccountMonth.last_day)).where(AccountMonth.bank_id == bank_id)
    )
    if latest is not None:
        session.execute(_account_totals(session, bank_id, latest))
    _analyse(session)
    found = Freshness(utcnow(), round(time.perf_counter() - started, 3), latest)
    _record(session, bank_id, found, upto)
    session.commit()
    return found


def _written_up_to(session: so.Session) -> int | None:
    """Return the number of the last transfer written, every one up to it committed.

    On PostgreSQL a SHARE lock on the transfer log waits for every transaction writing to it
    to finish and keeps new ones out while the sequence is read; committing at once lets
    them go on. None when that wait passes LOCK_WAIT. SQLite writes one at a time.
    """
    if not is_postgresql(session):
        found = session.scalar(sa.text("SELECT max(rowid) FROM transfers"))
        return int(found or 0)
    try:
        with session.begin_nested():
            session.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            session.execute(sa.text("LOCK TABLE transfers IN SHARE MODE"))
            found = session.scalar(
                sa.text(
                    "SELECT pg_sequence_last_value("
                    "pg_get_serial_sequence('transfers', 'seq')::regclass)"
                )
            )
    except sa.exc.OperationalError:
        return None
    session.commit()
    return int(found or 0)


@dataclass(frozen=True)
class _Written:
    """One transfer written since the last time, as far as the summaries care."""

    code: str
    giver: int
    receiver: int
    day: dt.date
    # The group exchange it belongs to (or, for a reversal, the one the undone one did).
    group_id: uuid.UUID | None
    # For a reversal: the transfer it undoes.
    undoes: uuid.UUID | None


@dataclass(frozen=True)
class _Touched:
    """What the transfers written since the last time touch."""

    days: frozenset[dt.date]
    accounts: frozenset[int]
    # The first days of the months each account traded in among them.
    months: frozenset[dt.date]
    groups: frozenset[uuid.UUID]
    undone: frozenset[uuid.UUID]


def _written_since(session: so.Session, bank_id: int, upto: int) -> list[_Written]:
    """Return the exchanges written after transfer `upto`, and those their reversals undo."""
    transfer = transfers()
    original = transfer.alias("original")
    order = written_order(session)
    query = (
        sa.select(
            sa.func.coalesce(original.c.code, transfer.c.code),
            sa.func.coalesce(original.c.credit_account_id, transfer.c.credit_account_id),
            sa.func.coalesce(original.c.debit_account_id, transfer.c.debit_account_id),
            sa.func.coalesce(original.c.happened_on, transfer.c.happened_on),
            sa.func.coalesce(original.c.group_id, transfer.c.group_id),
            transfer.c.reverses_id,
        )
        .select_from(transfer)
        .outerjoin(original, original.c.id == transfer.c.reverses_id)
        .where(transfer.c.bank_id == bank_id, order > upto)
        .limit(MOST_TO_CATCH_UP + 1)
    )
    with _by_index(session):
        return [_Written(*row) for row in session.execute(query)]


@contextlib.contextmanager
def _by_index(session: so.Session) -> typing.Iterator[None]:
    """Find the newest transfers by the index on `seq` (PostgreSQL), never a whole scan.

    The planner's statistics end where the last ANALYZE saw the log end, so for transfers
    written since it guesses a third of the table and reads all of it.
    """
    if not is_postgresql(session):
        yield
        return
    session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    try:
        yield
    finally:
        session.execute(sa.text("SET LOCAL enable_seqscan = on"))


def _touched(written: list[_Written]) -> _Touched:
    trades = [row for row in written if row.code in EXCHANGE_CODES]
    return _Touched(
        days=frozenset(row.day for row in trades),
        accounts=frozenset(a for row in trades for a in (row.giver, row.receiver)),
        months=frozenset(first_of_month(row.day) for row in trades),
        groups=frozenset(row.group_id for row in trades if row.group_id is not None),
        undone=frozenset(row.undoes for row in trades if row.undoes is not None),
    )


def _add_day_totals(
    session: so.Session, bank_id: int, touched: _Touched, before: int, after: int
) -> None:
    """Add to the day totals what the transfers written after `before` up to `after` change.

    A day can hold tens of thousands of exchanges, so its totals are not worked out again:
    the totals of just the transfers concerned (those written, those they undo, and every
    transfer of a group exchange among them, which counts once) are worked out as the ledger
    stood at transfer `before` and at transfer `after`, and the difference added. Every
    transfer up to `after` is committed (see `_written_up_to`), so both are exact.
    """
    transfer = transfers()
    order = written_order(session)
    concerned = [sa.and_(order > before, order <= after)]
    if touched.undone:
        concerned.append(transfer.c.id.in_(sorted(touched.undone)))
    if touched.groups:
        concerned.append(transfer.c.group_id.in_(sorted(touched.groups)))
    change: dict[tuple[dt.date, str | None, str], list[int]] = {}
    for bound, sign in ((after, 1), (before, -1)):
        trades = _counted_up_to(session, bank_id, bound).where(sa.or_(*concerned))
        with _by_index(session):
            rows = session.execute(_day_totals_select(session, bank_id, trades)).all()
        for _bank, day, category, areas, minutes, trade_count, exchanges in rows:
            sums = change.setdefault((day, category, areas), [0, 0, 0])
            for k, value in enumerate((minutes, trade_count, exchanges)):
                sums[k] += sign * int(value)
    _merge_day_totals(session, bank_id, change)


def _merge_day_totals(
    session: so.Session, bank_id: int, change: dict[tuple[dt.date, str | None, str], list[int]]
) -> None:
    """Add `change` to the bank's day totals, dropping rows left with no transfers."""
    if not any(any(sums) for sums in change.values()):
        return
    total = DayTotal
    days = {day for day, _category, _areas in change}
    kept = {
        (row.day, row.skill_category, row.areas): row
        for row in session.scalars(
            sa.select(total).where(total.bank_id == bank_id, any_of(session, total.day, days))
        )
    }
    for key, (minutes, trade_count, exchanges) in change.items():
        if not (minutes or trade_count or exchanges):
            continue
        row = kept.get(key)
        if row is None:
            day, category, areas = key
            row = DayTotal(bank_id=bank_id, day=day, skill_category=category, areas=areas,
                           minutes=0, trades=0, exchanges=0)  # fmt: skip
            session.add(row)
        row.minutes += minutes
        row.trades += trade_count
        row.exchanges += exchanges
        if row.trades == 0:
            session.delete(row)
    session.flush()


def _counted_up_to(session: so.Session, bank_id: int, bound: int) -> sa.Select[Any]:
    """Select the bank's counted exchanges as the ledger stood when transfer `bound` was written.

    As `scratch.counted_trades`, counting only transfers up to `bound` and only reversals up
    to it.
    """
    transfer = transfers()
    reversal = transfer.alias("reversal")
    undone = sa.exists().where(
        reversal.c.reverses_id == transfer.c.id, written_order(session, reversal) <= bound
    )
    return sa.select().where(
        transfer.c.bank_id == bank_id,
        transfer.c.code.in_(EXCHANGE_CODES),
        transfer.c.phase.in_(MOVED_PHASES),
        written_order(session) <= bound,
        ~undone,
    )


def _redo(
    session: so.Session,
    bank_id: int,
    touched: _Touched,
    latest: dt.date,
    latest_before: dt.date | None,
) -> None:
    """Work out again the account rows the written transfers touch, from the ledger."""
    accounts, months = touched.accounts, touched.months
    session.execute(
        sa.delete(AccountMonth).where(
            AccountMonth.bank_id == bank_id,
            any_of(session, AccountMonth.account_id, accounts),
            any_of(session, AccountMonth.month, months),
        )
    )
    session.execute(_account_months(session, bank_id, accounts, months))
    pair = AccountPair
    session.execute(
        sa.delete(pair).where(
            pair.bank_id == bank_id,
            any_of(session, pair.one_account_id, accounts),
            any_of(session, pair.other_account_id, accounts),
        )
    )
    session.execute(_account_pairs(bank_id, accounts, session))
    # The months' bits count back from the latest exchange's month: when that moves on, every
    # account's bits move with it.
    moved_on = latest_before is None or first_of_month(latest) != first_of_month(latest_before)
    total = AccountTotal
    where = [total.bank_id == bank_id]
    if not moved_on:
        where.append(any_of(session, total.account_id, accounts))
    session.execute(sa.delete(total).where(*where))
    session.execute(_account_totals(session, bank_id, latest, None if moved_on else accounts))


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


def _record(session: so.Session, bank_id: int, found: Freshness, upto: int | None) -> None:
    row = session.get(SummaryRefresh, bank_id)
    if row is None:
        row = SummaryRefresh(bank_id=bank_id)
        session.add(row)
    row.refreshed_at = found.refreshed_at
    row.seconds = found.seconds
    row.latest_day = found.latest_day
    row.upto_seq = upto


def _side_sums(sides: sa.Subquery, month: typing.Any) -> list[typing.Any]:
    """Sum one account's sides of its trades in a month: the columns of `AccountMonth`."""
    given = sides.c.gave == 1
    received = sides.c.gave == 0
    day = sides.c.day
    return [
        sides.c.account_id,
        month,
        sa.func.sum(sides.c.gave),
        sa.func.sum(1 - sides.c.gave),
        sa.func.sum(sa.case((given, sides.c.minutes), else_=0)),
        sa.func.sum(sa.case((given, 0), else_=sides.c.minutes)),
        sa.func.min(day),
        sa.func.max(day),
        sa.func.min(sa.case((given, day))),
        sa.func.max(sa.case((given, day))),
        sa.func.min(sa.case((received, day))),
        sa.func.max(sa.case((received, day))),
        sa.func.min(sa.case((sides.c.single == 1, day))),
        sa.func.max(sa.case((sides.c.single == 1, day))),
    ]


ACCOUNT_MONTH_COLUMNS = [
    "account_id", "month", "gave", "received", "minutes_given", "minutes_received",
    "first_day", "last_day", "gave_first_day", "gave_last_day", "received_first_day",
    "received_last_day", "single_first_day", "single_last_day", "bank_id",
]  # fmt: skip


def _account_months(
    session: so.Session,
    bank_id: int,
    accounts: frozenset[int] | None = None,
    months: frozenset[dt.date] | None = None,
) -> sa.Insert:
    """Sum each account's counted exchanges per month, as giver and as receiver.

    Every account and month, or only `accounts` in `months` (the rows a catch-up redoes).
    """
    transfer = transfers()
    columns = (
        transfer.c.happened_on.label("day"),
        transfer.c.amount.label("minutes"),
        sa.case((transfer.c.group_id.is_(None), 1), else_=0).label("single"),
    )
    if accounts is None or months is None:
        # Each trade twice from one read of the ledger: for its giver, then its receiver.
        side = sa.union_all(
            sa.select(sa.literal(1).label("gave")), sa.select(sa.literal(0).label("gave"))
        ).subquery("side")
        account = sa.case(
            (side.c.gave == 1, transfer.c.credit_account_id), else_=transfer.c.debit_account_id
        )
        sides = (
            counted_trades(bank_id, None, EVER)
            .add_columns(account.label("account_id"), side.c.gave, *columns)
            .select_from(transfer)
            .join(side, sa.true())
            .subquery("sides")
        )
        wanted: typing.Any = sa.true()
    else:
        trades = counted_trades(bank_id, min(months), last_day_of_month(max(months)))
        sides = sa.union_all(
            trades.add_columns(
                transfer.c.credit_account_id.label("account_id"), sa.literal(1).label("gave"),
                *columns,
            ).where(any_of(session, transfer.c.credit_account_id, accounts)),
            trades.add_columns(
                transfer.c.debit_account_id, sa.literal(0), *columns
            ).where(any_of(session, transfer.c.debit_account_id, accounts)),
        ).subquery("sides")  # fmt: skip
        wanted = any_of(session, month_start(session, sides.c.day), months)
    month = month_start(session, sides.c.day)
    query = (
        sa.select(*_side_sums(sides, month), sa.literal(bank_id))
        .where(wanted)
        .group_by(sides.c.account_id, month)
        # Written month by month, a report's months lie together on disk.
        .order_by(month, sides.c.account_id)
    )
    return sa.insert(AccountMonth).from_select(ACCOUNT_MONTH_COLUMNS, query)


def _account_pairs(
    bank_id: int, accounts: frozenset[int] | None = None, session: so.Session | None = None
) -> sa.Insert:
    """Sum each pair of accounts' counted exchanges: first day, last day, and how many.

    Every pair, or only the pairs both of whose accounts are among `accounts`.
    """
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
    if accounts is not None and session is not None:
        query = query.where(any_of(session, giver, accounts), any_of(session, receiver, accounts))
    return sa.insert(AccountPair).from_select(
        ["one_account_id", "other_account_id", "bank_id", "first_day", "last_day", "trades"],
        query,
    )


def _account_totals(
    session: so.Session, bank_id: int, latest: dt.date, accounts: frozenset[int] | None = None
) -> sa.Insert:
    """Sum each account's partners (from the pairs) and months (from its months) so far.

    Every account, or only `accounts`.
    """
    pair = AccountPair
    mine: list[typing.Any] = [pair.bank_id == bank_id]
    ends = sa.union_all(
        sa.select(pair.one_account_id.label("account_id")).where(
            *mine, *_only(session, pair.one_account_id, accounts)
        ),
        sa.select(pair.other_account_id).where(
            *mine, *_only(session, pair.other_account_id, accounts)
        ),
    ).subquery("ends")
    partners = (
        sa.select(ends.c.account_id, sa.func.count().label("partners"))
        .group_by(ends.c.account_id)
        .subquery("partners")
    )
    months = _months_so_far(session, bank_id, latest, accounts)
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


def _only(
    session: so.Session, column: typing.Any, accounts: frozenset[int] | None
) -> list[typing.Any]:
    return [] if accounts is None else [any_of(session, column, accounts)]


def _months_so_far(
    session: so.Session, bank_id: int, latest: dt.date, accounts: frozenset[int] | None
) -> sa.Subquery:
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
        .where(kept.bank_id == bank_id, *_only(session, kept.account_id, accounts))
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


def _day_totals(session: so.Session, bank_id: int) -> sa.Insert:
    """Sum each day's minutes, transfers and exchanges by kind of help and mix of areas."""
    query = _day_totals_select(session, bank_id, counted_trades(bank_id, None, EVER))
    return sa.insert(DayTotal).from_select(
        ["bank_id", "day", "skill_category", "areas", "minutes", "trades", "exchanges"], query
    )


def _day_totals_select(session: so.Session, bank_id: int, trades: sa.Select[Any]) -> sa.Select[Any]:
    """Select the day totals of the counted exchanges `trades` selects."""
    singles = _grouped_by_exchange(trades, groups=False)
    grouped = _grouped_by_exchange(trades, groups=True)
    # A group exchange counts once on its day and kind of help: on the row of its first mix
    # of areas (most have one), so adding up the mixes counts it once.
    owner = sa.func.min(grouped.c.areas).over(
        partition_by=(grouped.c.day, grouped.c.category, grouped.c.group_id)
    )
    owned = sa.select(grouped, owner.label("owner")).subquery("owned")
    both = sa.union_all(
        sa.select(singles.c.day, singles.c.category, singles.c.areas, singles.c.minutes,
                  singles.c.trades, singles.c.trades.label("exchanges")),
        sa.select(owned.c.day, owned.c.category, owned.c.areas, owned.c.minutes,
                  owned.c.trades, sa.case((owned.c.areas == owned.c.owner, 1), else_=0)),
    ).subquery("both")  # fmt: skip
    return sa.select(
        sa.literal(bank_id),
        both.c.day,
        both.c.category,
        both.c.areas,
        sa.func.sum(both.c.minutes),
        sa.func.sum(both.c.trades),
        sa.func.sum(both.c.exchanges),
    ).group_by(both.c.day, both.c.category, both.c.areas)


def _grouped_by_exchange(trades: sa.Select[Any], groups: bool) -> sa.Subquery:
    """Sum counted trades per day, kind of help and mix of areas (and group, if `groups`).

    Trades outside group exchanges are most of the ledger and are summed straight into a
    few rows a day; the few group exchanges are kept apart by group, to be counted once.
    """
    transfer = transfers()
    giver, receiver = _areas("giver_area"), _areas("receiver_area")
    areas = sa.case(
        (sa.or_(giver.c.area.is_(None), receiver.c.area.is_(None)), "unknown"),
        (giver.c.area == receiver.c.area, "same"),
        else_="different",
    ).label("areas")
    keys: tuple[typing.Any, ...] = (
        transfer.c.happened_on.label("day"),
        transfer.c.skill_category.label("category"),
        areas,
    )
    in_group = transfer.c.group_id.is_not(None)
    if groups:
        keys = (*keys, transfer.c.group_id)
    return (
        trades.where(in_group if groups else ~in_group)
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
