"""The posting path: insert one transfer and move both accounts' counters, in one transaction.

Account rows are updated in ascending id order so concurrent transfers never deadlock. The
limits are CHECK constraints, so the database refuses a breach whatever the code does; this
module turns that refusal back into an error in the time bank's words. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import run
from timebank.ledger import errors, rules
from timebank.ledger.models import Account, Transfer, is_trade
from timebank.members.models import Member, Organisation

accounts = cast(sa.Table, Account.__table__)
transfers = cast(sa.Table, Transfer.__table__)


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


# Which side of its trades an account is on: credited = it gave the help.
TRADE_SIDE = {"credit": "given", "debit": "received"}


def _counter_update(side: str, require_open: bool, trade: bool) -> sa.Update:
    posted, pending = accounts.c[f"{side}s_posted"], accounts.c[f"{side}s_pending"]
    stmt = (
        sa.update(accounts)
        .where(accounts.c.id == sa.bindparam("p_id"), accounts.c.bank_id == sa.bindparam("p_bank"))
        .values({posted: posted + sa.bindparam("p_posted")})
        .values({pending: pending + sa.bindparam("p_pending")})
        .returning(accounts.c.id)
    )
    if trade:
        kind = TRADE_SIDE[side]
        count = accounts.c[f"trades_{kind}"]
        first, last = accounts.c[f"first_{kind}_on"], accounts.c[f"last_{kind}_on"]
        day = sa.bindparam("p_day", type_=sa.Date)
        stmt = stmt.values(
            {
                count: count + 1,
                first: sa.case((first <= day, first), else_=day),
                last: sa.case((last >= day, last), else_=day),
            }
        )
    return stmt.where(accounts.c.is_open) if require_open else stmt


_UPDATES = {
    (side, require_open, trade): _counter_update(side, require_open, trade)
    for side in ("debit", "credit")
    for require_open in (True, False)
    for trade in (True, False)
}
_INSERT = sa.insert(transfers)


def _move_sql(side: str, account_param: str, trade: bool) -> str:
    sets = [
        f"{side}s_posted = {side}s_posted + :p_posted",
        f"{side}s_pending = {side}s_pending + :p_pending",
    ]
    if trade:
        kind = TRADE_SIDE[side]
        # A missing first or last day compares as unknown, so the trade's day fills it.
        sets += [
            f"trades_{kind} = trades_{kind} + 1",
            f"first_{kind}_on = CASE WHEN first_{kind}_on <= :happened_on"
            f" THEN first_{kind}_on ELSE :happened_on END",
            f"last_{kind}_on = CASE WHEN last_{kind}_on >= :happened_on"
            f" THEN last_{kind}_on ELSE :happened_on END",
        ]
    return f"UPDATE accounts SET {', '.join(sets)} WHERE accounts.id = :{account_param}"


def _post_in_one_statement(lower_side: str, require_open: bool, trade: bool) -> sa.TextClause:
    """Build the PostgreSQL statement that does all of `apply_transfer` in one round trip.

    Its steps run in this order, each because it reads the one before:
    1. lock both account rows, lowest id first, and read whether they are open;
    2. append the transfer unless an account that must be open is closed; a duplicate id
       waits for the first writer and then fails here, before any counter moves;
    3. move the lower account's counters, then the higher one's, only if both accounts are
       in this bank (if one is not, the foreign keys refuse the insert at the statement's end);
       for a trade, each account's count and first and last day of trades on its side too.
    The CHECK constraints on the account rows refuse a breach in step 3, as before. The
    statement returns the closed accounts' ids, lowest first; when there are any, it has
    written nothing.
    """
    upper_side = "credit" if lower_side == "debit" else "debit"
    blocked = "NOT is_open" if require_open else "false"
    # Every column the request gives; the database numbers `seq` itself.
    columns = [column.name for column in transfers.c if column.name != "seq"]
    return sa.text(
        f"""
        WITH locked AS (
            SELECT id, {blocked} AS blocked FROM accounts
            WHERE id IN (:debit_account_id, :credit_account_id) AND bank_id = :bank_id
            ORDER BY id
            FOR NO KEY UPDATE
        ), movable AS (
            SELECT count(*) = 2 AS both_here, NOT coalesce(bool_or(blocked), false) AS free
            FROM locked
        ), logged AS (
            INSERT INTO transfers ({", ".join(columns)})
            SELECT {", ".join(":" + name for name in columns)} FROM movable WHERE free
            RETURNING id
        ), lower_moved AS (
            {_move_sql(lower_side, f"{lower_side}_account_id", trade)}
              AND EXISTS (SELECT FROM logged) AND (SELECT both_here FROM movable)
            RETURNING accounts.id
        ), upper_moved AS (
            {_move_sql(upper_side, f"{upper_side}_account_id", trade)}
              AND EXISTS (SELECT FROM lower_moved)
            RETURNING accounts.id
        )
        SELECT id FROM locked WHERE blocked ORDER BY id
        """
    ).bindparams(
        sa.bindparam("id", type_=sa.Uuid),
        sa.bindparam("pending_id", type_=sa.Uuid),
        sa.bindparam("reverses_id", type_=sa.Uuid),
        sa.bindparam("group_id", type_=sa.Uuid),
        sa.bindparam("happened_on", type_=sa.Date),
        sa.bindparam("recorded_at", type_=sa.DateTime(timezone=True)),
        sa.bindparam("p_posted", type_=sa.BigInteger),
        sa.bindparam("p_pending", type_=sa.BigInteger),
    )


_POST_IN_ONE = {
    (lower_side, require_open, trade): _post_in_one_statement(lower_side, require_open, trade)
    for lower_side in ("debit", "credit")
    for require_open in (True, False)
    for trade in (True, False)
}


_LOCK_ACCOUNTS = (
    sa.select(accounts.c.id)
    .where(accounts.c.id.in_(sa.bindparam("account_ids", expanding=True)))
    .order_by(accounts.c.id)
    .with_for_update(key_share=True)
)


def lock_accounts(session: so.Session, account_ids: Iterable[int]) -> None:
    """Lock these accounts' rows, lowest id first, before one transaction moves several pairs.

    Each posting locks its own two rows in ascending order, but the pairs of a group exchange
    taken one after another are not in ascending order overall; without this, a group and a
    pair exchange on the same accounts can deadlock. SQLite's BEGIN IMMEDIATE already lets
    one writer at a time in, so there is nothing to lock there.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_ACCOUNTS, {"account_ids": sorted(set(account_ids))})


