"""Our own record of numbers that texted STOP (or START again), per time bank.

Twilio answers STOP itself and refuses to send to an opted-out number; we keep a mirror so
the sender can suppress a text before it costs an attempt, and brokers can see why a
member gets no texts. The record_* functions add rows in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.sms.models import OptOut


def _set(session: so.Session, bank_id: int, e164: str, opted_out: bool, now: dt.datetime) -> None:
    row = session.get(OptOut, (bank_id, e164))
    if row is None:
        session.add(OptOut(bank_id=bank_id, e164=e164, opted_out=opted_out, changed_at=now))
    else:
        row.opted_out, row.changed_at = opted_out, now


def record_opt_out(session: so.Session, bank_id: int, e164: str, now: dt.datetime) -> None:
    """Note that `e164` asked this time bank to stop texting it (no commit)."""
    _set(session, bank_id, e164, True, now)


def record_opt_in(session: so.Session, bank_id: int, e164: str, now: dt.datetime) -> None:
    """Note that `e164` asked for texts again (no commit)."""
    _set(session, bank_id, e164, False, now)


def is_opted_out(session: so.Session, bank_id: int, e164: str) -> bool:
    """Return True when `e164` has opted out of this time bank's texts."""
    return bool(
        session.scalar(
            sa.select(OptOut.opted_out).where(OptOut.bank_id == bank_id, OptOut.e164 == e164)
        )
    )
