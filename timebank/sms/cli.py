"""`flask sms ...`: send queued texts once (for cron) or keep sending them (the worker)."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from timebank.clock import utcnow
from timebank.extensions import db
from timebank.sms.sending import PassReport, SendPolicy, run_pass

log = logging.getLogger("timebank.sms")

sms_cli = AppGroup("sms", help="Send the texts waiting in the outbox.")


def _one_pass(should_stop: Callable[[], bool] = lambda: False) -> PassReport:
    config = current_app.config
    return run_pass(
        db.session(),
        current_app.extensions["timebank_sms"],
        utcnow(),
        limit=int(config["SMS_BATCH_SIZE"]),
        policy=SendPolicy.from_config(config),
        should_stop=should_stop,
    )


@sms_cli.command("send-pending")
def send_pending_command() -> None:
    """Send the texts that are due, once, and say what happened (for cron)."""
    click.echo(_one_pass().summary())


class _Stopper:
    """Note SIGTERM or SIGINT; the worker finishes the text in hand, then stops."""

    def __init__(self) -> None:
        self.stopping = False

    def stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("SMS worker stopping (signal %s) after the text in hand.", signum)
        self.stopping = True

    def __call__(self) -> bool:
        return self.stopping


@contextmanager
def _signals_to(stopper: _Stopper) -> Iterator[None]:
    previous: dict[signal.Signals, Any] = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.signal(signum, stopper.stop)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_worker(once: bool, max_seconds: float | None) -> PassReport:
    """Run passes every SMS_WORKER_POLL_SECONDS until stopped; return the total done."""
    poll = float(current_app.config["SMS_WORKER_POLL_SECONDS"])
    started = time.monotonic()
    stopper, total = _Stopper(), PassReport()

    def out_of_time() -> bool:
        return max_seconds is not None and time.monotonic() - started >= max_seconds

    with _signals_to(stopper):
        log.info("SMS worker started; looking for texts every %ss.", poll)
        while not stopper():
            try:
                report = _one_pass(stopper)
            except Exception:  # the database or provider is down: try again next time
                db.session.rollback()
                log.exception("SMS worker pass failed")
                report = PassReport()
            if report.did_something:
                log.info("SMS worker: %s", report.summary())
            total.add(report)
            if once or out_of_time():
                break
            wake = time.monotonic() + poll
            while not stopper() and not out_of_time() and time.monotonic() < wake:
                time.sleep(min(0.1, poll))
        log.info("SMS worker stopped.")
    return total


@sms_cli.command("worker")
@click.option("--once", is_flag=True, help="Run one pass, then stop.")
@click.option(
    "--max-seconds", type=float, default=None, help="Stop after this many seconds (for tests)."
)
def worker_command(once: bool, max_seconds: float | None) -> None:
    """Keep sending texts as they become due, until Ctrl-C or SIGTERM."""
    total = run_worker(once, max_seconds)
    click.echo(total.summary())
