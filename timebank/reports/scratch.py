"""What every report query shares: counted trades, month numbers, and scratch tables.

The figures are worked out from a few small summaries of the ledger rather than by reading
the transfer log once per figure. Each summary is a temporary table filled by one
CREATE TABLE AS statement (which PostgreSQL may run on several cores); it is dropped when the
transaction ends on PostgreSQL, and by the next report on the same connection on SQLite.
"""

from __future__ import annotations

import datetime as dt
import statistics
import typing
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql

from timebank.db import create_scratch as create_scratch  # the report modules take it here
from timebank.ledger.models import TRADE_CODES, TRADE_PHASES, Transfer
from timebank.reports.period import add_months_to_first

# What counts as a trade is the ledger's: an exchange or group exchange, posted at once or a
# pending one the receiver confirmed.
EXCHANGE_CODES = TRADE_CODES
MOVED_PHASES = TRADE_PHASES


def is_postgresql(session: so.Session) -> bool:
    """Return True when the session talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def prepare(session: so.Session) -> None:
    """Set up the transaction for a few big read-only statements (PostgreSQL only)."""
    if is_postgresql(session):
        # Compiling the statements to machine code takes longer than it saves, and the
        # summaries group millions of rows: give them memory so they are not spilt to disk.
        session.execute(sa.text("SET LOCAL jit = off"))
        session.execute(sa.text("SET LOCAL work_mem = '256MB'"))


def counted_trades(bank_id: int, start: dt.date | None, end: dt.date) -> sa.Select[Any]:
    """Select the bank's counted exchanges that happened from `start` (None: ever) to `end`.

    Counted: an exchange or group exchange whose hours moved (posted at once, or confirmed)
    and that no reversal undid. Pending ones are not counted until confirmed.
    """
    transfer = Transfer.__table__
    reversal = transfer.alias("reversal")
    undone = sa.exists().where(reversal.c.reverses_id == transfer.c.id)
    days = transfer.c.happened_on <= end
    if start is not None:
        days = sa.and_(transfer.c.happened_on >= start, days)
    return sa.select().where(
        transfer.c.bank_id == bank_id,
        transfer.c.code.in_(EXCHANGE_CODES),
        transfer.c.phase.in_(MOVED_PHASES),
        days,
        ~undone,
    )


def any_of(
    session: so.Session, column: typing.Any, values: typing.Iterable[typing.Any]
) -> typing.Any:
    """Return the condition that `column` is one of `values`.

    On PostgreSQL whole numbers go as one array, unnested into rows the planner can hash or
    look up by index: a list of thousands of ids as separate parameters takes longer to send
    and plan than to run, and `= ANY(array)` compares each row with every element.
    """
    found = sorted(values)
    if is_postgresql(session) and found and isinstance(found[0], int):
        array = sa.literal(found, postgresql.ARRAY(sa.BigInteger))
        return column.in_(sa.select(sa.func.unnest(array)).scalar_subquery())
    return column.in_(found)


def transfers() -> sa.Table:
    """Return the transfers table, for selecting columns of counted trades."""
    return typing.cast(sa.Table, Transfer.__table__)


def month_number(session: so.Session, day: typing.Any) -> sa.ColumnElement[int]:
    """Return year * 12 + month - 1 of a date (or a stored UTC time) as a whole number."""
    if is_postgresql(session):
        if isinstance(day.type, sa.DateTime):
            day = sa.func.timezone("UTC", day)
        return sa.cast(sa.extract("year", day) * 12 + sa.extract("month", day) - 1, sa.Integer)
    year = sa.cast(sa.func.strftime("%Y", day), sa.Integer)
    month = sa.cast(sa.func.strftime("%m", day), sa.Integer)
    return year * 12 + month - 1


def months_since(
    session: so.Session, day: typing.Any, first_month: dt.date, months: int
) -> sa.ColumnElement[int]:
    """Return how many months after `first_month` a date falls (up to `months` of them).

    On PostgreSQL a binary search through the months' first days: several times cheaper per
    row than taking the year and month out of each date.
    """
    if not is_postgresql(session):
        return month_number(session, day) - number_of_month(first_month)
    starts = [add_months_to_first(first_month, k) for k in range(months + 1)]
    bounds = sa.cast(sa.literal(starts, postgresql.ARRAY(sa.Date)), postgresql.ARRAY(sa.Date))
    return sa.func.width_bucket(day, bounds) - 1


def number_of_month(day: dt.date) -> int:
    """Return year * 12 + month - 1 of `day`, as `month_number` does in the database."""
    return day.year * 12 + day.month - 1


def day_start(day: dt.date) -> dt.datetime:
    """Return midnight UTC at the start of `day`, for comparing with stored times."""
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def stamp_on_days(column: typing.Any, start: dt.date, end: dt.date) -> sa.ColumnElement[bool]:
    """Return the condition that a stored time falls on a day from `start` to `end` (UTC)."""
    return sa.and_(column >= day_start(start), column < day_start(end + dt.timedelta(days=1)))


def median(values: list[float]) -> float | None:
    """Return the middle value (the mean of the middle two), or None for no values."""
    return statistics.median(values) if values else None
