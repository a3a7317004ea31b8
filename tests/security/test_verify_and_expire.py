"""`flask ledger verify` checks every resolution against its pending transfer; overlapping
`flask ledger expire` runs each report only what they did themselves."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from tests.factories import MemberFactory, TimeBankFactory
from timebank.extensions import db
from timebank.ledger.models import PendingEscalation, Transfer
from timebank.ledger.resolutions import (
    ExpiryReport,
    confirm_pending,
    decline_pending,
    expire_pending,
)
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.ledger.verify import verify_ledger
from timebank.membership.services import account_of

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
WAIT_SECONDS = 20.0
# On a loaded machine threads may take a while to reach the lock they are meant to meet at.
MEETING_SECONDS = 90.0


def at(days: float):
    return lambda: START + dt.timedelta(days=days)


def log_pending(session, bank, giver, receiver, minutes=60, days=0.0):
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, minutes, giver.id)
    return record_exchange(session, request, now=at(days))


def insert_unchecked(session, **row) -> uuid.UUID:
    """Append a transfer by raw SQL with the foreign keys off, as a damaged database might hold."""
    values = {
        "id": uuid.uuid4(),
        "code": "exchange",
        "phase": "post_pending",
        "happened_on": START.date(),
        "recorded_at": START,
        "recorded_by_id": None,
        "request_digest": "0" * 64,
        "description": "",
        **row,
    }
    session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        # Replica mode skips the foreign keys' triggers (and the append-only ones: only INSERT).
        session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        session.execute(sa.insert(Transfer.__table__).values(values))
        session.commit()
    else:
        # SQLite takes the foreign keys off only outside a transaction, on a raw connection.
        raw = db.engine.raw_connection()
        try:
            raw.execute("PRAGMA foreign_keys=OFF")
            columns = ", ".join(values)
            marks = ", ".join(f":{name}" for name in values)
            raw.execute(
                f"INSERT INTO transfers ({columns}) VALUES ({marks})",
                {name: _sqlite(value) for name, value in values.items()},
            )
            raw.execute("PRAGMA foreign_keys=ON")
        finally:
            raw.close()
    return values["id"]


def _sqlite(value):
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def problems_about(session, transfer_id) -> list[str]:
    report = verify_ledger(session)
    assert not report.ok
    return [p for p in report.problems if str(transfer_id) in p]


# Verify.


def test_verify_reports_a_resolution_of_a_transfer_that_does_not_exist(session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    sams, jos = (account_of(session, bank.id, m.id) for m in (sam, jo))
    missing = uuid.uuid4()

    bad = insert_unchecked(
        session,
        bank_id=bank.id,
        debit_account_id=jos.id,
        credit_account_id=sams.id,
        amount=30,
        pending_id=missing,
    )

    found = problems_about(session, bad)
    assert found and any("does not exist" in p and str(missing) in p for p in found), found


def test_verify_reports_a_resolution_of_another_banks_pending_transfer(session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = log_pending(session, bank, sam, jo)
    other = TimeBankFactory()
    ann, bob = MemberFactory(bank=other), MemberFactory(bank=other)
    anns, bobs = (account_of(session, other.id, m.id) for m in (ann, bob))

    bad = insert_unchecked(
        session,
        bank_id=other.id,
        debit_account_id=bobs.id,
        credit_account_id=anns.id,
        amount=60,
        pending_id=pending.id,
    )

    found = problems_about(session, bad)
    assert any("another time bank" in p for p in found), found


def test_verify_reports_a_confirmation_of_more_minutes_than_were_logged(session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = log_pending(session, bank, sam, jo, minutes=60)

    bad = insert_unchecked(
        session,
        bank_id=bank.id,
        debit_account_id=pending.debit_account_id,
        credit_account_id=pending.credit_account_id,
        amount=90,
        pending_id=pending.id,
    )

    found = problems_about(session, bad)
    assert any("confirms 90 minutes" in p and "60" in p for p in found), found


def test_verify_reports_a_decline_for_other_minutes_and_a_resolution_of_a_posted_one(session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = log_pending(session, bank, sam, jo, minutes=60)
    posted = record_exchange(
        session, ExchangeRequest(uuid.uuid4(), bank.id, sam.id, jo.id, 30, jo.id)
    )
    accounts = {
        "bank_id": bank.id,
        "debit_account_id": pending.debit_account_id,
        "credit_account_id": pending.credit_account_id,
    }

    void = insert_unchecked(
        session, **accounts, phase="void_pending", amount=20, pending_id=pending.id
    )
    of_posted = insert_unchecked(session, **accounts, amount=30, pending_id=posted.id)

    assert any("declines 20 minutes" in p for p in problems_about(session, void))
    assert any("not waiting" in p for p in problems_about(session, of_posted))


def test_verify_reports_a_resolution_between_other_accounts(session, bank):
    sam, jo, kim = (MemberFactory(bank=bank) for _ in range(3))
    pending = log_pending(session, bank, sam, jo)
    kims = account_of(session, bank.id, kim.id)

    bad = insert_unchecked(
        session,
        bank_id=bank.id,
        debit_account_id=kims.id,
        credit_account_id=pending.credit_account_id,
        amount=60,
        pending_id=pending.id,
    )

    assert any("other accounts" in p for p in problems_about(session, bad))


def test_verify_passes_resolutions_that_match(session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = log_pending(session, bank, sam, jo)
    confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id, minutes=45)

    report = verify_ledger(session)

    assert report.ok, report.problems


# Expire.


class ExpiryRun(threading.Thread):
    """Run `expire_pending` on a connection of its own."""

    def __init__(self, days: float) -> None:
        super().__init__(daemon=True)
        self.engine, self.days = db.engine, days
        self.report: ExpiryReport | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        session = so.Session(self.engine)
        try:
            self.report = expire_pending(session, now=at(self.days))
        except BaseException as exc:  # reported to the test, which asserts on it
            self.error = exc
        finally:
            session.close()


def waiting_on_locks(runs: tuple[ExpiryRun, ...], seconds: float = MEETING_SECONDS) -> bool:
    """Wait until every run waits on a lock in this test's database; say whether they do."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0"
    )
    deadline = time.monotonic() + seconds
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(query).scalar()
            # pg_stat_activity is read once per transaction: end it, or a connection opened
            # after the first look is never seen.
            conn.rollback()
            if waiting >= len(runs):
                return True
            if not all(run.is_alive() for run in runs):
                return False
            threading.Event().wait(0.01)
    return False


