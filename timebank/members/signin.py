"""Signing in: by password, or by a one-time code sent by SMS for a first sign-in or reset.

Answers never say whether a number or email belongs to a member: a wrong password and an
unknown person get the same words, and a code request gets the same reply either way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotSignedIn
from timebank.members.models import Member, SignInCode
from timebank.members.passwords import check_password_rules, hash_password, password_matches
from timebank.phones import InvalidPhoneNumber, normalise_mobile
from timebank.sms.outbox import queue_sms
from timebank.tenancy.suspension import refuse_if_suspended

# Verified when the identifier is unknown, so both answers take as long.
_DUMMY_HASH = hash_password("not-a-real-password")


class SignInFailed(NotSignedIn):
    code = "sign_in_failed"


class CodeNotAccepted(NotSignedIn):
    code = "code_not_accepted"


@dataclass(frozen=True)
class CodePolicy:
    """How long a code lasts and how many wrong guesses it takes."""

    minutes: int = 10
    attempts: int = 5


def find_by_identifier(session: so.Session, bank_id: int, identifier: str) -> Member | None:
    """Return the member whose mobile number or email is `identifier`, if any."""
    text = (identifier or "").strip()
    if "@" in text:
        where = Member.email == text.lower()
    else:
        try:
            where = Member.mobile_e164 == normalise_mobile(text)
        except InvalidPhoneNumber:
            return None
    return session.scalar(sa.select(Member).where(Member.bank_id == bank_id, where))


@use_case
def sign_in_with_password(
    session: so.Session,
    bank_id: int,
    identifier: str,
    password: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Return the member these details belong to, or raise SignInFailed in general words."""
    refuse_if_suspended(session, bank_id)
    member = find_by_identifier(session, bank_id, identifier)
    stored = member.password_hash if member and member.password_hash else _DUMMY_HASH
    matches = password_matches(stored, password or "")
    if member is None or not member.password_hash or not matches or not member.is_active:
        session.rollback()
        raise SignInFailed(
            "The mobile number, email or password is not right. Check them and try again,"
            " or get a code by text."
        )
    member.last_sign_in_at = now()
    session.commit()
    return member


def code_digest(token: str, code: str) -> str:
    return hmac.new(token.encode(), code.encode(), hashlib.sha256).hexdigest()


@use_case
def request_sign_in_code(
    session: so.Session,
    bank_id: int,
    bank_name: str,
    mobile: str,
    purpose: str = "sign_in",
    policy: CodePolicy = CodePolicy(),
    now: Callable[[], dt.datetime] = utcnow,
) -> str:
    """Text a six-digit code to `mobile` if it is a member's, and return the request's token.

    A number that is no active member's gets a code row too, with no member and no text,
    that no code can match: every later step then answers and counts as for a member.
    """
    refuse_if_suspended(session, bank_id)
    e164 = normalise_mobile(mobile)
    token = secrets.token_urlsafe(32)
    member = session.scalar(
        sa.select(Member).where(Member.bank_id == bank_id, Member.mobile_e164 == e164)
    )
    known = member is not None and member.is_active
    code = f"{secrets.randbelow(1_000_000):06d}"
    stamp = now()
    session.add(
        SignInCode(
            id=token,
            bank_id=bank_id,
            member_id=member.id if known and member else None,
            purpose=purpose,
            # A typed code is always six digits, so it never matches a longer secret.
            code_hash=code_digest(token, code if known else secrets.token_hex(16)),
            created_at=stamp,
            expires_at=stamp + dt.timedelta(minutes=policy.minutes),
        )
    )
    if known and member:
        body = (
            f"{code} is your {bank_name} sign-in code. It lasts {policy.minutes} minutes."
            " Do not share it with anyone."
        )
        queue_sms(session, bank_id, e164, body, "sign_in_code", member.id, now=now)
    session.commit()
    return token


CODE_NOT_USABLE = "That code has expired or was already used. Ask for a new code."


@use_case
def sign_in_with_code(
    session: so.Session,
    token: str,
    code: str,
    policy: CodePolicy = CodePolicy(),
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Return the member a correct, fresh, unused code belongs to; count wrong guesses.

    A request for a stranger's number answers each guess exactly as a member's does.
    """
    typed = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(typed) != 6:
        raise InvalidInput("Enter the 6-digit code from the text message.")
    row = session.get(SignInCode, token, with_for_update=True) if token else None
    stamp = now()
    usable = (
        row is not None
        and row.used_at is None
        and row.failed_attempts < policy.attempts
        and as_utc(row.expires_at) > stamp
    )
    if not usable:
        session.rollback()
        raise CodeNotAccepted(CODE_NOT_USABLE)
    assert row is not None
    refuse_if_suspended(session, row.bank_id)
    member = session.get(Member, row.member_id) if row.member_id is not None else None
    right = hmac.compare_digest(row.code_hash, code_digest(token, typed))
    if not right or member is None:
        row.failed_attempts += 1
        left = policy.attempts - row.failed_attempts
        session.commit()
        if left <= 0:
            raise CodeNotAccepted(
                "That code is not right, and it can no longer be used. Ask for a new code."
            )
        raise CodeNotAccepted(f"That code is not right. You can try {left} more times.")
    if not member.is_active:
        session.rollback()
        raise CodeNotAccepted(CODE_NOT_USABLE)
    row.used_at = stamp
    member.last_sign_in_at = stamp
    session.commit()
    return member


def check_new_password(password: str, confirmation: str, member: Member | None = None) -> str:
    """Return `password` if it meets the rules and was typed the same twice, else raise."""
    if member is None:
        check_password_rules(password)
    else:
        check_password_rules(password, (member.display_name,), member.mobile_e164)
    if password != confirmation:
        raise InvalidInput("The two passwords are not the same. Type them again.")
    return password


class CurrentPasswordWrong(InvalidInput):
    code = "current_password_wrong"


def _is_their_password(member: Member, typed: str) -> bool:
    # A member without a password has none to prove: the check still takes as long.
    matches = password_matches(member.password_hash or _DUMMY_HASH, typed)
    return matches and member.password_hash is not None


def _member(session: so.Session, bank_id: int, member_id: int) -> Member:
    member = session.scalar(
        sa.select(Member).where(Member.bank_id == bank_id, Member.id == member_id)
    )
    if member is None:
        raise InvalidInput("There is no such member.")
    return member


@use_case
def set_password(session: so.Session, bank_id: int, member_id: int, password: str) -> None:
    """Store a new password hash for the member, if the password meets the rules."""
    member = _member(session, bank_id, member_id)
    check_new_password(password, password, member)
    member.password_hash = hash_password(password)
    session.commit()


@use_case
def change_password(
    session: so.Session,
    bank_id: int,
    member_id: int,
    password: str,
    confirmation: str,
    current_password: str | None,
) -> None:
    """Store a new password once the member proves it is them.

    `current_password` is what they typed as their password now; None only when they have
    just signed in with a code sent by text, which proves it as well.
    """
    member = _member(session, bank_id, member_id)
    if current_password is not None and not _is_their_password(member, current_password):
        raise CurrentPasswordWrong(
            "Your current password is not right. Type it again, or sign out and sign in"
            " with a code by text to choose a new one."
        )
    check_new_password(password, confirmation, member)
    member.password_hash = hash_password(password)
    session.commit()
