"""Ledger use cases. Each is one function and one transaction, and only these commit."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import run, use_case
from timebank.ledger import errors, rules
from timebank.ledger.claims import claim_write
from timebank.ledger.models import Account, Transfer
from timebank.ledger.posting import (
    DuplicateTransferId,
    Movement,
    NewTransfer,
    apply_transfer,
    explain_refusal,
    lock_accounts,
    movement_for,
)
from timebank.members.models import Member, role_includes
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank
from timebank.tenancy.suspension import BankSuspended, suspended_words


@dataclass(frozen=True)
class TransferResult:
    """What a write did: the transfer's id and phase, and whether this call was a replay."""

    id: uuid.UUID
    phase: str
    amount: int
    code: str
    debit_account_id: int
    credit_account_id: int
    replayed: bool = False
    happened_on: dt.date | None = None


@dataclass(frozen=True)
class ExchangeRequest:
    """A member gave `minutes` of help to another; `transfer_id` is the client's id."""

    transfer_id: uuid.UUID
    bank_id: int
    giver_id: int
    receiver_id: int
    minutes: int
    recorded_by_id: int
    happened_on: dt.date | None = None
    description: str = ""
    skill_category: str | None = None
    # Why a broker dates it further back than members may (see rules.check_exchange_date).
    reason: str = ""
    # The role the recorder acts with, when less than their own (see rules.broker_rights).
    acting_role: str | None = None


@dataclass(frozen=True)
class GroupExchangeRequest:
    """One giver to several receivers, or several givers to one, all or nothing."""

    group_id: uuid.UUID
    bank_id: int
    giver_ids: Sequence[int]
    receiver_ids: Sequence[int]
    minutes: int
    recorded_by_id: int
    happened_on: dt.date | None = None
    description: str = ""
    skill_category: str | None = None
    # Why a broker dates it further back than members may (see rules.check_exchange_date).
    reason: str = ""
    # The role the recorder acts with, when less than their own (see rules.broker_rights).
    acting_role: str | None = None


@dataclass(frozen=True)
class _Party:
    member_id: int
    name: str
    status: str
    role: str
    account_id: int | None
    is_open: bool


@dataclass
class _Context:
    bank_max_minutes: int
    bank_timezone: str
    bank_past_days: int
    parties: dict[int, _Party] = field(default_factory=dict)
    existing_digest: str | None = None
    # The write's id is already taken by a write of the other kind (a group for an
    # exchange, a transfer for a group): a conflict, whatever the request says.
    taken_by_other_kind: bool = False


def _result(row: Transfer | NewTransfer, replayed: bool) -> TransferResult:
    return TransferResult(
        id=row.id,
        phase=row.phase,
        amount=row.amount,
        code=row.code,
        debit_account_id=row.debit_account_id,
        credit_account_id=row.credit_account_id,
        replayed=replayed,
        happened_on=row.happened_on,
    )