def overlapping_runs(session, lock_sql: str, params: dict) -> tuple[ExpiryRun, ExpiryRun]:
    """Start two expiry runs that both list the overdue exchanges before either acts on one.

    A lock held here stops the first at its first exchange, after it has read its list; the
    second starts then, reads the same list and waits behind it. The lock is let go once
    both wait, or after a few seconds at most (the second may wait where this cannot see),
    and always before a failure, so that nothing hangs.
    """
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(sa.text(lock_sql), params)
    first, second = ExpiryRun(4), ExpiryRun(4)
    try:
        first.start()
        assert waiting_on_locks((first,)), f"the first run never waited: {first.error!r}"
        second.start()
        waiting_on_locks((first, second), seconds=5.0)
    finally:
        transaction.rollback()
        holder.close()
    for run in (first, second):
        run.join(WAIT_SECONDS)
        assert not run.is_alive(), "an expiry run hung"
    return first, second


@pytest.mark.postgres_only
def test_two_overlapping_expiry_runs_confirm_each_exchange_once_and_count_it_once(session):
    bank = TimeBankFactory(confirm_days=3, overdraft_minutes=-100_000)
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pendings = [log_pending(session, bank, sam, jo, minutes=10) for _ in range(8)]
    session.rollback()

    first, second = overlapping_runs(
        session,
        "SELECT id FROM accounts WHERE id = :id FOR UPDATE",
        {"id": pendings[0].debit_account_id},
    )

    assert first.error is None and second.error is None, (first.error, second.error)
    assert first.report.confirmed + second.report.confirmed == len(pendings)
    assert first.report.failed == second.report.failed == 0
    resolved = session.scalars(
        sa.select(Transfer.pending_id).where(Transfer.pending_id.is_not(None))
    ).all()
    assert sorted(resolved) == sorted(p.id for p in pendings)
    assert account_of(session, bank.id, sam.id).balance == 80
    assert verify_ledger(session).ok


@pytest.mark.postgres_only
def test_two_overlapping_escalating_runs_escalate_each_exchange_once_and_count_it_once(session):
    bank = TimeBankFactory(confirm_days=3, on_expiry="escalate")
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pendings = [log_pending(session, bank, sam, jo, minutes=10) for _ in range(5)]
    session.rollback()

    first, second = overlapping_runs(
        session,
        "SELECT id FROM transfers WHERE id = :id FOR UPDATE",
        {"id": pendings[0].id},
    )

    assert first.error is None and second.error is None, (first.error, second.error)
    assert first.report.escalated + second.report.escalated == len(pendings)
    escalated = session.scalars(sa.select(PendingEscalation.transfer_id)).all()
    assert sorted(escalated) == sorted(p.id for p in pendings)


@pytest.mark.postgres_only
def test_an_exchange_declined_after_the_run_listed_it_is_not_counted_as_a_failure(session):
    bank = TimeBankFactory(confirm_days=3)
    sam, jo, kim, lee = (MemberFactory(bank=bank) for _ in range(4))
    held = log_pending(session, bank, sam, jo)
    # A minute later, so the run takes it second, after the one held.
    declined = log_pending(session, bank, kim, lee, days=1 / 1440)
    session.rollback()
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(
        sa.text("SELECT id FROM accounts WHERE id = :id FOR UPDATE"), {"id": held.debit_account_id}
    )
    run = ExpiryRun(4)
    try:
        run.start()
        # The run has its list and waits at its first exchange.
        assert waiting_on_locks((run,)), f"the run never waited: {run.error!r}"
        decline_pending(session, bank.id, declined.id, uuid.uuid4(), lee.id, "It did not happen")
    finally:
        transaction.rollback()
        holder.close()
    run.join(WAIT_SECONDS)

    assert run.error is None, run.error
    assert (run.report.confirmed, run.report.escalated, run.report.failed) == (1, 0, 0)
    assert account_of(session, bank.id, kim.id).balance == 0
    assert account_of(session, bank.id, sam.id).balance == 60
