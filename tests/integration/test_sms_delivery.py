"""Twilio's status callbacks move a text's status forward only."""

from __future__ import annotations

import datetime as dt

import pytest

from timebank.sms.delivery import apply_status_callback, next_status
from timebank.sms.models import OptOut, OutboxMessage
from timebank.sms.outbox import queue_sms

TO = "+447450120567"
SID = "SM" + "a" * 32
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def sent(session, bank) -> OutboxMessage:
    """Return a text Twilio accepted, with its sid."""
    message = queue_sms(session, bank.id, TO, "Hello", "test")
    message.status, message.provider_sid, message.sent_at = "sent", SID, NOW
    session.commit()
    return message


def status_of(session, message: OutboxMessage) -> str:
    found = session.get(OutboxMessage, message.id, populate_existing=True)
    session.commit()
    return found.status


def test_delivered_is_recorded_with_when_it_changed(session, sent):
    assert apply_status_callback(session, SID, "delivered", None, NOW) is True
    row = session.get(OutboxMessage, sent.id, populate_existing=True)
    assert row.status == "delivered"
    changed = row.status_changed_at
    assert (changed if changed.tzinfo else changed.replace(tzinfo=dt.UTC)) == NOW


def test_a_late_sent_after_delivered_changes_nothing(session, sent):
    apply_status_callback(session, SID, "delivered", None, NOW)
    assert apply_status_callback(session, SID, "sent", None, NOW) is True
    assert apply_status_callback(session, SID, "queued", None, NOW) is True
    assert status_of(session, sent) == "delivered"


def test_callbacks_out_of_order_end_at_the_furthest_status(session, sent):
    for status in ("sending", "delivered", "sent", "queued", "sending"):
        apply_status_callback(session, SID, status, None, NOW)
    assert status_of(session, sent) == "delivered"


def test_a_repeated_callback_is_harmless(session, sent):
    for _ in range(3):
        assert apply_status_callback(session, SID, "undelivered", 30003, NOW) is True
    row = session.get(OutboxMessage, sent.id, populate_existing=True)
    assert (row.status, row.error_code) == ("undelivered", 30003)


def test_a_final_status_is_not_replaced_by_another(session, sent):
    apply_status_callback(session, SID, "failed", 30005, NOW)
    apply_status_callback(session, SID, "delivered", None, NOW)
    assert status_of(session, sent) == "failed"


def test_an_opted_out_error_in_a_callback_records_the_opt_out(session, bank, sent):
    apply_status_callback(session, SID, "failed", 21610, NOW)
    opt_out = session.get(OptOut, (bank.id, TO))
    assert opt_out is not None and opt_out.opted_out
    assert status_of(session, sent) == "failed"


def test_an_unknown_sid_answers_false_and_changes_nothing(session, sent):
    assert apply_status_callback(session, "SM" + "b" * 32, "delivered", None, NOW) is False
    assert status_of(session, sent) == "sent"


@pytest.mark.parametrize(
    ("current", "reported", "expected"),
    [
        ("sent", "delivered", "delivered"),
        ("sent", "read", "delivered"),
        ("sent", "accepted", None),
        ("sending", "sent", "sent"),
        ("unknown", "sent", "sent"),
        ("delivered", "undelivered", None),
        ("sent", "something-new", None),
        ("sent", "DELIVERED", "delivered"),
    ],
)
def test_next_status_only_moves_forward(current, reported, expected):
    assert next_status(current, reported) == expected
