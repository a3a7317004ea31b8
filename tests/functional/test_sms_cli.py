"""`flask sms send-pending` and `flask sms worker`, run as an operator or cron would."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa

from timebank.sms.models import OptOut, OutboxMessage
from timebank.sms.outbox import queue_sms

TO = "+447450120567"


def queue(session, bank, *numbers: str) -> None:
    for n, number in enumerate(numbers or (TO,)):
        queue_sms(session, bank.id, number, f"Text {n}", "test")
    session.commit()


def statuses(session) -> list[str]:
    found = list(session.scalars(sa.select(OutboxMessage.status).order_by(OutboxMessage.id)))
    session.commit()
    return found


def test_send_pending_sends_what_is_due_and_says_what_happened(app, session, bank):
    session.add(OptOut(bank_id=bank.id, e164="+447508128486", opted_out=True))
    queue(session, bank, TO, "+447400112648", "+447508128486")
    result = app.test_cli_runner().invoke(args=["sms", "send-pending"])
    assert result.exit_code == 0, result.output
    assert "Sent 2, retried 0, failed 0, suppressed 1, unknown 0." in result.output
    assert statuses(session) == ["sent", "sent", "suppressed"]
    assert [t.to for t in app.extensions["timebank_sms"].sent] == [TO, "+447400112648"]


def test_send_pending_with_nothing_to_do_says_so_and_succeeds(app):
    result = app.test_cli_runner().invoke(args=["sms", "send-pending"])
    assert result.exit_code == 0
    assert "Sent 0, retried 0, failed 0, suppressed 0, unknown 0." in result.output


def test_the_worker_once_sends_and_logs_the_pass(app, session, bank, caplog):
    queue(session, bank)
    with caplog.at_level(logging.INFO, logger="timebank.sms"):
        result = app.test_cli_runner().invoke(args=["sms", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert statuses(session) == ["sent"]
    assert any("SMS worker: Sent 1" in r.getMessage() for r in caplog.records)


def test_the_worker_keeps_looking_until_its_time_is_up(app, session, bank):
    app.config["SMS_WORKER_POLL_SECONDS"] = 0.05
    queue(session, bank)
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["sms", "worker", "--max-seconds", "0.4"])
    assert result.exit_code == 0, result.output
    assert 0.4 <= time.monotonic() - started < 5
    assert "Sent 1," in result.output


def test_the_worker_stops_cleanly_on_sigterm(session, bank, database_url):
    queue(session, bank)
    env = {
        **os.environ,
        "TIMEBANK_ENV": "testing",
        "TIMEBANK_DATABASE_URL": database_url,
        "TIMEBANK_SMS_WORKER_POLL_SECONDS": "0.1",
    }
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    worker = subprocess.Popen(
        [flask, "--app", "wsgi", "sms", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while statuses(session) != ["sent"] and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode == 0, err
    assert statuses(session) == ["sent"]
    assert "SMS worker stopping" in err and "SMS worker stopped." in err
    assert "Sent 1," in out
