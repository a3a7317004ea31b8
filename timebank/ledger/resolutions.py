"""Resolving transfers: confirm or decline a pending exchange, reverse a posted one, expire."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.ledger import errors, rules
from timebank.ledger.models import Account, PendingEscalation, Transfer, still_pending
from timebank.ledger.posting import Movement, NewTransfer, movement_for
from timebank.ledger.services import (
    AlsoDo,
    TransferResult,
    claim_single_write,
    commit_or_replay,
    refusals_told_to,
)
from timebank.members.models import Member
from timebank.tenancy.models import TimeBank

# Namespace for the ids of automatic confirmations, so two expiry runs cannot both confirm.
EXPIRY_NAMESPACE = uuid.UUID("6f1c1a52-4c36-4e55-9a7e-3d4c1f0b2a11")


@dataclass(frozen=True)
class _Loaded:
    original: Transfer
    actor: Member | None
    receiver_member_id: int | None
    giver_member_id: int | None


def _load(
    session: so.Session, bank_id: int, transfer_id: uuid.UUID, actor_id: int | None
) -> _Loaded:
    original = session.get(Transfer, transfer_id)
    if original is None or original.bank_id != bank_id:
        raise errors.TransferNotFound(transfer_id)
    actor = None
    if actor_id is not None:
        actor = session.get(Member, actor_id)
        if actor is None or actor.bank_id != bank_id or actor.status != "active":
            raise errors.NotYourExchange("Only an active member of this time bank can do this.")
    holders: dict[int, int | None] = dict(
        session.execute(
            sa.select(Account.id, Account.member_id).where(
                Account.id.in_([original.debit_account_id, original.credit_account_id])
            )
        )
        .tuples()
        .all()
    )
    return _Loaded(
        original,
        actor,
        holders.get(original.debit_account_id),
        holders.get(original.credit_account_id),
    )


def _resolution(
    loaded: _Loaded,
    new_id: uuid.UUID,
    phase: str,
    amount: int,
    digest: str,
    actor_id: int | None,
    reason: str | None,
    stamp: dt.datetime,
) -> NewTransfer:
    pending = loaded.original
    if pending.phase != "pending":
        raise errors.NotPending()
    return NewTransfer(
        id=new_id,
        bank_id=pending.bank_id,
        debit_account_id=pending.debit_account_id,
        credit_account_id=pending.credit_account_id,
        amount=amount,
        code=pending.code,
        phase=phase,
        happened_on=pending.happened_on,
        recorded_at=stamp,
        recorded_by_id=actor_id,
        request_digest=digest,
        description=pending.description,
        skill_category=pending.skill_category,
        reason=reason,
        pending_id=pending.id,
        group_id=pending.group_id,
    )


@use_case
def confirm_pending(
    session: so.Session,
    bank_id: int,
    pending_id: uuid.UUID,
    resolution_id: uuid.UUID,
    actor_id: int,
    minutes: int | None = None,
    now: Callable[[], dt.datetime] = utcnow,
    also: AlsoDo | None = None,
    acting_role: str | None = None,
) -> TransferResult:
    """Confirm a pending exchange, for the logged minutes or fewer; the hours then move.

    `also` runs in the same transaction when the confirmation is first recorded;
    `acting_role` is the role the actor acts with, when less than their own.
    """
    digest = rules.request_digest(
        {"op": "confirm", "bank": bank_id, "pending": pending_id, "by": actor_id, "m": minutes}
    )
    if (done := claim_single_write(session, resolution_id, digest)) is not None:
        return done
    loaded = _load(session, bank_id, pending_id, actor_id)
    assert loaded.actor is not None
    broker = rules.broker_rights(loaded.actor.has_role("broker"), acting_role)
    if not (broker or loaded.actor.id == loaded.receiver_member_id):
        raise errors.NotYourExchange(
            "Only the person who received the help, or a broker, can confirm."
        )
    if loaded.original.phase != "pending":
        raise errors.NotPending()
    logged = loaded.original.amount
    amount = logged if minutes is None else rules.check_minutes(minutes)
    if amount > logged:
        raise errors.ConfirmTooMuch(amount, logged)
    new = _resolution(loaded, resolution_id, "post_pending", amount, digest, actor_id, None, now())
    move = movement_for("post_pending", amount, logged)
    with refusals_told_to(actor_id, broker=broker):
        return commit_or_replay(session, [(new, move)], also)[0]


@use_case
def decline_pending(
    session: so.Session,
    bank_id: int,
    pending_id: uuid.UUID,
    resolution_id: uuid.UUID,
    actor_id: int,
    reason: str = "",
    now: Callable[[], dt.datetime] = utcnow,
    acting_role: str | None = None,
) -> TransferResult:
    """Decline a pending exchange (or withdraw one you logged); the reserved hours are freed.

    `acting_role` is the role the actor acts with, when less than their own.
    """
    digest = rules.request_digest(
        {"op": "decline", "bank": bank_id, "pending": pending_id, "by": actor_id, "why": reason}
    )
    if (done := claim_single_write(session, resolution_id, digest)) is not None:
        return done
    loaded = _load(session, bank_id, pending_id, actor_id)
    assert loaded.actor is not None
    parties = (loaded.receiver_member_id, loaded.giver_member_id)
    broker = rules.broker_rights(loaded.actor.has_role("broker"), acting_role)
    if not (broker or loaded.actor.id in parties):
        raise errors.NotYourExchange(
            "Only the two members, or a broker, can decline this exchange."
        )
    logged = loaded.original.amount
    new = _resolution(
        loaded, resolution_id, "void_pending", logged, digest, actor_id, reason or None, now()
    )
    return commit_or_replay(session, [(new, movement_for("void_pending", logged, logged))])[0]


@use_case
def reverse_transfer(
    session: so.Session,
    bank_id: int,
    transfer_id: uuid.UUID,
    reversal_id: uuid.UUID,
    actor_id: int,
    reason: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> TransferResult:
    """Correct a posted transfer by a broker: a new transfer moves the hours back, once."""
    reason = (reason or "").strip()
    if not reason:
        raise errors.CannotReverse("Please give a reason for the correction.")
    digest = rules.request_digest(
        {"op": "reverse", "bank": bank_id, "of": transfer_id, "by": actor_id, "why": reason}
    )
    if (done := claim_single_write(session, reversal_id, digest)) is not None:
        return done
    loaded = _load(session, bank_id, transfer_id, actor_id)
    assert loaded.actor is not None
    if not loaded.actor.has_role("broker"):
        raise errors.NotYourExchange("Only a broker can reverse an exchange.")
    original = loaded.original
    if original.phase == "pending":
        resolved = session.scalar(
            sa.select(Transfer.phase).where(Transfer.pending_id == original.id)
        )
        if resolved == "post_pending":
            raise errors.CannotReverse(
                "This exchange was confirmed by a later entry; reverse the confirmation instead."
            )
        if resolved == "void_pending":
            raise errors.CannotReverse("This exchange was declined, so no hours moved.")
        raise errors.CannotReverse("This exchange is still waiting; decline it instead.")
    if original.phase == "void_pending" or original.code == "reversal":
        raise errors.CannotReverse("Only hours that moved can be reversed.")
    stamp = now()
    new = NewTransfer(
        id=reversal_id,
        bank_id=bank_id,
        debit_account_id=original.credit_account_id,
        credit_account_id=original.debit_account_id,
        amount=original.amount,
        code="reversal",
        phase="posted",
        happened_on=stamp.date(),
        recorded_at=stamp,
        recorded_by_id=actor_id,
        request_digest=digest,
        description=original.description,
        skill_category=original.skill_category,
        reason=reason,
        reverses_id=original.id,
    )
    # A correction goes through even if a member has since left or been suspended.
    move = Movement(posted=original.amount, pending=0, require_open=False)
    with refusals_told_to(actor_id, broker=True):
        return commit_or_replay(session, [(new, move)])[0]


def transfer_that_moved(session: so.Session, bank_id: int, exchange_id: uuid.UUID) -> uuid.UUID:
    """Return the transfer that moved an exchange's hours: its confirmation if it waited."""
    confirmation = session.scalar(
        sa.select(Transfer.id).where(
            Transfer.bank_id == bank_id,
            Transfer.pending_id == exchange_id,
            Transfer.phase == "post_pending",
        )
    )
    return confirmation or exchange_id


