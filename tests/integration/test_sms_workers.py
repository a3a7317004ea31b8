"""Several senders on one outbox: claims never overlap, and a stopped worker loses nothing."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import re
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from tests.fakes.twilio_api import FakeTwilio, FakeTwilioServer
from timebank.sms.backends import FakeBackend
from timebank.sms.models import OutboxMessage
from timebank.sms.outbox import queue_sms
from timebank.sms.sending import claim_due, send_pending

TO = "+447450120567"


def queue_many(session, bank, count: int) -> list[int]:
    messages = [queue_sms(session, bank.id, TO, f"Text {n}", "test") for n in range(count)]
    session.commit()
    return [m.id for m in messages]


def statuses(session) -> list[str]:
    found = list(session.scalars(sa.select(OutboxMessage.status).order_by(OutboxMessage.id)))
    session.commit()
    return found


def test_a_worker_told_to_stop_finishes_the_text_in_hand_and_puts_back_the_rest(session, bank):
    queue_many(session, bank, 3)
    backend = FakeBackend()
    report = send_pending(
        session, backend, dt.datetime.now(dt.UTC), 50, None, lambda: bool(backend.sent)
    )
    assert report.sent == 1 and [t.body for t in backend.sent] == ["Text 0"]
    assert statuses(session) == ["sent", "queued", "queued"]
    attempts = list(session.scalars(sa.select(OutboxMessage.attempts).order_by(OutboxMessage.id)))
    assert attempts == [1, 0, 0]
    assert send_pending(session, backend, dt.datetime.now(dt.UTC)).sent == 2


def test_a_text_claimed_by_another_worker_is_not_claimed_again(session, bank):
    queue_many(session, bank, 3)
    now = dt.datetime.now(dt.UTC)
    first = claim_due(session, now, 2)
    second = claim_due(session, now, 2)
    assert len(first) == 2 and len(second) == 1 and not set(first) & set(second)
    assert claim_due(session, now, 2) == []


def test_texts_waiting_for_their_retry_time_are_not_claimed(session, bank):
    [waiting, due] = queue_many(session, bank, 2)
    now = dt.datetime.now(dt.UTC)
    session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == waiting)
        .values(next_attempt_at=now + dt.timedelta(seconds=1))
    )
    session.commit()
    assert claim_due(session, now, 50) == [due]


@pytest.mark.postgres_only
def test_rows_another_transaction_holds_are_skipped_without_waiting(app, session, bank):
    from timebank.extensions import db

    ids = queue_many(session, bank, 4)
    with db.engine.connect() as other:
        other.execute(
            sa.select(OutboxMessage.id).where(OutboxMessage.id.in_(ids[:2])).with_for_update()
        ).all()
        # Waiting on the held rows would fail after 2 seconds instead of skipping them.
        session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        assert claim_due(session, dt.datetime.now(dt.UTC), 50) == ids[2:]
        other.rollback()
    assert claim_due(session, dt.datetime.now(dt.UTC), 50) == ids[:2]


def send_until_empty(
    url: str, twilio_url: str, fake: dict[str, str], barrier: Any, out: Any
) -> None:
    """Run `flask sms send-pending` passes in this process until one finds nothing to do."""
    from timebank import create_app
    from timebank.extensions import db

    app = create_app(
        "testing",
        {
            "DATABASE_URL": url,
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": fake["sid"],
            "TWILIO_AUTH_TOKEN": fake["token"],
            "TWILIO_API_BASE_URL": twilio_url,
            "SMS_BATCH_SIZE": 10,
        },
    )
    sent = passes = 0
    with app.app_context():
        runner = app.test_cli_runner()
        barrier.wait(30)
        while True:
            result = runner.invoke(args=["sms", "send-pending"])
            assert result.exit_code == 0, result.output
            count = int(re.search(r"Sent (\d+)", result.output).group(1))
            passes += 1
            if count == 0:
                break
            sent += count
        db.session.remove()
        db.engine.dispose()
    out.put((sent, passes))


@pytest.mark.postgres_only
def test_two_worker_processes_send_each_of_200_texts_exactly_once(session, bank, database_url):
    bank.sms_number = "+447700900123"
    session.commit()
    for n in range(200):
        queue_sms(session, bank.id, f"+4474501{n:05d}", f"Text number {n}", "test")
    session.commit()
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    with FakeTwilioServer(FakeTwilio()) as twilio:
        fake = {"sid": twilio.fake.account_sid, "token": twilio.fake.auth_token}
        workers = [
            ctx.Process(
                target=send_until_empty, args=(database_url, twilio.url, fake, barrier, out)
            )
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        results = [out.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(30)
            assert worker.exitcode == 0
        created = Counter(m.body for m in twilio.fake.messages)
    assert len(created) == 200 and set(created.values()) == {1}
    assert sum(sent for sent, _ in results) == 200
    assert all(sent > 0 for sent, _ in results), results
    assert set(statuses(session)) == {"sent"}
    sids = set(session.scalars(sa.select(OutboxMessage.provider_sid)))
    assert sids == {m.sid for m in twilio.fake.messages}
