"""Load on the ledger's posting path: worker processes calling `record_exchange` in a loop.

Each worker builds its own app and engine (processes are spawned, so nothing is shared with
the parent), posts exchanges between random pairs of members as the receiver, and counts
what committed and what the ledger refused.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue
import random
import threading
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

# Every worker is single-threaded and holds one connection for the whole run.
WORKER_ENGINE_OPTIONS = {"pool_size": 1, "max_overflow": 0, "pool_pre_ping": False}
# Deep enough that refusals are rare; the bench counts them apart from committed transfers.
BENCH_OVERDRAFT_MINUTES = -1_000_000_000
MINUTES = tuple(range(15, 181, 15))
WARMUP_TRANSFERS = 20


@dataclass(frozen=True)
class Bench:
    """A seeded time bank to post in: its database, its id and its members' ids."""

    url: str
    bank_id: int
    member_ids: tuple[int, ...]


@dataclass
class Tally:
    """What one worker (or a whole run) did; warm-up transfers are counted apart."""

    committed: int = 0
    refused: int = 0
    warmup: int = 0
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        self.committed += other.committed
        self.refused += other.refused
        self.warmup += other.warmup
        self.seconds = max(self.seconds, other.seconds)

    @property
    def per_second(self) -> float:
        return self.committed / self.seconds if self.seconds else 0.0


@contextlib.contextmanager
def ledger_session(url: str, engine_options: dict[str, Any] | None = None) -> Iterator[so.Session]:
    """Yield the services' session on an app bound to `url`; dispose of its engine after."""
    from timebank import create_app
    from timebank.extensions import db

    overrides = {"DATABASE_URL": url, "SQLALCHEMY_ENGINE_OPTIONS": engine_options or {}}
    app = create_app("testing", overrides)
    with app.app_context():
        try:
            yield db.session
        finally:
            db.session.remove()
            db.engine.dispose()


def seed_bank(url: str, members: int) -> Bench:
    """Create a time bank with a deep overdraft and `members` active members."""
    from timebank.membership.banks import create_time_bank
    from timebank.membership.services import add_member

    with ledger_session(url) as session:
        bank = create_time_bank(
            session, "Bench Time Bank", "bench", overdraft_minutes=BENCH_OVERDRAFT_MINUTES
        )
        ids = [add_member(session, bank.id, f"Member {n}").id for n in range(members)]
        return Bench(url, bank.id, tuple(ids))


def vacuum_analyze(url: str) -> None:
    """Refresh PostgreSQL's statistics after seeding, as pgbench -i does for its own tables."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()


def post_exchanges(
    session: so.Session, bench: Bench, pool: Sequence[int], deadline: float, rng: random.Random
) -> Tally:
    """Post exchanges between random pairs of `pool` until `deadline`; count the outcomes."""
    from timebank.ledger.errors import MaxBalanceReached, OverdraftLimitReached
    from timebank.ledger.services import ExchangeRequest, record_exchange

    tally = Tally()
    while time.monotonic() < deadline:
        giver, receiver = rng.sample(pool, 2)
        request = ExchangeRequest(
            transfer_id=uuid.uuid4(),
            bank_id=bench.bank_id,
            giver_id=giver,
            receiver_id=receiver,
            minutes=rng.choice(MINUTES),
            recorded_by_id=receiver,
        )
        try:
            record_exchange(session, request)
            tally.committed += 1
        except (OverdraftLimitReached, MaxBalanceReached):
            tally.refused += 1
    return tally


def warm_up(session: so.Session, bench: Bench, pool: Sequence[int], rng: random.Random) -> int:
    """Post a few exchanges so connections and statement caches are ready; return how many."""
    from timebank.ledger.services import ExchangeRequest, record_exchange

    for _ in range(WARMUP_TRANSFERS):
        giver, receiver = rng.sample(pool, 2)
        request = ExchangeRequest(uuid.uuid4(), bench.bank_id, giver, receiver, 30, receiver)
        record_exchange(session, request)
    return WARMUP_TRANSFERS


def post_single_writer(bench: Bench, pool: Sequence[int], seconds: float, seed: int) -> Tally:
    """Post from this process alone for `seconds` (SQLite's one writer at a time)."""
    rng = random.Random(seed)
    with ledger_session(bench.url, WORKER_ENGINE_OPTIONS) as session:
        warmup = warm_up(session, bench, pool, rng)
        started = time.monotonic()
        tally = post_exchanges(session, bench, pool, started + seconds, rng)
        tally.seconds = time.monotonic() - started
    tally.warmup = warmup
    return tally


def _worker(
    bench: Bench, pool: Sequence[int], seconds: float, seed: int, start: Any, results: Any
) -> None:
    """Run in a child process: warm up, wait for the others, post until time is up."""
    try:
        rng = random.Random(seed)
        with ledger_session(bench.url, WORKER_ENGINE_OPTIONS) as session:
            warmup = warm_up(session, bench, pool, rng)
            start.wait(timeout=300)
            started = time.monotonic()
            tally = post_exchanges(session, bench, pool, started + seconds, rng)
            tally.seconds = time.monotonic() - started
        tally.warmup = warmup
        results.put(("ok", tally))
    except BaseException:
        start.abort()  # release the parent and the other workers at once
        results.put(("error", traceback.format_exc()))
        raise SystemExit(1) from None


def post_concurrently(
    bench: Bench, pool: Sequence[int], workers: int, seconds: float, seed: int
) -> Tally:
    """Post from `workers` spawned processes at once for `seconds`; return their sum."""
    ctx = mp.get_context("spawn")
    start, results = ctx.Barrier(workers + 1), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(bench, pool, seconds, seed + n, start, results))
        for n in range(workers)
    ]
    for proc in procs:
        proc.start()
    try:
        with contextlib.suppress(threading.BrokenBarrierError):  # _collect says which failed
            start.wait(timeout=300)
        return _collect(results, workers, seconds + 120)
    finally:
        for proc in procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.terminate()


def _collect(results: Any, workers: int, timeout: float) -> Tally:
    """Sum the workers' tallies; raise with the workers' tracebacks if any failed."""
    total, failures = Tally(), []
    deadline = time.monotonic() + timeout
    for _ in range(workers):
        try:
            status, payload = results.get(timeout=max(deadline - time.monotonic(), 1))
        except queue.Empty:
            failures.append("A benchmark worker did not report back in time.")
            break
        if status == "ok":
            total.add(payload)
        else:
            failures.append(payload)
    if failures:
        raise RuntimeError("Benchmark workers failed:\n" + "\n".join(failures))
    return total


def count_transfers(url: str) -> int:
    """Return how many transfers the database at `url` holds."""
    from timebank.ledger.models import Transfer

    with ledger_session(url) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Transfer)) or 0


def verify(url: str) -> Any:
    """Return `verify_ledger`'s report on the database at `url`."""
    from timebank.ledger.verify import verify_ledger

    with ledger_session(url) as session:
        return verify_ledger(session)
