"""The Twilio backend against a fake Twilio REST server, through the real twilio Client."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from tests.fakes.twilio_api import FakeTwilio, FakeTwilioServer
from timebank.sms.errors import OutcomeUnknown, Rejected, RetryLater
from timebank.sms.twilio_backend import TwilioBackend

TO = "+447450120567"
SENDER = "+447700900001"


@pytest.fixture
def twilio():
    with FakeTwilioServer(FakeTwilio(timeout_seconds=1.0)) as server:
        yield server


def backend_for(server: FakeTwilioServer, timeout: float = 0.5) -> TwilioBackend:
    fake = server.fake
    return TwilioBackend(
        fake.account_sid, fake.auth_token, SENDER, timeout=timeout, base_url=server.url
    )


def test_a_text_is_created_with_the_sender_and_its_sid_is_kept(twilio):
    sent = backend_for(twilio).send(TO, "Hello from the time bank")
    [created] = twilio.fake.sent_to(TO)
    assert sent.provider_sid == created.sid and created.sid.startswith("SM")
    assert (created.body, created.sender) == ("Hello from the time bank", SENDER)


def test_a_messaging_service_sid_is_sent_as_such(twilio):
    backend_for(twilio).send(TO, "Hi", sender="MG" + "1" * 32)
    assert twilio.fake.requests[-1]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in twilio.fake.requests[-1]


def test_throttling_means_retry_later(twilio):
    twilio.fake.answer_next("throttled")
    with pytest.raises(RetryLater) as error:
        backend_for(twilio).send(TO, "Hi")
    assert error.value.code == 20429 and twilio.fake.messages == []


def test_an_opted_out_number_is_rejected_for_good(twilio):
    twilio.fake.answer_next("opted_out")
    with pytest.raises(Rejected) as error:
        backend_for(twilio).send(TO, "Hi")
    assert error.value.opted_out and error.value.code == 21610


def test_a_bad_number_is_rejected_for_good(twilio):
    twilio.fake.answer_next("bad_number")
    with pytest.raises(Rejected) as error:
        backend_for(twilio).send(TO, "Hi")
    assert not error.value.opted_out and error.value.code == 21211


def test_a_server_error_leaves_the_outcome_unknown_and_reconciliation_finds_the_text(twilio):
    twilio.fake.answer_next("server_error")
    backend = backend_for(twilio)
    since = dt.datetime.now(dt.UTC)
    with pytest.raises(OutcomeUnknown):
        backend.send(TO, "Your code is 123456")
    [created] = twilio.fake.sent_to(TO)
    assert backend.find_sent(TO, "Your code is 123456", since) == created.sid
    assert backend.find_sent(TO, "another text", since) is None


def test_a_timeout_after_sending_is_unknown_not_retry(twilio):
    twilio.fake.answer_next("timeout")
    with pytest.raises(OutcomeUnknown):
        backend_for(twilio, timeout=0.3).send(TO, "Hi")
    assert len(twilio.fake.sent_to(TO)) == 1


def test_connection_refused_means_retry_later():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = TwilioBackend(
        "AC" + "0" * 32, "token", SENDER, timeout=0.5, base_url=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(RetryLater):
        backend.send(TO, "Hi")


def test_no_sender_is_a_clear_rejection(twilio):
    backend = TwilioBackend(
        twilio.fake.account_sid, twilio.fake.auth_token, None, base_url=twilio.url
    )
    with pytest.raises(Rejected, match="No sending number"):
        backend.send(TO, "Hi")
