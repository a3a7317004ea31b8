"""Queue texts in the caller's transaction; `send_queued` sends what is due (see sending)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.sms.interface import SmsBackend
from timebank.sms.models import OutboxMessage
from timebank.sms.sending import SendPolicy, send_pending


def queue_sms(
    session: so.Session,
    bank_id: int,
    to_e164: str,
    body: str,
    purpose: str,
    member_id: int | None = None,
    now: Callable[[], dt.datetime] = utcnow,
) -> OutboxMessage:
    """Add a text to the outbox; it is sent only if the caller's transaction commits."""
    message = OutboxMessage(
        bank_id=bank_id,
        member_id=member_id,
        to_e164=to_e164,
        body=body,
        purpose=purpose,
        status="queued",
        created_at=now(),
    )
    session.add(message)
    return message


def send_queued(
    session: so.Session,
    backend: SmsBackend,
    limit: int = 50,
    now: Callable[[], dt.datetime] = utcnow,
    policy: SendPolicy | None = None,
) -> int:
    """Send up to `limit` due queued texts, oldest first, and return how many went."""
    return send_pending(session, backend, now(), limit, policy).sent