def reverse_exchange_hours(
    session: so.Session,
    bank_id: int,
    exchange_id: uuid.UUID,
    reversal_id: uuid.UUID,
    actor_id: int,
    reason: str,
) -> TransferResult:
    """Correct a confirmed exchange (brokers): move back the hours it moved, once.

    An exchange that waited first moved its hours in its confirmation: that is undone.
    """
    moved_by = transfer_that_moved(session, bank_id, exchange_id)
    return reverse_transfer(session, bank_id, moved_by, reversal_id, actor_id, reason)


@dataclass
class ExpiryReport:
    """What one expiry run did itself: an exchange another run or a member resolved first
    counts nowhere."""

    confirmed: int = 0
    escalated: int = 0
    failed: int = 0


def _overdue(session: so.Session, bank: TimeBank, cutoff: dt.datetime) -> list[uuid.UUID]:
    transfers = Transfer.__table__
    stmt = sa.select(transfers.c.id).where(
        transfers.c.bank_id == bank.id,
        transfers.c.recorded_at < cutoff,
        still_pending(transfers),
    )
    if bank.on_expiry == "escalate":
        stmt = stmt.where(Transfer.id.not_in(sa.select(PendingEscalation.transfer_id)))
    # Oldest first; the id only makes the order of exchanges logged at one moment fixed.
    return list(session.scalars(stmt.order_by(Transfer.recorded_at, Transfer.id)))


