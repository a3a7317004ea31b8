"""Send what the outbox holds: claim due texts, send each once, and sort every outcome.

A pass claims queued texts whose time has come (on PostgreSQL with FOR UPDATE SKIP LOCKED,
so several workers never take the same row), marks them `sending` and commits before any
text leaves. Each text then ends the pass `sent`, back in the queue with a backoff (the
provider surely created nothing), `failed` (never retried), `suppressed` (opted out) or
`unknown` (the request went out without a clear answer). Reconciliation looks `unknown`
texts, and texts left `sending` by a worker that died, up at the provider: found means
sent; not found after a wait means it is safe to queue again. Nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc
from timebank.sms.errors import OutcomeUnknown, Rejected, RetryLater, SendError
from timebank.sms.interface import SmsBackend
from timebank.sms.models import FINAL_STATUSES, SECRET_PURPOSES, OutboxMessage
from timebank.sms.optouts import is_opted_out, record_opt_out
from timebank.tenancy.models import TimeBank

log = logging.getLogger("timebank.sms")

# Backoff is stretched by up to this fraction, so texts throttled together spread out.
JITTER = 0.25


@dataclass(frozen=True)
class SendPolicy:
    """How long to wait between tries, how often to try, and when to look a text up."""

    retry_base_seconds: float = 30
    max_attempts: int = 8
    reconcile_after_seconds: float = 120
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SendPolicy:
        """Read the SMS_RETRY_* and SMS_RECONCILE_AFTER_SECONDS settings."""
        return cls(
            retry_base_seconds=float(config["SMS_RETRY_BASE_SECONDS"]),
            max_attempts=int(config["SMS_RETRY_MAX_ATTEMPTS"]),
            reconcile_after_seconds=float(config["SMS_RECONCILE_AFTER_SECONDS"]),
        )

    def backoff(self, attempts: int) -> dt.timedelta:
        """Return the wait before try number `attempts + 1`: base * 2**(attempts-1), jittered."""
        seconds = self.retry_base_seconds * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=seconds * (1 + JITTER * self.jitter()))


@dataclass
class PassReport:
    """What one pass did, counted by outcome."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    unknown: int = 0
    # Reconciliation: found at the provider (now sent), or queued again (never created).
    found: int = 0
    requeued: int = 0

    def add(self, other: PassReport) -> None:
        """Add another pass's counts to these."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def did_something(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)

    def summary(self) -> str:
        """Describe the pass in one line, e.g. for cron's mail or the worker's log."""
        line = (
            f"Sent {self.sent}, retried {self.retried}, failed {self.failed}, "
            f"suppressed {self.suppressed}, unknown {self.unknown}."
        )
        if self.found or self.requeued:
            line += (
                f" Checked at the provider: {self.found} found sent, {self.requeued} queued again."
            )
        return line


def claim_due(session: so.Session, now: dt.datetime, limit: int) -> list[int]:
    """Mark up to `limit` due queued texts `sending`, oldest first, commit, return their ids.

    PostgreSQL skips rows another worker has locked; SQLite takes its write lock at the
    start of the transaction, so one claimer runs at a time and the same query is enough.
    """
    due = sa.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
    ids = list(
        session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "queued", due)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        # The status guard is a second lock on the door: only rows still queued move.
        ids = sorted(
            session.scalars(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "queued")
                .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
    session.commit()
    return ids


def release(session: so.Session, ids: list[int]) -> None:
    """Put claimed texts that were never tried back in the queue, as they were."""
    if ids:
        session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "sending")
            .values(status="queued", claimed_at=None, attempts=OutboxMessage.attempts - 1)
            .execution_options(synchronize_session=False)
        )
    session.commit()


def sender_for(session: so.Session, bank_id: int) -> str | None:
    """Return what the bank's texts come from: its sms_sender, else its sms_number."""
    row = session.execute(
        sa.select(TimeBank.sms_sender, TimeBank.sms_number).where(TimeBank.id == bank_id)
    ).one_or_none()
    return (row.sms_sender or row.sms_number) if row else None


def _send(backend: SmsBackend, to: str, body: str, sender: str | None) -> str:
    """Send through `backend` and return the provider's sid; every failure is a SendError."""
    try:
        if sender is None:
            return backend.send(to, body).provider_sid
        return backend.send(to, body, sender=sender).provider_sid
    except SendError:
        raise
    except ConnectionRefusedError as error:  # nothing reached the provider
        raise RetryLater(f"Could not connect: {error}") from error
    except Exception as error:
        raise OutcomeUnknown(f"Unexpected error while sending: {error!r}") from error


def _mark(message: OutboxMessage, status: str, now: dt.datetime, error: SendError | None) -> None:
    message.status, message.status_changed_at = status, now
    if error is not None:
        message.error, message.error_code = error.reason[:300], error.code
    if status in FINAL_STATUSES and message.purpose in SECRET_PURPOSES:
        message.body = ""  # the code is never needed again; a retry would still need it


def _blank_if_secret(status: str) -> dict[str, Any]:
    """Return the update that blanks a secret text's body when `status` is final."""
    if status not in FINAL_STATUSES:
        return {}
    secret = OutboxMessage.purpose.in_(SECRET_PURPOSES)
    return {"body": sa.case((secret, ""), else_=OutboxMessage.body)}


