"""Read-only ledger queries for the member's pages: balance, waiting items, history, statements.

Nothing here writes or commits. Every query takes the time bank's id and, where it lists
exchanges, the member whose exchanges they are, so a page can only ever see its own bank.

An exchange, as a member sees it, is one original transfer (posted at once, or pending) with
its state worked out from the transfer that later resolved it, if any: confirmed (posted, or
a pending one confirmed), waiting (pending, nothing resolved it) or declined.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.ledger.models import TRADE_CODES, Account, Transfer
from timebank.ledger.states import EXCHANGE_STATES, exchange_state, state_condition
from timebank.members.models import Member, Organisation

DIRECTIONS = ("given", "received")


@dataclass(frozen=True)
class BalanceSummary:
    """A member's balance and limits in minutes, and the hours waiting either way."""

    balance: int
    min_balance: int | None
    max_balance: int | None
    waiting_to_come_in: int
    waiting_to_go_out: int


def member_account_id(session: so.Session, bank_id: int, member_id: int) -> int | None:
    """Return the id of a member's hour account in this bank, if there is one."""
    return session.scalar(
        sa.select(Account.id).where(Account.bank_id == bank_id, Account.member_id == member_id)
    )


def balance_summary(session: so.Session, bank_id: int, member_id: int) -> BalanceSummary:
    """Return a member's balance, limits and waiting hours."""
    account = session.scalar(
        sa.select(Account).where(Account.bank_id == bank_id, Account.member_id == member_id)
    )
    if account is None:
        return BalanceSummary(0, None, None, 0, 0)
    return BalanceSummary(
        balance=account.balance,
        min_balance=account.min_balance,
        max_balance=account.max_balance,
        waiting_to_come_in=account.credits_pending,
        waiting_to_go_out=account.debits_pending,
    )


@dataclass(frozen=True)
class ExchangeLine:
    """One exchange seen from one member's side."""

    id: uuid.UUID
    code: str
    happened_on: dt.date
    recorded_at: dt.datetime
    minutes: int
    logged_minutes: int
    # True when this member gave the help (their balance goes up).
    given: bool
    state: str
    other_member_id: int | None
    other_name: str
    skill_category: str | None
    description: str
    recorded_by_id: int | None
    group_id: uuid.UUID | None

    @property
    def signed_minutes(self) -> int:
        """Return the minutes as they change this member's balance."""
        return self.minutes if self.given else -self.minutes

    @property
    def is_trade(self) -> bool:
        """Say whether this was help given between members (not a donation or correction)."""
        return self.code in TRADE_CODES


@dataclass(frozen=True)
class HistoryFilters:
    """What a member narrowed their history to; None means everything."""

    month: tuple[int, int] | None = None
    direction: str | None = None
    state: str | None = None
    other_member_id: int | None = None


_original = Transfer.__table__.alias("original")
_resolution = Transfer.__table__.alias("resolution")
_other_account = Account.__table__.alias("other_account")
_other_member = Member.__table__.alias("other_member")
_other_org = Organisation.__table__.alias("other_org")

_STATE_CONDITIONS = {
    state: state_condition(state, _original, _resolution) for state in EXCHANGE_STATES
}


def _other_side(account_id: int) -> sa.ColumnElement[int]:
    return sa.case(
        (_original.c.credit_account_id == account_id, _original.c.debit_account_id),
        else_=_original.c.credit_account_id,
    )


def _lines_query(bank_id: int, account_id: int) -> sa.Select[Any]:
    """Build the query of every exchange of one account, with its state and the other side."""
    return (
        sa.select(
            _original.c.id,
            _original.c.code,
            _original.c.happened_on,
            _original.c.recorded_at,
            _original.c.amount,
            _original.c.credit_account_id,
            _original.c.phase,
            _resolution.c.phase.label("resolved_as"),
            _resolution.c.amount.label("resolved_amount"),
            _other_member.c.id.label("other_member_id"),
            _other_member.c.display_name,
            _other_org.c.name.label("org_name"),
            _original.c.skill_category,
            _original.c.description,
            _original.c.recorded_by_id,
            _original.c.group_id,
        )
        .select_from(_original)
        .outerjoin(_resolution, _resolution.c.pending_id == _original.c.id)
        .join(_other_account, _other_account.c.id == _other_side(account_id))
        .outerjoin(_other_member, _other_member.c.id == _other_account.c.member_id)
        .outerjoin(_other_org, _other_org.c.id == _other_account.c.organisation_id)
        .where(
            _original.c.bank_id == bank_id,
            _original.c.phase.in_(("posted", "pending")),
            sa.or_(
                _original.c.debit_account_id == account_id,
                _original.c.credit_account_id == account_id,
            ),
        )
    )


