"""SQLite runs as a careful single-writer ledger: WAL, FULL sync, busy timeout, IMMEDIATE."""

from __future__ import annotations

import multiprocessing

import pytest
import sqlalchemy as sa

from tests.conftest import ENGINE
from tests.factories import MemberFactory
from tests.integration.sqlite_workers import post_transfers
from timebank.ledger.verify import verify_ledger

pytestmark = pytest.mark.skipif(ENGINE != "sqlite", reason="SQLite settings only")


def test_every_connection_uses_wal_full_sync_foreign_keys_and_a_busy_timeout(session):
    pragma = {
        name: session.execute(sa.text(f"PRAGMA {name}")).scalar()
        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
    }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "foreign_keys": 1,
        "busy_timeout": 5000,
    }


def test_transactions_take_the_write_lock_at_begin(app, session):
    from timebank.extensions import db

    session.execute(sa.text("SELECT 1"))  # opens BEGIN IMMEDIATE: this session holds the lock
    other = sa.create_engine(str(db.engine.url), connect_args={"timeout": 0.2})
    try:
        with other.connect() as conn, pytest.raises(sa.exc.OperationalError, match="locked"):
            conn.execute(sa.text("BEGIN IMMEDIATE"))
    finally:
        other.dispose()
        session.rollback()


def test_concurrent_writers_from_several_processes_never_lose_a_minute(
    app, session, bank, database_url
):
    members = [MemberFactory(bank=bank).id for _ in range(5)]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [
        ctx.Process(target=post_transfers, args=(database_url, bank.id, members, 40, seed, out))
        for seed in range(4)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [failures for _, _, failures in results] == [[]] * 4
    assert sum(done + refused for done, refused, _ in results) == 160
    done = sum(done for done, _, _ in results)
    session.expire_all()
    assert session.scalar(sa.text("SELECT count(*) FROM transfers")) == done
    report = verify_ledger(session)
    assert report.ok, report.problems
