"""The SMS outbox: texts are queued with their cause and sent once."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from timebank.sms.backends import FakeBackend
from timebank.sms.models import OutboxMessage
from timebank.sms.outbox import queue_sms, send_queued


class BrokenBackend:
    def send(self, to: str, body: str):
        raise ConnectionRefusedError("provider unreachable")


def statuses(session) -> list[str]:
    return list(session.scalars(sa.select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_a_text_is_only_queued_if_its_transaction_commits(session, bank):
    queue_sms(session, bank.id, "+447450120567", "Hello", "test")
    session.rollback()
    assert statuses(session) == []
    queue_sms(session, bank.id, "+447450120567", "Hello", "test")
    session.commit()
    assert statuses(session) == ["queued"]


def test_queued_texts_are_sent_oldest_first_and_marked_with_the_provider_id(session, bank):
    for body in ("first", "second"):
        queue_sms(session, bank.id, "+447450120567", body, "test")
    session.commit()
    backend = FakeBackend()
    assert send_queued(session, backend) == 2
    assert [t.body for t in backend.sent] == ["first", "second"]
    rows = session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows] == ["sent", "sent"]
    assert [r.provider_sid for r in rows] == [t.provider_sid for t in backend.sent]
    assert send_queued(session, backend) == 0 and len(backend.sent) == 2


def test_a_failed_send_stays_queued_with_the_reason(session, bank):
    queue_sms(session, bank.id, "+447450120567", "Hello", "test")
    session.commit()
    assert send_queued(session, BrokenBackend()) == 0
    row = session.scalars(sa.select(OutboxMessage)).one()
    assert (row.status, row.attempts) == ("queued", 1)
    assert "unreachable" in row.error
    assert send_queued(session, FakeBackend()) == 0  # not before its backoff
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    assert send_queued(session, FakeBackend(), now=lambda: later) == 1


def test_a_text_another_sender_claimed_is_not_sent_again(session, bank):
    message = queue_sms(session, bank.id, "+447450120567", "Hello", "test")
    session.commit()
    session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == message.id).values(status="sending")
    )
    session.commit()
    backend = FakeBackend()
    assert send_queued(session, backend) == 0 and backend.sent == []


def test_the_migrated_outbox_accepts_every_status_the_model_names(session, bank):
    from timebank.sms.models import OUTBOX_STATUSES

    for status in OUTBOX_STATUSES:
        message = queue_sms(session, bank.id, "+447450120567", status, "test")
        message.status = status
    session.commit()
    assert sorted(statuses(session)) == sorted(OUTBOX_STATUSES)
