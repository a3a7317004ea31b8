"""Operators: adding and removing them, signing in with email and password, their sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.members.passwords import check_password_rules, hash_password, password_matches
from timebank.members.sessions import LAST_SEEN_EVERY, Limits
from timebank.members.signin import SignInFailed
from timebank.operators.models import Operator, OperatorSession

# Checked when the email is unknown, so both answers take as long.
_NOBODY = hash_password("not-an-operator-password")


def _email(text: str) -> str:
    email = (text or "").strip().lower()
    if "@" not in email or len(email) > 254 or " " in email:
        raise InvalidInput(f"{text.strip()} is not an email address.")
    return email


@use_case
def add_operator(session: so.Session, name: str, email: str, password: str) -> Operator:
    """Add an operator of the whole install, who signs in with `email` and `password`."""
    clean_name = " ".join((name or "").split())
    if not clean_name or len(clean_name) > 80:
        raise InvalidInput("Please give a name of 1 to 80 characters.")
    address = _email(email)
    if session.scalar(sa.select(Operator.id).where(Operator.email == address)) is not None:
        raise InvalidInput(f"{address} is already an operator.")
    check_password_rules(password, (clean_name,))
    operator = Operator(name=clean_name, email=address, password_hash=hash_password(password))
    session.add(operator)
    session.commit()
    return operator


@use_case
def remove_operator(
    session: so.Session, email: str, now: Callable[[], dt.datetime] = utcnow
) -> Operator:
    """Stop an operator signing in, and end their sessions at once."""
    operator = session.scalar(sa.select(Operator).where(Operator.email == _email(email)))
    if operator is None or operator.removed_at is not None:
        raise NotFound(f"{email.strip()} is not an operator.")
    stamp = now()
    operator.removed_at = stamp
    session.execute(
        sa.update(OperatorSession)
        .where(OperatorSession.operator_id == operator.id, OperatorSession.ended_at.is_(None))
        .values(ended_at=stamp)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return operator


def list_operators(session: so.Session) -> list[Operator]:
    """Return the operators who can sign in, oldest first."""
    query = sa.select(Operator).where(Operator.removed_at.is_(None)).order_by(Operator.id)
    return list(session.scalars(query))


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@use_case
def sign_in_operator(
    session: so.Session, email: str, password: str, now: Callable[[], dt.datetime] = utcnow
) -> str:
    """Check an operator's email and password; return a new session's id for the cookie."""
    address = (email or "").strip().lower()
    operator = session.scalar(sa.select(Operator).where(Operator.email == address))
    stored = operator.password_hash if operator else _NOBODY
    matches = password_matches(stored, password or "")
    if operator is None or operator.removed_at is not None or not matches:
        session.rollback()
        raise SignInFailed("The email or password is not right. Check them and try again.")
    session_id, stamp = secrets.token_urlsafe(32), now()
    operator.last_sign_in_at = stamp
    session.add(
        OperatorSession(
            digest=_digest(session_id),
            operator_id=operator.id,
            created_at=stamp,
            last_seen_at=stamp,
        )
    )
    session.commit()
    return session_id


@use_case
def operator_of_session(
    session: so.Session,
    session_id: str | None,
    limits: Limits,
    now: Callable[[], dt.datetime] = utcnow,
) -> Operator | None:
    """Return the operator a live session signs in, ending one that ran out or was removed."""
    if not session_id:
        return None
    found = session.execute(
        sa.select(OperatorSession, Operator)
        .join(Operator, Operator.id == OperatorSession.operator_id)
        .where(OperatorSession.digest == _digest(session_id))
    ).first()
    if found is None or found[0].ended_at is not None:
        return None
    row: OperatorSession = found[0]
    operator: Operator = found[1]
    stamp = now()
    if (
        operator.removed_at is not None
        or stamp - as_utc(row.created_at) > limits.lifetime
        or stamp - as_utc(row.last_seen_at) > limits.idle
    ):
        row.ended_at = stamp
        session.commit()
        return None
    if stamp - as_utc(row.last_seen_at) >= LAST_SEEN_EVERY:
        row.last_seen_at = stamp
        session.commit()
    return operator


@use_case
def end_operator_session(
    session: so.Session, session_id: str | None, now: Callable[[], dt.datetime] = utcnow
) -> None:
    """End an operator's session (signing out)."""
    if session_id:
        session.execute(
            sa.update(OperatorSession)
            .where(
                OperatorSession.digest == _digest(session_id), OperatorSession.ended_at.is_(None)
            )
            .values(ended_at=now())
            .execution_options(synchronize_session=False)
        )
    session.commit()
