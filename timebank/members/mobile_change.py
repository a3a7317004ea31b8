"""Changing your mobile number: the new number counts only once the code texted to it is typed.

Until then sign-in codes and texts keep going to the number the member already proved they
hold, so a mistyped number (or someone else's) never gets them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.members.models import Member, MobileChange
from timebank.sms.outbox import queue_sms
from timebank.tenancy.models import TimeBank

CODE_MINUTES = 10
CODE_ATTEMPTS = 5
# A member can make the bank text at most this many codes an hour (to any numbers).
CODES_PER_HOUR = 3


class MobileCodeRefused(InvalidInput):
    """The code typed for a new number is wrong, used or out of date."""

    code = "mobile_code_refused"
    field = "code"


class TooManyMobileCodes(InvalidInput):
    """The member asked for too many codes for new numbers lately."""

    code = "too_many_mobile_codes"
    field = "mobile"


def _digest(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def stage_mobile_change(
    session: so.Session, bank: TimeBank, member: Member, e164: str, now: dt.datetime
) -> MobileChange:
    """Keep `e164` as the member's new number-to-be and text it a code, without committing."""
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(MobileChange)
        .where(
            MobileChange.member_id == member.id,
            MobileChange.created_at > now - dt.timedelta(hours=1),
        )
    )
    if (recent or 0) >= CODES_PER_HOUR:
        raise TooManyMobileCodes(
            f"We have texted {CODES_PER_HOUR} codes for a new number in the last hour."
            " Please wait an hour, then try again.",
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    salt = secrets.token_urlsafe(32)
    change = MobileChange(
        bank_id=bank.id,
        member_id=member.id,
        new_e164=e164,
        salt=salt,
        code_hash=_digest(salt, code),
        created_at=now,
        expires_at=now + dt.timedelta(minutes=CODE_MINUTES),
        failed_attempts=0,
    )
    session.add(change)
    body = (
        f"{code} is your code to use this number with {bank.name}. It lasts {CODE_MINUTES}"
        " minutes. If you did not ask for it, ignore this text."
    )
    queue_sms(session, bank.id, e164, body, "mobile_change_code", member.id, now=lambda: now)
    return change


def pending_mobile_change(
    session: so.Session, bank_id: int, member_id: int, now: dt.datetime
) -> MobileChange | None:
    """Return the member's newest asked-for number if its code can still be typed."""
    newest = session.scalar(
        sa.select(MobileChange)
        .where(MobileChange.bank_id == bank_id, MobileChange.member_id == member_id)
        .order_by(MobileChange.created_at.desc(), MobileChange.id.desc())
        .limit(1)
    )
    if newest is None or newest.used_at is not None:
        return None
    if newest.failed_attempts >= CODE_ATTEMPTS or as_utc(newest.expires_at) <= now:
        return None
    return newest


def _tell_old_number(
    session: so.Session, bank: TimeBank, member: Member, old: str, now: dt.datetime
) -> None:
    ending = member.mobile_e164[-3:] if member.mobile_e164 else ""
    body = (
        f"Your mobile number with {bank.name} is now the one ending {ending}. If you did not"
        " change it, please call the time bank."
    )
    queue_sms(session, bank.id, old, body, "mobile_changed", member.id, now=lambda: now)


@use_case
def confirm_mobile_change(
    session: so.Session,
    bank_id: int,
    member_id: int,
    code: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Make the asked-for number the member's own when `code` is the one texted to it."""
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise NotFound("There is no such member in this time bank.")
    if not member.is_active:
        raise MobileCodeRefused("Only an active member can change their mobile number.")
    stamp = now()
    typed = "".join(ch for ch in (code or "") if ch.isdigit())
    if len(typed) != 6:
        raise MobileCodeRefused("Enter the 6-digit code from the text message.")
    change = pending_mobile_change(session, bank_id, member_id, stamp)
    if change is not None:
        change = session.get(MobileChange, change.id, with_for_update=True, populate_existing=True)
    if change is None or change.used_at is not None:
        session.rollback()
        raise MobileCodeRefused(
            "That code has expired or was already used. Change your number again."
        )
    if not hmac.compare_digest(change.code_hash, _digest(change.salt, typed)):
        change.failed_attempts += 1
        left = CODE_ATTEMPTS - change.failed_attempts
        session.commit()
        if left <= 0:
            raise MobileCodeRefused("That code is not right. Change your number again.")
        raise MobileCodeRefused(f"That code is not right. You can try {left} more times.")
    taken = session.scalar(
        sa.select(Member.id).where(
            Member.bank_id == bank_id, Member.mobile_e164 == change.new_e164, Member.id != member_id
        )
    )
    if taken is not None:
        session.rollback()
        raise MobileCodeRefused("Someone in this time bank already has that mobile number.")
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    old = member.mobile_e164
    member.mobile_e164 = change.new_e164
    change.used_at = stamp
    if old and old != change.new_e164:
        _tell_old_number(session, bank, member, old, stamp)
    try:
        session.commit()
    except sa.exc.IntegrityError:  # another member took the number at this very moment
        session.rollback()
        raise MobileCodeRefused(
            "Someone in this time bank already has that mobile number."
        ) from None
    return member
