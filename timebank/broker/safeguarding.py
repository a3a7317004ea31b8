"""Safeguarding: the checks brokers record, blocks between members, and do-not-contact.

Matching honours all three: help that needs a check goes only to members with a current
one; two members either of whom blocked the other are never matched; a member who asked not
to be contacted is left out of outreach. A check is current while it is not withdrawn and
not past its expiry date (a check without one does not lapse).
Every change here is written to the broker audit trail in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.models import CHECK_KINDS, MemberBlock, MemberCheck
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import DateInFuture, InvalidDetail, InvalidInput, NotFound
from timebank.members.acting import acting_member
from timebank.members.models import Member
from timebank.tenancy.audit import record_action
from timebank.tenancy.days import bank_today

REFERENCE_LIMIT = 60
REASON_LIMIT = 200
CHECK_NAMES = {"dbs": "DBS check"}


def _member(session: so.Session, bank_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id or member.erased_at is not None:
        raise NotFound("There is no such member in this time bank.")
    return member


def check_is_current(check: MemberCheck, today: dt.date) -> bool:
    """Return True while a check counts: not withdrawn and not past its expiry date."""
    return check.withdrawn_at is None and (check.expires_on is None or check.expires_on >= today)


@use_case
def record_check(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    member_id: int,
    checked_on: dt.date,
    expires_on: dt.date | None = None,
    reference: str = "",
    kind: str = "dbs",
    today: dt.date | None = None,
    now: Callable[[], dt.datetime] = utcnow,
) -> MemberCheck:
    """Record a safeguarding check a broker has seen for a member.

    The check cannot be dated after `today`: the bank's own date unless a caller gives one.
    """
    acting_member(session, bank_id, broker_id, "broker", "work on safeguarding")
    member = _member(session, bank_id, member_id)
    if kind not in CHECK_KINDS:
        raise InvalidDetail("kind", "Choose the kind of check from the list.")
    if today is None:
        today = bank_today(session, bank_id, now)
    if checked_on > today:
        raise DateInFuture("checked_on", "The date of the check cannot be in the future.")
    if expires_on is not None and expires_on <= checked_on:
        raise InvalidDetail("expires_on", "The check must run out after the date it was done.")
    cleaned = " ".join((reference or "").split())
    if len(cleaned) > REFERENCE_LIMIT:
        raise InvalidDetail(
            "reference", f"The reference can have at most {REFERENCE_LIMIT} characters."
        )
    check = MemberCheck(
        bank_id=bank_id,
        member_id=member.id,
        kind=kind,
        checked_on=checked_on,
        expires_on=expires_on,
        reference=cleaned,
        recorded_by_id=broker_id,
        recorded_at=utcnow(),
    )
    session.add(check)
    session.flush()
    until = f", until {expires_on.isoformat()}" if expires_on else ""
    record_action(
        session,
        bank_id,
        broker_id,
        "check_recorded",
        member_id=member.id,
        subject=f"check:{check.id}",
        detail=f"{CHECK_NAMES[kind]} of {checked_on.isoformat()}{until}",
    )
    session.commit()
    return check


@use_case
def withdraw_check(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    check_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> MemberCheck:
    """Withdraw a check (recorded in error, or no longer valid); it stays as history."""
    acting_member(session, bank_id, broker_id, "broker", "work on safeguarding")
    check = session.get(MemberCheck, check_id)
    if check is None or check.bank_id != bank_id:
        raise NotFound("There is no such check in this time bank.")
    if check.withdrawn_at is not None:
        raise InvalidInput("This check was already withdrawn.")
    check.withdrawn_at = now()
    record_action(
        session,
        bank_id,
        broker_id,
        "check_withdrawn",
        member_id=check.member_id,
        subject=f"check:{check.id}",
        detail=CHECK_NAMES.get(check.kind, check.kind),
    )
    session.commit()
    return check


def checks_of(session: so.Session, bank_id: int, member_id: int) -> list[MemberCheck]:
    """Return every check recorded for a member, newest first, withdrawn ones included."""
    return list(
        session.scalars(
            sa.select(MemberCheck)
            .where(MemberCheck.bank_id == bank_id, MemberCheck.member_id == member_id)
            .order_by(MemberCheck.checked_on.desc(), MemberCheck.id.desc())
        )
    )


def current_checks(
    session: so.Session, bank_id: int, member_ids: Iterable[int], today: dt.date
) -> dict[int, frozenset[str]]:
    """Return the kinds of current check each of these members holds (absent: none)."""
    wanted = list(set(member_ids))
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(MemberCheck.member_id, MemberCheck.kind)
        .where(
            MemberCheck.bank_id == bank_id,
            MemberCheck.member_id.in_(wanted),
            MemberCheck.withdrawn_at.is_(None),
            sa.or_(MemberCheck.expires_on.is_(None), MemberCheck.expires_on >= today),
        )
        .distinct()
    ).all()
    found: dict[int, set[str]] = {}
    for member_id, kind in rows:
        found.setdefault(member_id, set()).add(kind)
    return {member_id: frozenset(kinds) for member_id, kinds in found.items()}


@use_case
def block(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    member_id: int,
    blocked_member_id: int,
    reason: str = "",
) -> MemberBlock:
    """Record that a member does not want to be matched with another one."""
    acting_member(session, bank_id, broker_id, "broker", "work on safeguarding")
    member = _member(session, bank_id, member_id)
    other = _member(session, bank_id, blocked_member_id)
    if member.id == other.id:
        raise InvalidDetail("other", "Choose someone other than the member themselves.")
    cleaned = " ".join((reason or "").split())
    if len(cleaned) > REASON_LIMIT:
        raise InvalidDetail("reason", f"The reason can have at most {REASON_LIMIT} characters.")
    existing = session.scalar(
        sa.select(MemberBlock).where(
            MemberBlock.bank_id == bank_id,
            MemberBlock.member_id == member.id,
            MemberBlock.blocked_member_id == other.id,
        )
    )
    if existing is not None:
        raise InvalidDetail(
            "other",
            f"{member.display_name} already does not want to be matched with {other.display_name}.",
        )
    row = MemberBlock(
        bank_id=bank_id,
        member_id=member.id,
        blocked_member_id=other.id,
        reason=cleaned,
        recorded_by_id=broker_id,
    )
    session.add(row)
    session.flush()
    record_action(
        session,
        bank_id,
        broker_id,
        "block_recorded",
        member_id=member.id,
        subject=f"block:{row.id}",
        detail=f"not to be matched with member {other.id}",
    )
    session.commit()
    return row


@use_case
def unblock(session: so.Session, bank_id: int, broker_id: int, block_id: int) -> None:
    """Remove a block: the two members may be matched again."""
    acting_member(session, bank_id, broker_id, "broker", "work on safeguarding")
    row = session.get(MemberBlock, block_id)
    if row is None or row.bank_id != bank_id:
        raise NotFound("There is no such block in this time bank.")
    record_action(
        session,
        bank_id,
        broker_id,
        "block_removed",
        member_id=row.member_id,
        subject=f"block:{row.id}",
        detail=f"may be matched with member {row.blocked_member_id} again",
    )
    session.delete(row)
    session.commit()


def blocked_pairs(session: so.Session, bank_id: int, member_id: int) -> set[int]:
    """Return the members this member must not be matched with, whoever asked for it."""
    rows = session.execute(
        sa.select(MemberBlock.member_id, MemberBlock.blocked_member_id).where(
            MemberBlock.bank_id == bank_id,
            sa.or_(MemberBlock.member_id == member_id, MemberBlock.blocked_member_id == member_id),
        )
    ).all()
    return {blocked if owner == member_id else owner for owner, blocked in rows}


@dataclass(frozen=True)
class BlockLine:
    """A block seen from one member's page: who the other one is and who asked."""

    block: MemberBlock
    other: Member
    asked_by_this_member: bool


