"""What operators see and do across time banks: each bank's size and activity, suspension."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.ledger.models import RESOLVED_TRADE, Account, Transfer
from timebank.members.models import Member, is_not_staff
from timebank.members.sessions import end_bank_sessions
from timebank.operators.models import Operator
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank

ACTIVE_DAYS = 90
EXCHANGE_DAYS = 30


@dataclass(frozen=True)
class BankAtAGlance:
    """One line of the operators' list of time banks."""

    bank: TimeBank
    members: int
    active_members: int
    exchanges: int
    last_activity: dt.datetime | None


def _members_by_bank(session: so.Session) -> dict[int, int]:
    query = (
        sa.select(Member.bank_id, sa.func.count())
        .where(Member.status == "active", is_not_staff(Member.role))
        .group_by(Member.bank_id)
    )
    return {bank_id: count for bank_id, count in session.execute(query)}


def _trades_since(since: dt.date) -> sa.Select[Any]:
    return sa.select(Transfer.bank_id, Transfer.credit_account_id, Transfer.debit_account_id).where(
        sa.text(RESOLVED_TRADE), Transfer.happened_on >= since
    )


def _active_by_bank(session: so.Session, since: dt.date) -> dict[int, int]:
    trades = _trades_since(since).subquery()
    accounts = sa.union(
        sa.select(trades.c.bank_id, trades.c.credit_account_id.label("account_id")),
        sa.select(trades.c.bank_id, trades.c.debit_account_id.label("account_id")),
    ).subquery()
    query = (
        sa.select(accounts.c.bank_id, sa.func.count(sa.distinct(Account.member_id)))
        .join(Account, Account.id == accounts.c.account_id)
        .join(Member, Member.id == Account.member_id)
        .where(is_not_staff(Member.role))
        .group_by(accounts.c.bank_id)
    )
    return {bank_id: count for bank_id, count in session.execute(query)}


def _exchanges_by_bank(session: so.Session, since: dt.date) -> dict[int, int]:
    trades = _trades_since(since).subquery()
    query = sa.select(trades.c.bank_id, sa.func.count()).group_by(trades.c.bank_id)
    return {bank_id: count for bank_id, count in session.execute(query)}


def _last_activity_by_bank(session: so.Session) -> dict[int, dt.datetime]:
    query = sa.select(Transfer.bank_id, sa.func.max(Transfer.recorded_at)).group_by(
        Transfer.bank_id
    )
    return {bank_id: at for bank_id, at in session.execute(query)}


def banks_at_a_glance(
    session: so.Session, now: Callable[[], dt.datetime] = utcnow
) -> list[BankAtAGlance]:
    """Return every time bank with its members, who traded lately and its last exchange."""
    today = now().date()
    members = _members_by_bank(session)
    active = _active_by_bank(session, today - dt.timedelta(days=ACTIVE_DAYS))
    exchanges = _exchanges_by_bank(session, today - dt.timedelta(days=EXCHANGE_DAYS))
    last = _last_activity_by_bank(session)
    banks = session.scalars(sa.select(TimeBank).order_by(TimeBank.name))
    return [
        BankAtAGlance(
            bank,
            members.get(bank.id, 0),
            active.get(bank.id, 0),
            exchanges.get(bank.id, 0),
            last.get(bank.id),
        )
        for bank in banks
    ]


def _bank(session: so.Session, bank_id: int) -> TimeBank:
    bank = session.get(TimeBank, bank_id, with_for_update=True)
    if bank is None:
        raise NotFound("There is no such time bank.")
    return bank


def _by(operator: Operator) -> str:
    return f"by operator {operator.name} ({operator.email})"


@use_case
def suspend_bank(
    session: so.Session,
    operator: Operator,
    bank_id: int,
    reason: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> TimeBank:
    """Suspend a time bank: its members are signed out and can neither sign in nor trade."""
    words = " ".join((reason or "").split())
    if not words:
        raise InvalidInput("Say why the time bank is suspended; it goes in its audit trail.")
    bank = _bank(session, bank_id)
    if bank.suspended_at is not None:
        raise InvalidInput(f"{bank.name} is already suspended.")
    stamp = now()
    bank.suspended_at = stamp
    ended = end_bank_sessions(session, bank.id, stamp)
    detail = f"{_by(operator)}: {words}; {ended} session(s) ended"
    record_action(session, bank.id, None, "bank_suspended", subject=f"bank:{bank.id}",
                  detail=detail)  # fmt: skip
    session.commit()
    return bank


@use_case
def lift_suspension(session: so.Session, operator: Operator, bank_id: int) -> TimeBank:
    """Let a suspended time bank's members sign in and trade again."""
    bank = _bank(session, bank_id)
    if bank.suspended_at is None:
        raise InvalidInput(f"{bank.name} is not suspended.")
    bank.suspended_at = None
    record_action(session, bank.id, None, "bank_resumed", subject=f"bank:{bank.id}",
                  detail=_by(operator))  # fmt: skip
    session.commit()
    return bank
