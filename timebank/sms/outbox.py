"""Queue texts in the caller's transaction, and send what is queued."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.sms.backends import SmsBackend
from timebank.sms.models import OutboxMessage

log = logging.getLogger("timebank.sms")


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


def _claim(session: so.Session, message_id: int) -> bool:
    """Mark one queued text as being sent; False when another sender took it first."""
    claimed: sa.CursorResult = session.execute(  # type: ignore[assignment]
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued")
        .values(status="sending", attempts=OutboxMessage.attempts + 1)
    )
    session.commit()
    return claimed.rowcount == 1


def send_queued(
    session: so.Session,
    backend: SmsBackend,
    limit: int = 50,
    now: Callable[[], dt.datetime] = utcnow,
) -> int:
    """Send up to `limit` queued texts, oldest first, and return how many went."""
    queued = session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == "queued")
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    session.commit()
    sent = 0
    for message_id in queued:
        if not _claim(session, message_id):
            continue
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        assert message is not None
        try:
            result = backend.send(message.to_e164, message.body)
        except Exception as error:  # the text goes back in the queue for the next pass
            log.warning("SMS %s not sent: %s", message_id, error)
            message.status, message.error = "queued", str(error)[:300]
        else:
            message.status, message.sent_at = "sent", now()
            message.provider_sid = result.provider_sid
            sent += 1
        session.commit()
    return sent
