"""Signed-in web sessions held on the server: opened, checked on each request, and ended.

A session's id is random and lives only in the member's browser cookie; the table keeps
its SHA-256 digest. A session ends when the member signs out, changes their password (the
others end), signs out of their other devices, or is suspended, leaves, is erased or gets
another role; it also ends after SESSION_IDLE_MINUTES without a request and, whatever the
use, SESSION_MAX_HOURS after it was opened. Ending a member's access also revokes their
API tokens, so that making them active again never brings an old credential back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.members.models import (
    ApiToken,
    Member,
    MemberSession,
    MobileChange,
    SignInCode,
    roles_up_to,
)
from timebank.tenancy.models import TimeBank

log = logging.getLogger("timebank.sessions")

# Seen-at times are written at most this often, so that pages are not all writes.
LAST_SEEN_EVERY = dt.timedelta(minutes=1)
# Ended and expired sessions are kept this long (for a member's own questions and for
# looking into misuse), then deleted by `flask sessions purge`.
KEEP_ENDED_FOR = dt.timedelta(days=30)
# Sign-in and mobile-change codes are useless once expired; a day's grace keeps them for
# anyone looking into a report of misuse the same day.
KEEP_EXPIRED_CODES_FOR = dt.timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    """How long a session may sit unused, and how long it may last at all."""

    idle: dt.timedelta
    lifetime: dt.timedelta


@dataclass(frozen=True)
class Check:
    """What a session's cookie proved: the member it signs in, or why it no longer does."""

    member: Member | None
    ended_reason: str | None = None


def digest_of(session_id: str) -> str:
    """Return the stored form of a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


@use_case
def open_session(
    session: so.Session, member: Member, now: Callable[[], dt.datetime] = utcnow
) -> str:
    """Record a new session for a member who has just signed in; return its id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    stamp = now()
    session.add(
        MemberSession(
            digest=digest_of(session_id),
            bank_id=member.bank_id,
            member_id=member.id,
            role=member.role,
            created_at=stamp,
            last_seen_at=stamp,
        )
    )
    session.commit()
    log.info("Member %s signed in", member.id)
    return session_id


def _why_it_ends(
    row: MemberSession, member: Member, limits: Limits, now: dt.datetime
) -> str | None:
    if now - as_utc(row.created_at) > limits.lifetime:
        return "expired"
    if now - as_utc(row.last_seen_at) > limits.idle:
        return "idle"
    if member.erased_at is not None:
        return "erased"
    if member.status != "active":
        return member.status if member.status in ("suspended", "left") else "status_changed"
    if member.role != row.role:
        return "role_changed"
    return None


def check_session(
    session: so.Session,
    session_id: str | None,
    member_id: int,
    limits: Limits,
    now: Callable[[], dt.datetime] = utcnow,
) -> Check:
    """Return the member a session signs in, ending it if it has run out or no longer fits.

    One indexed read finds the session and its member. The session counts only when it has
    not ended, is within its lifetime and idle time, and its member is still active with
    the role the session was opened with.
    """
    if not session_id:
        return Check(None, "signed_out")
    found = session.execute(
        sa.select(MemberSession, Member, TimeBank.suspended_at)
        .join(
            Member,
            sa.and_(Member.bank_id == MemberSession.bank_id, Member.id == MemberSession.member_id),
        )
        .join(TimeBank, TimeBank.id == MemberSession.bank_id)
        .where(MemberSession.digest == digest_of(session_id))
    ).first()
    if found is None or found[0].member_id != member_id:
        return Check(None, "signed_out")
    row, member, bank_suspended_at = found
    if row.ended_at is not None:
        return Check(None, row.ended_reason)
    stamp = now()
    # A bank suspended just as this session opened: the suspension ended the others.
    reason = "suspended" if bank_suspended_at else _why_it_ends(row, member, limits, stamp)
    if reason is not None:
        _end(row, reason, stamp)
        session.commit()
        log.info("Session of member %s ended: %s", member.id, reason)
        return Check(None, reason)
    if stamp - as_utc(row.last_seen_at) >= LAST_SEEN_EVERY:
        row.last_seen_at = stamp
        session.commit()
    return Check(member)


def _end(row: MemberSession, reason: str, stamp: dt.datetime) -> None:
    row.ended_at = stamp
    row.ended_reason = reason


def _end_sessions(
    session: so.Session,
    bank_id: int,
    member_id: int,
    reason: str,
    stamp: dt.datetime,
    keep_digest: str | None = None,
) -> int:
    query = sa.update(MemberSession).where(
        MemberSession.bank_id == bank_id,
        MemberSession.member_id == member_id,
        MemberSession.ended_at.is_(None),
    )
    if keep_digest is not None:
        query = query.where(MemberSession.digest != keep_digest)
    result = session.execute(
        query.values(ended_at=stamp, ended_reason=reason).execution_options(
            synchronize_session=False
        )
    )
    return cast(sa.CursorResult[Any], result).rowcount


