"""Sending the outbox through the real twilio Client against a fake Twilio REST server."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from config import ConfigError
from tests.fakes.twilio_api import FakeTwilio, FakeTwilioServer
from timebank.sms.backends import make_backend
from timebank.sms.models import OptOut, OutboxMessage
from timebank.sms.outbox import queue_sms
from timebank.sms.sending import SendPolicy, reconcile, send_pending
from timebank.sms.twilio_backend import TwilioBackend

TO = "+447450120567"
BANK_NUMBER = "+447700900123"
SERVICE = "MG" + "5" * 32
POLICY = SendPolicy(
    retry_base_seconds=30, max_attempts=3, reconcile_after_seconds=120, jitter=lambda: 0.0
)


@pytest.fixture
def twilio():
    """Run a fake Twilio REST API on 127.0.0.1 for this test."""
    with FakeTwilioServer(FakeTwilio(timeout_seconds=1.0)) as server:
        yield server


@pytest.fixture
def sms_bank(session, bank):
    """Return `bank` with its own number for texts."""
    bank.sms_number = BANK_NUMBER
    session.commit()
    return bank


def twilio_backend(app, server: FakeTwilioServer, **settings) -> TwilioBackend:
    config = {
        **app.config,
        "TWILIO_ACCOUNT_SID": server.fake.account_sid,
        "TWILIO_AUTH_TOKEN": server.fake.auth_token,
        "TWILIO_API_BASE_URL": server.url,
        "SMS_SEND_TIMEOUT_SECONDS": 0.5,
        **settings,
    }
    backend = make_backend("twilio", config)
    assert isinstance(backend, TwilioBackend)
    return backend


def queue(session, bank, body: str = "Hello from the time bank", to: str = TO) -> int:
    message = queue_sms(session, bank.id, to, body, "test")
    session.commit()
    return message.id


def row(session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    session.commit()
    return message


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(stamp: dt.datetime) -> dt.datetime:
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def test_a_text_goes_from_the_banks_number_and_keeps_its_twilio_sid(app, session, sms_bank, twilio):
    message_id = queue(session, sms_bank)
    report = send_pending(session, twilio_backend(app, twilio), now(), 50, POLICY)
    assert report.sent == 1
    [created] = twilio.fake.sent_to(TO)
    sent = row(session, message_id)
    assert (sent.status, sent.provider_sid, sent.attempts) == ("sent", created.sid, 1)
    assert sent.sent_at is not None
    assert created.sender == BANK_NUMBER
    assert created.status_callback == app.config["PUBLIC_BASE_URL"] + "/sms/status"


def test_a_banks_messaging_service_is_used_before_its_number(app, session, sms_bank, twilio):
    sms_bank.sms_sender = SERVICE
    session.commit()
    queue(session, sms_bank)
    send_pending(session, twilio_backend(app, twilio), now(), 50, POLICY)
    assert twilio.fake.requests[-1]["MessagingServiceSid"] == SERVICE
    assert "From" not in twilio.fake.requests[-1]


def test_a_throttled_text_waits_with_backoff_and_then_goes(app, session, sms_bank, twilio):
    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    twilio.fake.answer_next("throttled")
    start = now()
    assert send_pending(session, backend, start, 50, POLICY).retried == 1
    waiting = row(session, message_id)
    assert (waiting.status, waiting.attempts, waiting.error_code) == ("queued", 1, 20429)
    assert aware(waiting.next_attempt_at) == start + dt.timedelta(seconds=30)
    assert send_pending(session, backend, start + dt.timedelta(seconds=29), 50, POLICY).sent == 0
    assert len(twilio.fake.requests) == 1
    twilio.fake.answer_next("throttled")
    assert send_pending(session, backend, start + dt.timedelta(seconds=30), 50, POLICY).retried == 1
    second_wait = aware(row(session, message_id).next_attempt_at) - start
    assert second_wait == dt.timedelta(seconds=30 + 60)
    assert send_pending(session, backend, start + dt.timedelta(seconds=90), 50, POLICY).sent == 1
    assert row(session, message_id).status == "sent"
    assert len(twilio.fake.sent_to(TO)) == 1


def test_a_text_still_throttled_at_its_last_attempt_fails(app, session, sms_bank, twilio):
    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    later = now()
    for _ in range(POLICY.max_attempts):
        twilio.fake.answer_next("throttled")
        send_pending(session, backend, later, 50, POLICY)
        later += dt.timedelta(hours=1)
    failed = row(session, message_id)
    assert (failed.status, failed.attempts, failed.error_code) == ("failed", 3, 20429)
    assert send_pending(session, backend, later, 50, POLICY).sent == 0
    assert twilio.fake.messages == []


def test_backoff_doubles_and_jitter_only_ever_adds_a_little():
    assert SendPolicy(30, jitter=lambda: 0.0).backoff(1) == dt.timedelta(seconds=30)
    assert SendPolicy(30, jitter=lambda: 0.0).backoff(4) == dt.timedelta(seconds=240)
    assert SendPolicy(30, jitter=lambda: 1.0).backoff(2) == dt.timedelta(seconds=75)


def test_an_opted_out_number_fails_once_and_later_texts_to_it_are_suppressed(
    app, session, sms_bank, twilio
):
    backend = twilio_backend(app, twilio)
    first = queue(session, sms_bank, "First")
    twilio.fake.answer_next("opted_out")
    assert send_pending(session, backend, now(), 50, POLICY).failed == 1
    refused = row(session, first)
    assert (refused.status, refused.error_code) == ("failed", 21610)
    opt_out = session.get(OptOut, (sms_bank.id, TO))
    assert opt_out is not None and opt_out.opted_out
    second = queue(session, sms_bank, "Second")
    report = send_pending(session, backend, now() + dt.timedelta(days=1), 50, POLICY)
    assert (report.sent, report.suppressed) == (0, 1)
    assert row(session, second).status == "suppressed"
    assert row(session, first).status == "failed"
    assert len(twilio.fake.requests) == 1 and twilio.fake.messages == []


def test_an_opt_out_only_suppresses_texts_of_that_bank(app, session, sms_bank, twilio):
    from tests.factories import TimeBankFactory

    other = TimeBankFactory(sms_number="+447700900999")
    session.add(OptOut(bank_id=other.id, e164=TO, opted_out=True))
    session.commit()
    queue(session, sms_bank)
    assert send_pending(session, twilio_backend(app, twilio), now(), 50, POLICY).sent == 1


def test_a_bad_number_fails_and_is_never_tried_again(app, session, sms_bank, twilio):
    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    twilio.fake.answer_next("bad_number")
    assert send_pending(session, backend, now(), 50, POLICY).failed == 1
    refused = row(session, message_id)
    assert (refused.status, refused.error_code) == ("failed", 21211)
    assert "cannot take texts" in refused.error
    send_pending(session, backend, now() + dt.timedelta(days=1), 50, POLICY)
    reconcile(session, backend, now() + dt.timedelta(days=1), 50, POLICY)
    assert len(twilio.fake.requests) == 1
    assert session.get(OptOut, (sms_bank.id, TO)) is None


def test_a_server_error_is_unknown_until_reconciliation_finds_the_text(
    app, session, sms_bank, twilio
):
    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    twilio.fake.answer_next("server_error")
    assert send_pending(session, backend, now(), 50, POLICY).unknown == 1
    assert row(session, message_id).status == "unknown"
    assert send_pending(session, backend, now() + dt.timedelta(hours=1), 50, POLICY).sent == 0
    assert reconcile(session, backend, now(), 50, POLICY).found == 1
    [created] = twilio.fake.sent_to(TO)
    found = row(session, message_id)
    assert (found.status, found.provider_sid) == ("sent", created.sid)
    assert len(twilio.fake.requests) == 1


def test_an_unknown_text_twilio_never_created_is_queued_again_only_after_the_wait(
    app, session, sms_bank, twilio
):
    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    twilio.fake.answer_next("server_error")
    start = now()
    send_pending(session, backend, start, 50, POLICY)
    twilio.fake.messages.clear()  # as if Twilio failed before storing it
    assert reconcile(session, backend, start + dt.timedelta(seconds=60), 50, POLICY).requeued == 0
    assert row(session, message_id).status == "unknown"
    later = start + dt.timedelta(seconds=121)
    assert reconcile(session, backend, later, 50, POLICY).requeued == 1
    assert row(session, message_id).status == "queued"
    assert send_pending(session, backend, later, 50, POLICY).sent == 1
    assert len(twilio.fake.sent_to(TO)) == 1


def test_a_timeout_leaves_the_text_unknown_and_it_is_not_sent_again(app, session, sms_bank, twilio):
    backend = twilio_backend(app, twilio, SMS_SEND_TIMEOUT_SECONDS=0.3)
    message_id = queue(session, sms_bank)
    twilio.fake.answer_next("timeout")
    assert send_pending(session, backend, now(), 50, POLICY).unknown == 1
    send_pending(session, backend, now() + dt.timedelta(hours=1), 50, POLICY)
    assert reconcile(session, backend, now() + dt.timedelta(hours=1), 50, POLICY).found == 1
    assert row(session, message_id).status == "sent"
    assert len(twilio.fake.sent_to(TO)) == 1


def test_a_refused_connection_is_retried_later(app, session, sms_bank, twilio):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    unreachable = twilio_backend(app, twilio, TWILIO_API_BASE_URL=f"http://127.0.0.1:{closed_port}")
    message_id = queue(session, sms_bank)
    start = now()
    assert send_pending(session, unreachable, start, 50, POLICY).retried == 1
    assert row(session, message_id).status == "queued"
    later = start + dt.timedelta(minutes=1)
    assert send_pending(session, twilio_backend(app, twilio), later, 50, POLICY).sent == 1
    assert len(twilio.fake.sent_to(TO)) == 1


def test_a_text_left_sending_by_a_killed_worker_is_found_at_twilio(app, session, sms_bank, twilio):
    from timebank.sms.sending import claim_due

    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    start = now()
    assert claim_due(session, start, 50) == [message_id]
    backend.send(TO, "Hello from the time bank", BANK_NUMBER)  # then the worker died
    assert reconcile(session, backend, start + dt.timedelta(seconds=60), 50, POLICY).found == 0
    assert reconcile(session, backend, start + dt.timedelta(seconds=120), 50, POLICY).found == 1
    [created] = twilio.fake.sent_to(TO)
    assert (row(session, message_id).status, row(session, message_id).provider_sid) == (
        "sent",
        created.sid,
    )


def test_a_text_a_killed_worker_never_sent_is_queued_again_and_sent_once(
    app, session, sms_bank, twilio
):
    from timebank.sms.sending import claim_due

    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    start = now()
    claim_due(session, start, 50)  # the worker died before sending
    assert send_pending(session, backend, start + dt.timedelta(seconds=60), 50, POLICY).sent == 0
    later = start + dt.timedelta(seconds=121)
    assert reconcile(session, backend, later, 50, POLICY).requeued == 1
    assert send_pending(session, backend, later, 50, POLICY).sent == 1
    assert row(session, message_id).status == "sent"
    assert len(twilio.fake.sent_to(TO)) == 1


def test_choosing_twilio_without_its_account_details_stops_start_up(database_url):
    from timebank import create_app

    with pytest.raises(ConfigError, match="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        create_app("testing", {"DATABASE_URL": database_url, "SMS_BACKEND": "twilio"})


def test_the_app_builds_its_twilio_backend_from_settings(database_url):
    from timebank import create_app

    app = create_app(
        "testing",
        {
            "DATABASE_URL": database_url,
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
            "TWILIO_AUTH_TOKEN": "token",
            "TWILIO_API_BASE_URL": "http://127.0.0.1:9",
            "PUBLIC_BASE_URL": "https://timebank.example.org",
        },
    )
    backend = app.extensions["timebank_sms"]
    assert isinstance(backend, TwilioBackend)
    assert backend.status_callback == "https://timebank.example.org/sms/status"
    assert backend.client.api.base_url == "http://127.0.0.1:9"
    assert backend.default_sender is None


def test_a_text_twilio_never_stores_gives_up_after_the_last_attempt(app, session, sms_bank, twilio):
    backend = twilio_backend(app, twilio)
    message_id = queue(session, sms_bank)
    later = now()
    for _ in range(POLICY.max_attempts):
        twilio.fake.answer_next("server_error")
        send_pending(session, backend, later, 50, POLICY)
        twilio.fake.messages.clear()  # Twilio answered 500 and stored nothing
        later += dt.timedelta(seconds=121)
        reconcile(session, backend, later, 50, POLICY)
    gave_up = row(session, message_id)
    assert (gave_up.status, gave_up.attempts) == ("failed", 3)
    assert len(twilio.fake.requests) == 3
