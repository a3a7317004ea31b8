"""One-time ways in for a new admin: a sign-in link, or a code texted with its page's address.

Both are rows of `sign_in_codes`, so they share its rules: only a hash is kept, each works
once, expires, and takes a limited number of wrong guesses. A link's secret is long and
random, so a six-digit code typed on the code page never matches it, and a link never
matches a texted code.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.members.models import Member, SignInCode
from timebank.members.signin import CodeNotAccepted, code_digest
from timebank.sms import replies
from timebank.sms.outbox import queue_sms
from timebank.tenancy.suspension import refuse_if_suspended

LINK_NOT_USABLE = (
    "That sign-in link has expired or was already used. Ask whoever invited you for a new one."
)
# Wrong secrets a link takes before it stops working: nobody can guess 256 random bits,
# so a wrong one means the link was damaged or tampered with.
LINK_ATTEMPTS = 5


@dataclass(frozen=True)
class Invitation:
    """How a new admin gets in: `link_key` for a printed link, None when a code was texted."""

    member_id: int
    link_key: str | None

    @property
    def texted(self) -> bool:
        """Tell whether the admin was sent a code by text rather than given a link."""
        return self.link_key is None


def _add_row(
    session: so.Session, member: Member, secret: str, hours: int, stamp: dt.datetime
) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        SignInCode(
            id=token,
            bank_id=member.bank_id,
            member_id=member.id,
            purpose="sign_in",
            code_hash=code_digest(token, secret),
            created_at=stamp,
            expires_at=stamp + dt.timedelta(hours=hours),
        )
    )
    return token


def stage_sign_in_link(
    session: so.Session, member: Member, hours: int, now: Callable[[], dt.datetime] = utcnow
) -> Invitation:
    """Add a one-time sign-in link for `member` in the caller's transaction."""
    secret = secrets.token_urlsafe(32)
    token = _add_row(session, member, secret, hours, now())
    return Invitation(member.id, f"{token}.{secret}")


def stage_texted_code(
    session: so.Session,
    member: Member,
    bank_name: str,
    code_page: Callable[[str], str],
    hours: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Invitation:
    """Queue a text with a one-time code and the address of the page that takes it.

    `code_page` turns the request's token into that page's full address.
    """
    assert member.mobile_e164 is not None
    code = f"{secrets.randbelow(1_000_000):06d}"
    stamp = now()
    token = _add_row(session, member, code, hours, stamp)
    body = replies.admin_invitation(code, bank_name, code_page(token), hours)
    queue_sms(session, member.bank_id, member.mobile_e164, body, "sign_in_code", member.id, now=now)
    return Invitation(member.id, None)


def _split(link_key: str) -> tuple[str, str]:
    token, _, secret = (link_key or "").partition(".")
    return token, secret


@use_case
def sign_in_with_link(
    session: so.Session, link_key: str, now: Callable[[], dt.datetime] = utcnow
) -> Member:
    """Return the member a fresh, unused sign-in link belongs to, and use the link up."""
    token, secret = _split(link_key)
    row = session.get(SignInCode, token, with_for_update=True) if token and secret else None
    stamp = now()
    if (
        row is None
        or row.used_at is not None
        or row.failed_attempts >= LINK_ATTEMPTS
        or as_utc(row.expires_at) <= stamp
    ):
        session.rollback()
        raise CodeNotAccepted(LINK_NOT_USABLE)
    refuse_if_suspended(session, row.bank_id)
    member = session.get(Member, row.member_id) if row.member_id is not None else None
    # A texted code is six digits: never accept one here, where no guess is rate limited.
    right = len(secret) > 6 and hmac.compare_digest(row.code_hash, code_digest(token, secret))
    if not right or member is None or not member.is_active:
        row.failed_attempts += 1
        session.commit()
        raise CodeNotAccepted(LINK_NOT_USABLE)
    row.used_at = stamp
    member.last_sign_in_at = stamp
    session.commit()
    return member
