"""The headline figures of a time bank for a period, each with its definition.

Every figure comes from the ledger and the member list: nothing extra is recorded for it.
An exchange is help given between members (an exchange or a group exchange) whose hours
moved: posted at once, or confirmed by the receiver; a reversed one does not count. A group
exchange counts once however many took part, and its hours once for each giver (the
volunteers' time); what the ledger credited is `minutes_credited`. The period is of days the
help happened on, both ends included. Brokers and admins are staff, not members.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member, is_not_staff
from timebank.reports.definitions import ACTIVE_DAYS, HEADLINE
from timebank.reports.exchanges import GroupSession, group_sessions
from timebank.reports.period import Period
from timebank.reports.scope import Scope
from timebank.reports.scratch import counted_trades
from timebank.reports.suppression import Guard

# The headline figures' definitions, one place for every report figure's words.
DEFINITIONS = HEADLINE


@dataclass(frozen=True)
class CategoryFigures:
    """The period's exchanges of one kind of help (`category` None: not said)."""

    category: str | None
    minutes_exchanged: int
    exchanges: int
    members: int
    minutes_credited: int = 0


@dataclass(frozen=True)
class Figures:
    """A bank's headline figures for the days `start` to `end`, both included."""

    start: dt.date
    end: dt.date
    minutes_exchanged: int
    exchanges: int
    active_members: int
    new_members: int
    by_category: list[CategoryFigures]
    minutes_credited: int = 0


def _trades(bank_id: int, start: dt.date, end: dt.date) -> sa.Subquery:
    """Return the bank's counted exchanges that happened from `start` to `end`."""
    return (
        counted_trades(bank_id, start, end)
        .add_columns(
            Transfer.id,
            sa.func.coalesce(Transfer.group_id, Transfer.id).label("exchange_key"),
            Transfer.amount,
            Transfer.skill_category,
            Transfer.debit_account_id,
            Transfer.credit_account_id,
        )
        .subquery("trades")
    )


def _traders(trades: sa.Subquery) -> sa.Subquery:
    """Return (member, category) for each side of each trade that is a member's account."""
    sides = sa.union_all(
        sa.select(trades.c.debit_account_id.label("account_id"), trades.c.skill_category),
        sa.select(trades.c.credit_account_id.label("account_id"), trades.c.skill_category),
    ).subquery("sides")
    return (
        sa.select(Account.member_id, sides.c.skill_category)
        .join(Account, Account.id == sides.c.account_id)
        .join(Member, Member.id == Account.member_id)
        .where(is_not_staff(Member.role))
        .subquery("traders")
    )


def _active_members(session: so.Session, bank_id: int, end: dt.date) -> int:
    traders = _traders(_trades(bank_id, end - dt.timedelta(days=ACTIVE_DAYS - 1), end))
    return session.scalar(sa.select(sa.func.count(sa.distinct(traders.c.member_id)))) or 0


def _new_members(session: so.Session, bank_id: int, start: dt.date, end: dt.date) -> int:
    since = dt.datetime.combine(start, dt.time(), dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    found = session.scalar(
        sa.select(sa.func.count(Member.id)).where(
            Member.bank_id == bank_id,
            Member.status != "applicant",
            is_not_staff(Member.role),
            Member.joined_at >= since,
            Member.joined_at < until,
        )
    )
    return found or 0


def _extra_credited(groups: list[GroupSession], category: str | None = "") -> int:
    """Return what the ledger credited beyond the givers' time, for one kind of help or all."""
    return sum(g.credited - g.given for g in groups if category == "" or g.category == category)


def _by_category(
    session: so.Session, trades: sa.Subquery, groups: list[GroupSession]
) -> list[CategoryFigures]:
    totals = session.execute(
        sa.select(
            trades.c.skill_category,
            sa.func.sum(trades.c.amount),
            sa.func.count(sa.distinct(trades.c.exchange_key)),
        ).group_by(trades.c.skill_category)
    ).all()
    traders = _traders(trades)
    people: dict[str | None, int] = {
        category: count
        for category, count in session.execute(
            sa.select(
                traders.c.skill_category, sa.func.count(sa.distinct(traders.c.member_id))
            ).group_by(traders.c.skill_category)
        )
    }
    rows = [
        CategoryFigures(
            category,
            int(minutes or 0) - _extra_credited(groups, category),
            count,
            people.get(category, 0),
            int(minutes or 0),
        )
        for category, minutes, count in totals
    ]
    return sorted(rows, key=lambda row: (-row.minutes_exchanged, row.category or "~"))


def bank_figures(session: so.Session, bank_id: int, start: dt.date, end: dt.date) -> Figures:
    """Return the bank's figures for the days from `start` to `end`, both included."""
    trades = _trades(bank_id, start, end)
    scope = Scope(session, bank_id, Period(start, end), Guard("broker"))
    groups = group_sessions(scope)
    minutes, exchanges = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(trades.c.amount), 0),
            sa.func.count(sa.distinct(trades.c.exchange_key)),
        )
    ).one()
    return Figures(
        start=start,
        end=end,
        minutes_exchanged=int(minutes) - _extra_credited(groups),
        exchanges=int(exchanges),
        active_members=_active_members(session, bank_id, end),
        new_members=_new_members(session, bank_id, start, end),
        by_category=_by_category(session, trades, groups),
        minutes_credited=int(minutes),
    )
