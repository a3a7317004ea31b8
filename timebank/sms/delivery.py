"""Twilio's status callbacks: move a sent text's status forward, never back."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.sms.errors import OPTED_OUT_CODES
from timebank.sms.models import OutboxMessage
from timebank.sms.optouts import record_opt_out

# Twilio's message statuses as ours. Unknown ones are ignored.
TWILIO_STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}

# How far along each of our statuses is; a callback only ever moves a text further.
# delivered, undelivered and failed are all final: none replaces another.
PROGRESS = {
    "queued": 0,
    "sending": 1,
    "unknown": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "suppressed": 3,
}


def next_status(current: str, reported: str) -> str | None:
    """Return the status a text moves to when Twilio reports `reported`, or None to stay."""
    ours = TWILIO_STATUSES.get(reported.strip().lower())
    if ours is None or PROGRESS[ours] <= PROGRESS.get(current, 0):
        return None
    return ours


@use_case
def apply_status_callback(
    session: so.Session,
    message_sid: str,
    status: str,
    error_code: int | None,
    now: dt.datetime,
) -> bool:
    """Record what Twilio says became of a text; return False when the sid is not ours."""
    message = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.provider_sid == message_sid).with_for_update()
    ).one_or_none()
    if message is None:
        session.rollback()
        return False
    moved_to = next_status(message.status, status)
    if moved_to is not None:
        message.status, message.status_changed_at = moved_to, now
        if error_code:
            message.error_code = error_code
            message.error = f"Twilio reported {status} ({error_code})."
    if error_code in OPTED_OUT_CODES:
        record_opt_out(session, message.bank_id, message.to_e164, now)
    session.commit()
    return True