def end_bank_sessions(session: so.Session, bank_id: int, stamp: dt.datetime) -> int:
    """End every open session in a time bank, in the caller's transaction (a suspension)."""
    result = session.execute(
        sa.update(MemberSession)
        .where(MemberSession.bank_id == bank_id, MemberSession.ended_at.is_(None))
        .values(ended_at=stamp, ended_reason="suspended")
        .execution_options(synchronize_session=False)
    )
    return cast(sa.CursorResult[Any], result).rowcount


@use_case
def end_session(
    session: so.Session, session_id: str | None, now: Callable[[], dt.datetime] = utcnow
) -> None:
    """End the session with this id (signing out); an unknown or ended one is left as it is."""
    if not session_id:
        return
    row = session.scalar(
        sa.select(MemberSession).where(MemberSession.digest == digest_of(session_id))
    )
    if row is not None and row.ended_at is None:
        _end(row, "signed_out", now())
        log.info("Member %s signed out", row.member_id)
    session.commit()


@use_case
def end_other_sessions(
    session: so.Session,
    bank_id: int,
    member_id: int,
    session_id: str | None,
    reason: str = "other_devices",
    now: Callable[[], dt.datetime] = utcnow,
) -> int:
    """End every session of a member but this one; return how many were ended."""
    keep = digest_of(session_id) if session_id else None
    ended = _end_sessions(session, bank_id, member_id, reason, now(), keep)
    session.commit()
    if ended:
        log.info("Member %s: %d other sessions ended (%s)", member_id, ended, reason)
    return ended


def other_sessions_count(
    session: so.Session,
    bank_id: int,
    member_id: int,
    session_id: str | None,
    limits: Limits,
    now: Callable[[], dt.datetime] = utcnow,
) -> int:
    """Return how many other live sessions a member has (on other devices or browsers)."""
    stamp = now()
    query = (
        sa.select(sa.func.count())
        .select_from(MemberSession)
        .where(
            MemberSession.bank_id == bank_id,
            MemberSession.member_id == member_id,
            MemberSession.ended_at.is_(None),
            MemberSession.created_at >= stamp - limits.lifetime,
            MemberSession.last_seen_at >= stamp - limits.idle,
        )
    )
    if session_id:
        query = query.where(MemberSession.digest != digest_of(session_id))
    return session.scalar(query) or 0


def end_member_access(
    session: so.Session,
    bank_id: int,
    member_id: int,
    reason: str,
    now: Callable[[], dt.datetime] = utcnow,
    role: str | None = None,
) -> None:
    """End a member's sessions and revoke their API tokens, in the caller's transaction.

    Called by every service that suspends a member, records that they left, erases them or
    changes their role. With `role` (their new role), only tokens acting above it are
    revoked; otherwise all of them are. Revoked tokens stay revoked whatever happens next.
    """
    stamp = now()
    ended = _end_sessions(session, bank_id, member_id, reason, stamp)
    tokens = sa.update(ApiToken).where(
        ApiToken.bank_id == bank_id,
        ApiToken.member_id == member_id,
        ApiToken.revoked_at.is_(None),
    )
    if role is not None:
        # A practice token is made by an admin and needs one.
        kept = roles_up_to(role)
        tokens = tokens.where(ApiToken.role.not_in(kept))
    revoked = session.execute(
        tokens.values(revoked_at=stamp).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
    log.info(
        "Member %s (%s): %d sessions ended, %d tokens revoked", member_id, reason, ended, revoked
    )


@use_case
def purge_sessions(
    session: so.Session, lifetime: dt.timedelta, now: Callable[[], dt.datetime] = utcnow
) -> int:
    """Delete sessions that ended (or ran out) more than 30 days ago; return how many."""
    cutoff = now() - KEEP_ENDED_FOR
    result = session.execute(
        sa.delete(MemberSession)
        .where(
            sa.or_(
                MemberSession.ended_at < cutoff,
                sa.and_(
                    MemberSession.ended_at.is_(None),
                    MemberSession.created_at < cutoff - lifetime,
                ),
            )
        )
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return cast(sa.CursorResult[Any], result).rowcount


@dataclass(frozen=True)
class PurgedCodes:
    """How many expired codes of each kind were deleted."""

    sign_in: int
    mobile_change: int


@use_case
def purge_expired_codes(
    session: so.Session, now: Callable[[], dt.datetime] = utcnow
) -> PurgedCodes:
    """Delete sign-in and mobile-change codes that expired more than a day ago."""
    cutoff = now() - KEEP_EXPIRED_CODES_FOR
    counts = [
        session.execute(
            sa.delete(model)
            .where(model.expires_at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]  # DML gives a CursorResult; typed as Result
        for model in (SignInCode, MobileChange)
    ]
    session.commit()
    return PurgedCodes(*counts)
