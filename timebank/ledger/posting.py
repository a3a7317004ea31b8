"""The posting path: insert one transfer and move both accounts' counters, in one transaction.

Account rows are updated in ascending id order so concurrent transfers never deadlock. The
limits are CHECK constraints, so the database refuses a breach whatever the code does; this
module turns that refusal back into an error in the time bank's words. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.ledger import errors
from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member, Organisation

accounts = Account.__table__
transfers = Transfer.__table__


@dataclass(frozen=True)
class NewTransfer:
    """One row for the transfer log."""

    id: uuid.UUID
    bank_id: int
    debit_account_id: int
    credit_account_id: int
    amount: int
    code: str
    phase: str
    happened_on: dt.date
    recorded_at: dt.datetime
    recorded_by_id: int | None
    request_digest: str
    description: str = ""
    skill_category: str | None = None
    reason: str | None = None
    pending_id: uuid.UUID | None = None
    reverses_id: uuid.UUID | None = None
    group_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Movement:
    """How a transfer changes the counters of its two accounts."""

    posted: int
    pending: int
    require_open: bool


def movement_for(phase: str, amount: int, reserved: int = 0) -> Movement:
    """Return the counter changes for a transfer of `phase` (reserved: the pending amount)."""
    if phase == "posted":
        return Movement(posted=amount, pending=0, require_open=True)
    if phase == "pending":
        return Movement(posted=0, pending=amount, require_open=True)
    if phase == "post_pending":
        return Movement(posted=amount, pending=-reserved, require_open=False)
    return Movement(posted=0, pending=-reserved, require_open=False)


def _counter_update(side: str, require_open: bool) -> sa.Update:
    posted, pending = accounts.c[f"{side}s_posted"], accounts.c[f"{side}s_pending"]
    stmt = (
        sa.update(accounts)
        .where(accounts.c.id == sa.bindparam("p_id"), accounts.c.bank_id == sa.bindparam("p_bank"))
        .values({posted: posted + sa.bindparam("p_posted"), pending: pending + sa.bindparam("p_pending")})
        .returning(accounts.c.id)
    )
    return stmt.where(accounts.c.is_open) if require_open else stmt


_UPDATES = {
    (side, require_open): _counter_update(side, require_open)
    for side in ("debit", "credit")
    for require_open in (True, False)
}
_INSERT = sa.insert(transfers)


def apply_transfer(session: so.Session, new: NewTransfer, move: Movement) -> None:
    """Append `new` to the log and move both accounts' counters, lowest account id first."""
    session.execute(_INSERT, new.__dict__)
    for account_id in sorted((new.debit_account_id, new.credit_account_id)):
        side = "debit" if account_id == new.debit_account_id else "credit"
        params = {
            "p_id": account_id,
            "p_bank": new.bank_id,
            "p_posted": move.posted,
            "p_pending": move.pending,
        }
        if session.execute(_UPDATES[(side, move.require_open)], params).first() is None:
            raise errors.AccountClosed(
                f"{account_name(session, account_id)} cannot take part in exchanges just now."
            )


def account_name(session: so.Session, account_id: int) -> str:
    """Return the name of an account's holder, as people know them."""
    row = session.execute(
        sa.select(Member.display_name, Organisation.name)
        .select_from(Account)
        .outerjoin(Member, Member.id == Account.member_id)
        .outerjoin(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.id == account_id)
    ).first()
    if row is None:
        return f"Account {account_id}"
    return row[0] or row[1]


class DuplicateTransferId(Exception):
    """The transfer id is taken: the caller decides between replay and conflict."""


def explain_refusal(
    session: so.Session, exc: sa.exc.IntegrityError, new: NewTransfer, move: Movement
) -> Exception:
    """Translate the database's refusal of `new` into an error in the time bank's words.

    Call after rolling back: it reads the accounts afresh for the numbers in the message.
    """
    text = str(exc.orig)
    if "pk_transfers" in text or "transfers.id" in text:
        return DuplicateTransferId(str(new.id))
    if "pending_id" in text:
        return errors.AlreadyResolved()
    if "reverses_id" in text:
        return errors.AlreadyReversed()
    if "within_overdraft" in text:
        account = session.get(Account, new.debit_account_id)
        assert account is not None
        would_be = account.credits_posted - account.debits_posted - account.debits_pending
        would_be -= move.posted + move.pending
        limit = account.min_balance if account.min_balance is not None else 0
        return errors.OverdraftLimitReached(
            account_name(session, account.id), would_be, limit
        )
    if "within_max_balance" in text:
        account = session.get(Account, new.credit_account_id)
        assert account is not None
        would_be = account.credits_posted + account.credits_pending - account.debits_posted
        would_be += move.posted + move.pending
        limit = account.max_balance if account.max_balance is not None else 0
        return errors.MaxBalanceReached(account_name(session, account.id), would_be, limit)
    if "FOREIGN KEY" in text.upper():
        return errors.UnknownAccount("One of the accounts does not exist in this time bank.")
    return exc