def apply_transfer(session: so.Session, new: NewTransfer, move: Movement) -> None:
    """Append `new` to the log and move both accounts' counters, lowest account id first."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        stuck = _apply_in_one_statement(conn, new, move)
    else:
        stuck = _apply_statement_by_statement(conn, new, move)
    if stuck is not None:
        raise errors.AccountClosed(
            f"{account_name(session, stuck)} cannot take part in exchanges just now."
        )


def _ascending(new: NewTransfer) -> tuple[int, int]:
    pair = (new.debit_account_id, new.credit_account_id)
    return min(pair), max(pair)


def _apply_in_one_statement(conn: sa.Connection, new: NewTransfer, move: Movement) -> int | None:
    """Post `new` in one statement; return the first account that could not move, if any."""
    lower_side = "debit" if new.debit_account_id < new.credit_account_id else "credit"
    params = {**new.__dict__, "p_posted": move.posted, "p_pending": move.pending}
    trade = is_trade(new.code, new.phase)
    blocked = run(conn, _POST_IN_ONE[(lower_side, move.require_open, trade)], params)
    return blocked[0][0] if blocked else None


def _apply_statement_by_statement(
    conn: sa.Connection, new: NewTransfer, move: Movement
) -> int | None:
    """Insert, then move each account in ascending order; return the first that could not."""
    conn.execute(_INSERT, new.__dict__)
    trade = is_trade(new.code, new.phase)
    for account_id in _ascending(new):
        side = "debit" if account_id == new.debit_account_id else "credit"
        params: dict[str, int | dt.date] = {
            "p_id": account_id,
            "p_bank": new.bank_id,
            "p_posted": move.posted,
            "p_pending": move.pending,
        }
        if trade:
            params["p_day"] = new.happened_on
        if conn.execute(_UPDATES[(side, move.require_open, trade)], params).first() is None:
            return account_id
    return None


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
    name: str = row[0] or row[1]
    return name


class DuplicateTransferId(Exception):
    """The transfer id is taken: the caller decides between replay and conflict."""


def explain_refusal(
    session: so.Session,
    exc: sa.exc.IntegrityError,
    new: NewTransfer,
    move: Movement,
    earlier: Sequence[tuple[NewTransfer, Movement]] = (),
) -> Exception:
    """Translate the database's refusal of `new` into an error in the time bank's words.

    Call after rolling back: it reads the accounts afresh for the numbers in the message, and
    counts `earlier` transfers of the same transaction (a group exchange) as moved already.
    """
    text = str(exc.orig)
    if "pk_transfers" in text or "transfers.id" in text:
        return DuplicateTransferId(str(new.id))
    if "pending_id" in text:
        return errors.AlreadyResolved()
    if "reverses_id" in text:
        return errors.AlreadyReversed()
    if "within_overdraft" in text:
        account, (dp, cp, dpend, _) = _counters_after(
            session, new.debit_account_id, new, move, earlier
        )
        would_be = rules.lowest_possible_balance(cp, dp, dpend)
        limit = account.min_balance if account.min_balance is not None else 0
        return errors.OverdraftLimitReached(
            account_name(session, account.id),
            would_be,
            limit,
            member_id=account.member_id,
            amount=new.amount,
        )
    if "within_max_balance" in text:
        account, (dp, cp, _, cpend) = _counters_after(
            session, new.credit_account_id, new, move, earlier
        )
        would_be = rules.highest_possible_balance(cp, dp, cpend)
        limit = account.max_balance if account.max_balance is not None else 0
        return errors.MaxBalanceReached(
            account_name(session, account.id),
            would_be,
            limit,
            member_id=account.member_id,
            amount=new.amount,
        )
    if "FOREIGN KEY" in text.upper():
        return errors.UnknownAccount("One of the accounts does not exist in this time bank.")
    return exc


def _counters_after(
    session: so.Session,
    account_id: int,
    new: NewTransfer,
    move: Movement,
    earlier: Sequence[tuple[NewTransfer, Movement]],
) -> tuple[Account, list[int]]:
    """Return the account and its counters had `earlier` and then `new` moved it."""
    account = session.get(Account, account_id)
    assert account is not None
    counters = [
        account.debits_posted,
        account.credits_posted,
        account.debits_pending,
        account.credits_pending,
    ]
    for transfer, movement in (*earlier, (new, move)):
        for side, touched in ((0, transfer.debit_account_id), (1, transfer.credit_account_id)):
            if touched == account_id:
                counters[side] += movement.posted
                counters[side + 2] += movement.pending
    return account, counters