def _line(row: sa.Row[Any], account_id: int) -> ExchangeLine:
    confirmed_amount = row.resolved_amount if row.resolved_as == "post_pending" else None
    return ExchangeLine(
        id=row.id,
        code=row.code,
        happened_on=row.happened_on,
        recorded_at=row.recorded_at,
        minutes=confirmed_amount or row.amount,
        logged_minutes=row.amount,
        given=row.credit_account_id == account_id,
        state=exchange_state(row.phase, row.resolved_as),
        other_member_id=row.other_member_id,
        other_name=row.display_name or row.org_name or "Someone",
        skill_category=row.skill_category,
        description=row.description or "",
        recorded_by_id=row.recorded_by_id,
        group_id=row.group_id,
    )


def _month_range(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, end


def _filtered(query: sa.Select[Any], account_id: int, filters: HistoryFilters) -> sa.Select[Any]:
    if filters.month is not None:
        start, end = _month_range(*filters.month)
        query = query.where(_original.c.happened_on >= start, _original.c.happened_on < end)
    if filters.direction == "given":
        query = query.where(_original.c.credit_account_id == account_id)
    elif filters.direction == "received":
        query = query.where(_original.c.debit_account_id == account_id)
    if filters.state in _STATE_CONDITIONS:
        query = query.where(_STATE_CONDITIONS[filters.state])
    if filters.other_member_id is not None:
        query = query.where(_other_member.c.id == filters.other_member_id)
    return query


_NEWEST_FIRST = (_original.c.happened_on.desc(), _original.c.recorded_at.desc())


def exchange_lines(
    session: so.Session,
    bank_id: int,
    member_id: int,
    filters: HistoryFilters | None = None,
    limit: int | None = None,
) -> list[ExchangeLine]:
    """Return a member's exchanges, newest first, narrowed by `filters`."""
    filters = filters or HistoryFilters()
    account_id = member_account_id(session, bank_id, member_id)
    if account_id is None:
        return []
    query = _filtered(_lines_query(bank_id, account_id), account_id, filters)
    rows = session.execute(query.order_by(*_NEWEST_FIRST).limit(limit)).all()
    return [_line(row, account_id) for row in rows]


def exchange_line(
    session: so.Session, bank_id: int, member_id: int, transfer_id: uuid.UUID
) -> ExchangeLine | None:
    """Return one exchange of a member's, or None when it is not theirs."""
    account_id = member_account_id(session, bank_id, member_id)
    if account_id is None:
        return None
    query = _lines_query(bank_id, account_id).where(_original.c.id == transfer_id)
    row = session.execute(query).first()
    return _line(row, account_id) if row is not None else None


def waiting_for_member(session: so.Session, bank_id: int, member_id: int) -> list[ExchangeLine]:
    """Return the exchanges waiting for this member to confirm (they received the help)."""
    filters = HistoryFilters(direction="received", state="waiting")
    return exchange_lines(session, bank_id, member_id, filters)


def waiting_for_others(session: so.Session, bank_id: int, member_id: int) -> list[ExchangeLine]:
    """Return the exchanges this member gave that wait for the other person to confirm."""
    filters = HistoryFilters(direction="given", state="waiting")
    return exchange_lines(session, bank_id, member_id, filters)


@dataclass(frozen=True)
class HistoryPage:
    """One page of a member's history."""

    lines: list[ExchangeLine]
    page: int
    pages: int
    total: int


def history_page(
    session: so.Session,
    bank_id: int,
    member_id: int,
    filters: HistoryFilters,
    page: int = 1,
    per_page: int = 20,
) -> HistoryPage:
    """Return one page of a member's exchanges, newest first, narrowed by `filters`."""
    account_id = member_account_id(session, bank_id, member_id)
    if account_id is None:
        return HistoryPage([], 1, 1, 0)
    query = _filtered(_lines_query(bank_id, account_id), account_id, filters)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    rows = session.execute(
        query.order_by(*_NEWEST_FIRST).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return HistoryPage([_line(row, account_id) for row in rows], page, pages, total)


@dataclass(frozen=True)
class Statement:
    """A member's confirmed exchanges in one month, with the balance before and after."""

    month_start: dt.date
    opening: int
    lines: list[ExchangeLine] = field(default_factory=list)

    @property
    def given(self) -> int:
        """Return the minutes of help this member gave in the month."""
        return sum(line.minutes for line in self.lines if line.is_trade and line.given)

    @property
    def received(self) -> int:
        """Return the minutes of help this member received in the month."""
        return sum(line.minutes for line in self.lines if line.is_trade and not line.given)

    @property
    def other_changes(self) -> int:
        """Return the net minutes of donations, grants and corrections in the month."""
        return sum(line.signed_minutes for line in self.lines if not line.is_trade)

    @property
    def closing(self) -> int:
        """Return the balance at the end of the month."""
        return self.opening + sum(line.signed_minutes for line in self.lines)


def _balance_before(session: so.Session, bank_id: int, account_id: int, day: dt.date) -> int:
    """Sum the hours that moved for an account on exchanges that happened before `day`."""
    t = Transfer.__table__
    signed = sa.case((t.c.credit_account_id == account_id, t.c.amount), else_=-t.c.amount)
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(signed), 0)).where(
            t.c.bank_id == bank_id,
            t.c.phase.in_(("posted", "post_pending")),
            t.c.happened_on < day,
            sa.or_(t.c.debit_account_id == account_id, t.c.credit_account_id == account_id),
        )
    )
    return int(total or 0)