def _context_query(wanted_members: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """Build the query behind `_load_context`: every input is a bound parameter."""
    banks, members, accounts = TimeBank.__table__, Member.__table__, Account.__table__
    transfers = Transfer.__table__
    bank_id = sa.bindparam("bank_id", type_=sa.Integer)
    existing = sa.select(transfers.c.request_digest).where(
        transfers.c.id == sa.bindparam("transfer_id", type_=sa.Uuid)
    )
    # An exchange's id used as a group's id, or a group's id used as a transfer's id; the
    # other parameter is NULL, so its half finds nothing.
    other_kind = sa.or_(
        sa.exists().where(transfers.c.group_id == sa.bindparam("as_group", type_=sa.Uuid)),
        sa.exists().where(transfers.c.id == sa.bindparam("as_transfer", type_=sa.Uuid)),
    )
    bank_max = sa.select(banks.c.max_exchange_minutes).where(banks.c.id == bank_id)
    return (
        sa.select(
            bank_max.scalar_subquery(),
            existing.scalar_subquery(),
            other_kind,
            banks.c.timezone,
            banks.c.exchange_past_days,
            banks.c.suspended_at,
            banks.c.name,
            members.c.id,
            members.c.display_name,
            members.c.status,
            members.c.role,
            accounts.c.id,
            accounts.c.is_open,
        )
        .select_from(banks)
        .outerjoin(members, sa.and_(members.c.bank_id == banks.c.id, wanted_members))
        .outerjoin(accounts, accounts.c.member_id == members.c.id)
        .where(banks.c.id == bank_id)
    )


_MEMBER_SLOTS = ("member_1", "member_2", "member_3")
# Up to three members (an exchange's giver, receiver and recorder): one fixed SQL text that
# the posting path compiles once; a group exchange names any number, in an expanding list.
_CONTEXT_OF_FEW = _context_query(
    Member.__table__.c.id.in_([sa.bindparam(slot, type_=sa.Integer) for slot in _MEMBER_SLOTS])
)
_CONTEXT_OF_MANY = _context_query(
    Member.__table__.c.id.in_(sa.bindparam("member_ids", expanding=True))
)


def _load_context(
    session: so.Session,
    bank_id: int,
    member_ids: set[int],
    transfer_id: uuid.UUID,
    group_id: uuid.UUID | None = None,
) -> _Context:
    """Read the members, their accounts, the bank's limit and any earlier use of the id at once.

    For a group exchange `transfer_id` is its first transfer's id and `group_id` its own.
    """
    conn = session.connection()
    params: dict[str, object] = {
        "bank_id": bank_id,
        "transfer_id": transfer_id,
        "as_group": transfer_id if group_id is None else None,
        "as_transfer": group_id,
    }
    if 0 < len(member_ids) <= len(_MEMBER_SLOTS):
        ids = sorted(member_ids)
        params.update(
            zip(_MEMBER_SLOTS, ids + ids[-1:] * (len(_MEMBER_SLOTS) - len(ids)), strict=True)
        )
        rows = run(conn, _CONTEXT_OF_FEW, params)
    else:
        rows = conn.execute(_CONTEXT_OF_MANY, {**params, "member_ids": list(member_ids)}).all()
    if not rows:
        raise errors.UnknownAccount("There is no such time bank.")
    context = _Context(
        bank_max_minutes=rows[0][0],
        existing_digest=rows[0][1],
        taken_by_other_kind=bool(rows[0][2]),
        bank_timezone=rows[0][3],
        bank_past_days=rows[0][4],
    )
    if rows[0][5] is not None:
        raise BankSuspended(suspended_words(rows[0][6]))
    for row in rows:
        if row[7] is not None:
            context.parties[row[7]] = _Party(*row[7:])
    return context


def _party(context: _Context, member_id: int, *, trading: bool) -> _Party:
    party = context.parties.get(member_id)
    if party is None:
        raise errors.UnknownAccount(f"Member {member_id} is not a member of this time bank.")
    if trading and (party.status != "active" or not party.is_open or party.account_id is None):
        raise errors.MemberNotActive(
            f"{party.name} is not an active member ({party.status}), so cannot trade hours."
        )
    return party


def _acting_party(context: _Context, member_id: int) -> _Party:
    """Return the member recording the exchange; one of another bank may not."""
    party = context.parties.get(member_id)
    if party is None:
        raise errors.NotYourExchange("Only an active member of this time bank can do this.")
    return party


def _is_broker(party: _Party, acting_role: str | None = None) -> bool:
    return rules.broker_rights(
        party.status == "active" and role_includes(party.role, "broker"), acting_role
    )


def _exchange_day(
    request: ExchangeRequest | GroupExchangeRequest,
    context: _Context,
    actor: _Party,
    stamp: dt.datetime,
) -> dt.date:
    """Return the day the exchange happened (today in the bank's zone if none), if allowed."""
    today = today_in_zone(context.bank_timezone, lambda: stamp)
    return rules.check_exchange_date(
        request.happened_on or today,
        today,
        context.bank_past_days,
        by_broker=_is_broker(actor, request.acting_role),
        reason=request.reason,
    )


def _digest_of_reason(request: ExchangeRequest | GroupExchangeRequest) -> dict[str, str]:
    """Return the reason as part of a request's fingerprint (absent when none was given)."""
    return {"why": request.reason} if request.reason else {}


def replay_or_conflict(session: so.Session, transfer_id: uuid.UUID, digest: str) -> TransferResult:
    """Answer a write whose id is taken: the first result if the request is the same."""
    row = session.get(Transfer, transfer_id)
    if row is None:  # the first attempt rolled back after all; the caller may try again
        raise errors.WriteInProgress()
    if row.request_digest != digest:
        raise errors.IdempotencyConflict(transfer_id)
    return _result(row, replayed=True)


def claim_single_write(
    session: so.Session, write_id: uuid.UUID, digest: str
) -> TransferResult | None:
    """Claim the id of a write of one transfer; return the first answer if it is a replay.

    An id that names a group exchange cannot be used for anything else: a conflict.
    """
    claim_write(session, write_id)
    transfers = Transfer.__table__
    existing, as_group = session.execute(
        sa.select(
            sa.select(transfers.c.request_digest)
            .where(transfers.c.id == write_id)
            .scalar_subquery(),
            sa.exists().where(transfers.c.group_id == write_id),
        )
    ).one()
    if existing is not None:
        result = replay_or_conflict(session, write_id, digest)
        session.rollback()
        return result
    if as_group:
        raise errors.IdempotencyConflict(write_id, "a group exchange")
    return None


@contextmanager
def refusals_told_to(viewer_id: int, *, broker: bool, show_fit: bool = True) -> Iterator[None]:
    """Word a refusal at a balance limit for the person who asked (see BalanceLimitReached)."""
    try:
        yield
    except errors.BalanceLimitReached as refusal:
        raise refusal.told_to(viewer_id, broker=broker, show_fit=show_fit) from None


# Work done in the same transaction as new transfers, such as queueing a text about them.
AlsoDo = Callable[[so.Session, list[TransferResult]], None]


def _commit_transfers(
    session: so.Session,
    items: Sequence[tuple[NewTransfer, Movement]],
    also: AlsoDo | None = None,
) -> list[TransferResult]:
    """Apply every transfer in `items` (and `also`) and commit, or roll back all and raise."""
    applied: list[tuple[NewTransfer, Movement]] = []
    try:
        if len(items) > 1:  # each posting locks its own pair; several must lock all at once
            lock_accounts(session, [a for new, _ in items for a in _account_ids(new)])
        for item in items:
            applied.append(item)
            apply_transfer(session, *item)
        if also is not None:
            also(session, [_result(new, replayed=False) for new, _ in items])
        session.commit()
    except sa.exc.IntegrityError as exc:
        session.rollback()
        # The database refused the transfer being applied; those before it count as moved.
        *earlier, refused = applied or items[:1]
        raise explain_refusal(session, exc, *refused, earlier) from None
    except BaseException:
        session.rollback()
        raise
    return [_result(new, replayed=False) for new, _ in items]


def _account_ids(new: NewTransfer) -> tuple[int, int]:
    return new.debit_account_id, new.credit_account_id


def commit_or_replay(
    session: so.Session,
    items: Sequence[tuple[NewTransfer, Movement]],
    also: AlsoDo | None = None,
) -> list[TransferResult]:
    """Commit `items`; if a concurrent call took the same id first, answer as a replay.

    `also` runs only for a first recording, never for a replay.
    """
    try:
        return _commit_transfers(session, items, also)
    except DuplicateTransferId:
        results = [replay_or_conflict(session, new.id, new.request_digest) for new, _ in items]
        session.rollback()
        return results


@use_case
def record_exchange(
    session: so.Session,
    request: ExchangeRequest,
    now: Callable[[], dt.datetime] = utcnow,
    also: AlsoDo | None = None,
) -> TransferResult:
    """Record that one member gave another `minutes` of help.

    Logged by the giver it waits for the receiver's confirmation (pending); logged by the
    receiver, or by a broker for two other members, it posts at once. `also` runs in the
    same transaction when the exchange is first recorded (not on a replay).
    """
    minutes = rules.check_minutes(request.minutes)
    if request.giver_id == request.receiver_id:
        raise errors.SameAccount()
    digest = rules.request_digest(
        {
            "op": "exchange",
            "bank": request.bank_id,
            "giver": request.giver_id,
            "receiver": request.receiver_id,
            "minutes": minutes,
            "by": request.recorded_by_id,
            "on": request.happened_on,
            "what": request.description,
            "skill": request.skill_category,
            **_digest_of_reason(request),
        }
    )
    ids = {request.giver_id, request.receiver_id, request.recorded_by_id}
    claim_write(session, request.transfer_id)
    context = _load_context(session, request.bank_id, ids, request.transfer_id)
    if context.existing_digest is not None:
        result = replay_or_conflict(session, request.transfer_id, digest)
        session.rollback()
        return result
    if context.taken_by_other_kind:
        raise errors.IdempotencyConflict(request.transfer_id, "a group exchange")
    actor = _acting_party(context, request.recorded_by_id)
    broker = _is_broker(actor, request.acting_role)
    may_record = broker or actor.member_id in (request.giver_id, request.receiver_id)
    if not may_record and not {request.giver_id, request.receiver_id} <= context.parties.keys():
        # Someone who may not record this learns nothing of who is not in the bank.
        raise errors.NotYourExchange("Only the two members or a broker can record this exchange.")
    giver = _party(context, request.giver_id, trading=True)
    receiver = _party(context, request.receiver_id, trading=True)
    if not may_record:
        raise errors.NotYourExchange("Only the two members or a broker can record this exchange.")
    if minutes > context.bank_max_minutes:
        raise errors.ExchangeTooLarge(minutes, context.bank_max_minutes)
    at_once = rules.posts_at_once(actor.member_id == giver.member_id)
    phase = "posted" if at_once else "pending"
    stamp = now()
    day = _exchange_day(request, context, actor, stamp)
    new = _help_given(
        request,
        request.transfer_id,
        giver,
        receiver,
        minutes=minutes,
        code="exchange",
        phase=phase,
        stamp=stamp,
        day=day,
        recorded_by_id=actor.member_id,
        digest=digest,
    )
    with refusals_told_to(actor.member_id, broker=broker):
        return commit_or_replay(session, [(new, movement_for(phase, minutes))], also)[0]


def _help_given(
    request: ExchangeRequest | GroupExchangeRequest,
    transfer_id: uuid.UUID,
    giver: _Party,
    receiver: _Party,
    *,
    minutes: int,
    code: str,
    phase: str,
    stamp: dt.datetime,
    day: dt.date,
    recorded_by_id: int,
    digest: str,
) -> NewTransfer:
    """Build the transfer for help `giver` gave `receiver`, one of an exchange or a group."""
    assert giver.account_id is not None and receiver.account_id is not None
    return NewTransfer(
        id=transfer_id,
        bank_id=request.bank_id,
        debit_account_id=receiver.account_id,
        credit_account_id=giver.account_id,
        amount=minutes,
        code=code,
        phase=phase,
        happened_on=day,
        recorded_at=stamp,
        recorded_by_id=recorded_by_id,
        request_digest=digest,
        description=request.description,
        skill_category=request.skill_category,
        reason=request.reason.strip() or None,
        group_id=getattr(request, "group_id", None),
    )


def group_transfer_id(group_id: uuid.UUID, index: int) -> uuid.UUID:
    """Return the id of the `index`-th transfer in a group exchange (stable across replays)."""
    return uuid.uuid5(group_id, str(index))


@use_case
def record_group_exchange(
    session: so.Session,
    request: GroupExchangeRequest,
    now: Callable[[], dt.datetime] = utcnow,
    also: AlsoDo | None = None,
) -> list[TransferResult]:
    """Record a group exchange as linked transfers that are all recorded, or none is.

    One by the single receiver, or by a broker for others, posts at once; one by the single
    giver waits for each receiver to confirm.
    """
    minutes = rules.check_minutes(request.minutes)
    givers, receivers = list(request.giver_ids), list(request.receiver_ids)
    if not givers or not receivers or (len(givers) > 1 and len(receivers) > 1):
        raise errors.InvalidAmount(
            "A group exchange has one giver and several receivers, or several givers and one "
            "receiver."
        )
    if set(givers) & set(receivers):
        raise errors.SameAccount()
    if len(set(givers)) != len(givers) or len(set(receivers)) != len(receivers):
        raise errors.InvalidAmount("Each person can appear only once in a group exchange.")
    digest = rules.request_digest(
        {
            "op": "group",
            "bank": request.bank_id,
            "givers": givers,
            "receivers": receivers,
            "minutes": minutes,
            "by": request.recorded_by_id,
            "on": request.happened_on,
            "what": request.description,
            "skill": request.skill_category,
            **_digest_of_reason(request),
        }
    )
    pairs = [(g, r) for g in givers for r in receivers]
    first_id = group_transfer_id(request.group_id, 0)
    ids = set(givers) | set(receivers) | {request.recorded_by_id}
    claim_write(session, request.group_id)
    context = _load_context(session, request.bank_id, ids, first_id, request.group_id)
    if context.taken_by_other_kind:
        raise errors.IdempotencyConflict(request.group_id, "something other than a group exchange")
    if context.existing_digest is not None:
        results = [
            replay_or_conflict(session, group_transfer_id(request.group_id, i), digest)
            for i in range(len(pairs))
        ]
        session.rollback()
        return results
    actor = _acting_party(context, request.recorded_by_id)
    single_giver = len(givers) == 1 and actor.member_id == givers[0]
    single_receiver = len(receivers) == 1 and actor.member_id == receivers[0]
    broker = _is_broker(actor, request.acting_role)
    if not (broker or single_giver or single_receiver):
        raise errors.NotYourExchange(
            "A group exchange is recorded by a broker or by the one person on its own side."
        )
    if minutes > context.bank_max_minutes:
        raise errors.ExchangeTooLarge(minutes, context.bank_max_minutes)
    phase = "pending" if single_giver else "posted"
    stamp = now()
    day = _exchange_day(request, context, actor, stamp)
    items = []
    for index, (giver_id, receiver_id) in enumerate(pairs):
        giver = _party(context, giver_id, trading=True)
        receiver = _party(context, receiver_id, trading=True)
        new = _help_given(
            request,
            group_transfer_id(request.group_id, index),
            giver,
            receiver,
            minutes=minutes,
            code="group",
            phase=phase,
            stamp=stamp,
            day=day,
            recorded_by_id=actor.member_id,
            digest=digest,
        )
        items.append((new, movement_for(phase, minutes)))
    with refusals_told_to(actor.member_id, broker=broker, show_fit=False):
        return commit_or_replay(session, items, also)