def expire_pending(session: so.Session, now: Callable[[], dt.datetime] = utcnow) -> ExpiryReport:
    """Confirm or escalate every exchange left unconfirmed past its bank's set days.

    Each exchange is its own transaction, so one failure does not hold up the rest. Runs may
    overlap (a slow one and the next from cron): the list each reads may be stale by the time
    it acts, so each counts only what it resolved itself, and each exchange is resolved once.
    """
    report = ExpiryReport()
    stamp = now()
    banks = list(session.scalars(sa.select(TimeBank).order_by(TimeBank.id)))
    session.rollback()
    for bank in banks:
        cutoff = stamp - dt.timedelta(days=bank.confirm_days)
        overdue = _overdue(session, bank, cutoff)
        session.rollback()
        for pending_id in overdue:
            if bank.on_expiry == "escalate":
                if _escalate(session, bank.id, pending_id, stamp):
                    report.escalated += 1
                continue
            try:
                result = _auto_confirm(session, bank, pending_id, stamp)
            except errors.AlreadyResolved:
                continue  # a member or broker resolved it since the list was read
            except errors.LedgerError:
                report.failed += 1
                continue
            if not result.replayed:  # replayed: another run confirmed it first
                report.confirmed += 1
    return report


@use_case
def _escalate(session: so.Session, bank_id: int, pending_id: uuid.UUID, stamp: dt.datetime) -> bool:
    """Hand an exchange that is still pending to a broker; say whether this call did it."""
    transfers = Transfer.__table__
    pending = sa.select(transfers.c.id).where(
        transfers.c.id == pending_id, still_pending(transfers)
    )
    escalated = sa.select(PendingEscalation.transfer_id).where(
        PendingEscalation.transfer_id == pending_id
    )
    if session.scalar(pending) is None or session.scalar(escalated) is not None:
        session.rollback()
        return False
    session.add(PendingEscalation(transfer_id=pending_id, bank_id=bank_id, escalated_at=stamp))
    try:
        session.commit()
    except sa.exc.IntegrityError:  # another run escalated it between our read and our write
        session.rollback()
        return False
    return True


@use_case
def _auto_confirm(
    session: so.Session, bank: TimeBank, pending_id: uuid.UUID, stamp: dt.datetime
) -> TransferResult:
    new_id = uuid.uuid5(EXPIRY_NAMESPACE, str(pending_id))
    digest = rules.request_digest({"op": "expire", "pending": pending_id})
    if (done := claim_single_write(session, new_id, digest)) is not None:
        return done
    loaded = _load(session, bank.id, pending_id, None)
    reason = f"Confirmed automatically: nobody declined it within {bank.confirm_days} days."
    logged = loaded.original.amount
    new = _resolution(loaded, new_id, "post_pending", logged, digest, None, reason, stamp)
    return commit_or_replay(session, [(new, movement_for("post_pending", logged, logged))])[0]