def blocks_of(session: so.Session, bank_id: int, member_id: int) -> list[BlockLine]:
    """Return the blocks either way between this member and others, newest first."""
    rows = session.scalars(
        sa.select(MemberBlock)
        .where(
            MemberBlock.bank_id == bank_id,
            sa.or_(MemberBlock.member_id == member_id, MemberBlock.blocked_member_id == member_id),
        )
        .order_by(MemberBlock.created_at.desc(), MemberBlock.id.desc())
    ).all()
    lines = []
    for row in rows:
        mine = row.member_id == member_id
        other = session.get(Member, row.blocked_member_id if mine else row.member_id)
        assert other is not None  # foreign key
        lines.append(BlockLine(row, other, mine))
    return lines


@use_case
def set_do_not_contact(
    session: so.Session, bank_id: int, broker_id: int, member_id: int, do_not_contact: bool
) -> Member:
    """Record that a member asked not to be contacted by outreach, or no longer minds."""
    acting_member(session, bank_id, broker_id, "broker", "work on safeguarding")
    member = _member(session, bank_id, member_id)
    member.do_not_contact = do_not_contact
    action = "do_not_contact_on" if do_not_contact else "do_not_contact_off"
    record_action(
        session, bank_id, broker_id, action, member_id=member.id, subject=f"member:{member.id}"
    )
    session.commit()
    return member