def send_one(
    session: so.Session,
    backend: Any,
    message_id: int,
    now: dt.datetime,
    policy: SendPolicy,
    report: PassReport,
) -> None:
    """Send one claimed text and record what happened, in its own commit."""
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status != "sending":
        session.commit()
        return
    if is_opted_out(session, message.bank_id, message.to_e164):
        _mark(message, "suppressed", now, None)
        report.suppressed += 1
        session.commit()
        return
    to, body, bank_id = message.to_e164, message.body, message.bank_id
    sender = sender_for(session, bank_id)
    session.commit()  # hold no transaction (nor SQLite's write lock) while the provider answers
    try:
        sid = _send(backend, to, body, sender)
    except RetryLater as error:
        if message.attempts >= policy.max_attempts:
            _mark(message, "failed", now, error)
            report.failed += 1
        else:
            _mark(message, "queued", now, error)
            message.claimed_at = None
            message.next_attempt_at = now + policy.backoff(message.attempts)
            report.retried += 1
    except Rejected as error:
        _mark(message, "failed", now, error)
        if error.opted_out:
            record_opt_out(session, bank_id, to, now)
        report.failed += 1
    except OutcomeUnknown as error:
        _mark(message, "unknown", now, error)
        report.unknown += 1
    else:
        _mark(message, "sent", now, None)
        message.provider_sid, message.sent_at = sid, now
        message.error = message.error_code = None
        report.sent += 1
    if message.status != "sent":
        log.warning("SMS %s %s: %s", message.id, message.status, message.error)
    session.commit()


def send_pending(
    session: so.Session,
    backend: Any,
    now: dt.datetime,
    limit: int = 50,
    policy: SendPolicy | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> PassReport:
    """Claim up to `limit` due texts and send each once; return what happened.

    When `should_stop` turns true the text in hand is finished and the rest of the batch
    goes back in the queue untouched.
    """
    policy = policy or SendPolicy()
    report = PassReport()
    claimed = claim_due(session, now, limit)
    try:
        while claimed and not should_stop():
            # Taken off the list first: a text that fails mid-way stays `sending` and is
            # reconciled later, never put back in the queue by the release below.
            send_one(session, backend, claimed.pop(0), now, policy, report)
    finally:
        session.rollback()
        release(session, claimed)
    return report


def _stale(now: dt.datetime, policy: SendPolicy) -> sa.ColumnElement[bool]:
    cutoff = now - dt.timedelta(seconds=policy.reconcile_after_seconds)
    return sa.or_(
        OutboxMessage.status == "unknown",
        sa.and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= cutoff),
    )


def reconcile(
    session: so.Session,
    backend: Any,
    now: dt.datetime,
    limit: int = 50,
    policy: SendPolicy | None = None,
) -> PassReport:
    """Look `unknown` texts, and texts left `sending` too long, up at the provider.

    Found: sent, with the provider's sid. Not found once SMS_RECONCILE_AFTER_SECONDS have
    passed since the claim: queued again, now known safe to send (or failed, when it has
    had SMS_RETRY_MAX_ATTEMPTS tries). Each change is guarded
    by the status and attempt count read, so a row another worker moved is left alone.
    """
    policy = policy or SendPolicy()
    report = PassReport()
    find_sent = getattr(backend, "find_sent", None)
    if find_sent is None:
        return report
    rows = session.execute(
        sa.select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.to_e164,
            OutboxMessage.body,
            sa.func.coalesce(OutboxMessage.claimed_at, OutboxMessage.created_at).label("since"),
        )
        .where(_stale(now, policy))
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    session.commit()
    waited = dt.timedelta(seconds=policy.reconcile_after_seconds)
    for row in rows:
        since = as_utc(row.since)
        try:
            sid = find_sent(row.to_e164, row.body, since=since)
        except SendError as error:
            log.warning("SMS %s could not be looked up: %s", row.id, error.reason)
            continue
        if sid is not None:
            values: dict[str, Any] = {"status": "sent", "provider_sid": sid, "sent_at": since}
        elif now - since >= waited and row.attempts >= policy.max_attempts:
            values = {"status": "failed", "error": "Never reached the provider; gave up."}
        elif now - since >= waited:
            values = {"status": "queued", "claimed_at": None, "next_attempt_at": now}
        else:
            continue
        moved = session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == row.id,
                OutboxMessage.status == row.status,
                OutboxMessage.attempts == row.attempts,
            )
            .values(status_changed_at=now, **values, **_blank_if_secret(values["status"]))
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        if moved:
            log.info("SMS %s was %s; now %s", row.id, row.status, values["status"])
            if sid is not None:
                report.found += 1
            elif values["status"] == "failed":
                report.failed += 1
            else:
                report.requeued += 1
    return report


def run_pass(
    session: so.Session,
    backend: Any,
    now: dt.datetime,
    limit: int = 50,
    policy: SendPolicy | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> PassReport:
    """Reconcile what is in doubt, then send what is due: one pass of the worker or cron."""
    report = reconcile(session, backend, now, limit, policy)
    report.add(send_pending(session, backend, now, limit, policy, should_stop))
    return report
