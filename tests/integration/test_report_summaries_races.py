"""A report bringing its summaries up to date while a transfer is still being written.

On PostgreSQL a transfer is numbered when it is written, not when it commits, so the number
of the newest transfer can belong to one nobody else can see yet. If the summaries recorded
that number as done, the transfer would never be counted. These tests hold a transfer open
in a second connection while a report runs.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.ledger.models import Transfer
from timebank.ledger.rules import OLDEST_PAST_DAYS
from timebank.membership.services import account_of
from timebank.reports import summaries
from timebank.reports.build import build_report
from timebank.reports.models import DayTotal

pytestmark = pytest.mark.postgres_only

DAY = dt.date(2026, 3, 4)


def _open_transfer(app, bank, giver, receiver) -> tuple[sa.Connection, sa.Transaction]:
    """Write one exchange in a connection of its own and leave its transaction open."""
    from timebank.extensions import db

    conn = db.engine.connect()
    transaction = conn.begin()
    conn.execute(
        sa.insert(Transfer.__table__).values(
            id=uuid.uuid4(),
            bank_id=bank.id,
            credit_account_id=giver,
            debit_account_id=receiver,
            amount=60,
            code="exchange",
            phase="posted",
            description="",
            happened_on=DAY,
            recorded_at=dt.datetime(2026, 3, 4, 12, tzinfo=dt.UTC),
            request_digest="0" * 64,
        )
    )
    return conn, transaction


def _day_trades(session, bank_id: int) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(DayTotal.trades), 0)).where(
        DayTotal.bank_id == bank_id, DayTotal.day == DAY
    )
    return int(session.scalar(query))


def _bank_with_summaries(session):
    bank = TimeBankFactory(exchange_past_days=OLDEST_PAST_DAYS)
    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
    session.commit()
    summaries.refresh_summaries(session, bank.id)
    return (
        bank,
        account_of(session, bank.id, giver.id).id,
        account_of(session, bank.id, receiver.id).id,
    )


def test_a_transfer_still_being_written_is_waited_for_not_skipped(app, session):
    bank, giver, receiver = _bank_with_summaries(session)
    conn, transaction = _open_transfer(app, bank, giver, receiver)
    committer = threading.Timer(0.5, transaction.commit)
    started = time.perf_counter()
    committer.start()
    try:
        found = summaries.bring_up_to_date(session, bank.id)
    finally:
        committer.join()
        conn.close()
    assert found is not None
    assert time.perf_counter() - started >= 0.4
    assert _day_trades(session, bank.id) == 1
    assert _exchanges(build_report(session, bank.id, DAY, DAY)) == 1


def test_a_writer_that_takes_too_long_leaves_the_summaries_for_next_time(app, session, monkeypatch):
    bank, giver, receiver = _bank_with_summaries(session)
    monkeypatch.setattr(summaries, "LOCK_WAIT", "200ms")
    conn, transaction = _open_transfer(app, bank, giver, receiver)
    try:
        assert summaries.bring_up_to_date(session, bank.id) is None
        # The report does not wait either: it reads the log, where nothing is committed yet.
        assert _exchanges(build_report(session, bank.id, DAY, DAY)) == 0
        transaction.commit()
    finally:
        conn.close()
    assert _exchanges(build_report(session, bank.id, DAY, DAY)) == 1
    assert _day_trades(session, bank.id) == 1


def _exchanges(report) -> int:
    return next(f.value for s in report.sections for f in s.figures if f.key == "exchanges")