def monthly_statement(
    session: so.Session, bank_id: int, member_id: int, year: int, month: int
) -> Statement:
    """Return a member's statement for one month: opening balance, exchanges, closing balance."""
    start, _ = _month_range(year, month)
    account_id = member_account_id(session, bank_id, member_id)
    if account_id is None:
        return Statement(start, 0)
    filters = HistoryFilters(month=(year, month), state="confirmed")
    query = _filtered(_lines_query(bank_id, account_id), account_id, filters)
    rows = session.execute(query.order_by(_original.c.happened_on, _original.c.recorded_at)).all()
    opening = _balance_before(session, bank_id, account_id, start)
    return Statement(start, opening, [_line(row, account_id) for row in rows])


@dataclass(frozen=True)
class MemberChoice:
    """A member someone can choose: their name and, if they share it, their area."""

    id: int
    name: str
    area: str | None = None


def _choice(member_id: int, name: str, area: str | None, show_area: bool) -> MemberChoice:
    return MemberChoice(member_id, name, area if show_area and area else None)


def _partners_query(bank_id: int, account_id: int) -> sa.Select[Any]:
    """Build the query of the members this account traded with, with their last exchange."""
    return (
        sa.select(
            Member.id,
            Member.display_name,
            Member.area,
            Member.show_area,
            sa.func.max(_original.c.recorded_at).label("last_at"),
        )
        .select_from(_original)
        .join(_other_account, _other_account.c.id == _other_side(account_id))
        .join(Member, Member.id == _other_account.c.member_id)
        .where(
            _original.c.bank_id == bank_id,
            _original.c.code.in_(TRADE_CODES),
            _original.c.phase.in_(("posted", "pending")),
            sa.or_(
                _original.c.debit_account_id == account_id,
                _original.c.credit_account_id == account_id,
            ),
        )
        .group_by(Member.id, Member.display_name, Member.area, Member.show_area)
    )


def recent_partners(
    session: so.Session, bank_id: int, member_id: int, limit: int = 5
) -> list[MemberChoice]:
    """Return the active members this member traded with most recently, latest first."""
    account_id = member_account_id(session, bank_id, member_id)
    if account_id is None:
        return []
    query = (
        _partners_query(bank_id, account_id)
        .where(Member.status == "active", Member.erased_at.is_(None))
        .order_by(sa.desc("last_at"), Member.display_name)
        .limit(limit)
    )
    return [_choice(r.id, r.display_name, r.area, r.show_area) for r in session.execute(query)]


def all_partners(session: so.Session, bank_id: int, member_id: int) -> list[MemberChoice]:
    """Return every member this member ever traded with, by name (for history filters)."""
    account_id = member_account_id(session, bank_id, member_id)
    if account_id is None:
        return []
    query = _partners_query(bank_id, account_id).order_by(Member.display_name, Member.id)
    return [_choice(r.id, r.display_name, None, False) for r in session.execute(query)]


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_members(
    session: so.Session,
    bank_id: int,
    text: str,
    exclude_ids: Sequence[int] = (),
    limit: int = 20,
) -> list[MemberChoice]:
    """Return active members of this bank whose name contains `text`, by name."""
    text = (text or "").strip()
    if not text:
        return []
    query = (
        sa.select(Member.id, Member.display_name, Member.area, Member.show_area)
        .where(
            Member.bank_id == bank_id,
            Member.status == "active",
            Member.erased_at.is_(None),
            Member.display_name.ilike(_like_pattern(text), escape="\\"),
        )
        .order_by(Member.display_name, Member.id)
        .limit(limit)
    )
    if exclude_ids:
        query = query.where(Member.id.not_in(list(exclude_ids)))
    return [_choice(r.id, r.display_name, r.area, r.show_area) for r in session.execute(query)]
