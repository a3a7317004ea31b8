"""Separate OS processes that race each other through the ledger services on one database.

Each worker builds its own app (its own engine and connections), waits at a shared barrier
so that the workers start each round together, runs its jobs, and reports what happened
through a queue. Workers are started with the "spawn" method, so everything here is a
top-level, picklable name.

With `hold_commits`, a worker that is about to commit first waits until PostgreSQL shows
every other worker of the round blocked on this worker's locks (pg_blocking_pids). So each
round is a proven collision, not a lucky one: the others are inside their transactions, on
the same rows or keys, before anyone commits. The check asks the server, so it holds however
the services send their SQL (through SQLAlchemy or straight to the driver's cursor).
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_module
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

# Nothing in a race should take long; these only stop a broken run from hanging the suite.
BARRIER_SECONDS = 30.0
OVERLAP_SECONDS = 5.0
POLL_SECONDS = 0.005
BLOCKED_BY_ME = sa.text(
    "SELECT count(*) FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid))"
)


@dataclass(frozen=True)
class Job:
    """One service call: `op` names the service, `args` are its keyword arguments."""

    op: str
    args: dict[str, Any]


@dataclass
class Outcome:
    """What one job did in one worker: its results, or the error it raised."""

    round: int
    worker: int
    op: str
    results: list[Any] = field(default_factory=list)
    error: str | None = None
    message: str = ""
    # True when this job committed only while every other worker waited on its locks.
    overlapped: bool | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class RaceFailed(AssertionError):
    """A worker crashed, hung or could not be stopped."""


def _call(job: Job) -> list[Any]:
    from timebank.extensions import db
    from timebank.ledger import resolutions, services

    session = db.session
    if job.op == "exchange":
        return [services.record_exchange(session, services.ExchangeRequest(**job.args))]
    if job.op == "group":
        return services.record_group_exchange(session, services.GroupExchangeRequest(**job.args))
    if job.op == "confirm":
        return [resolutions.confirm_pending(session, **job.args)]
    if job.op == "decline":
        return [resolutions.decline_pending(session, **job.args)]
    raise ValueError(f"unknown job {job.op!r}")


def _error_name(exc: BaseException) -> str:
    # A database error that escaped the services: name the driver's error (DeadlockDetected).
    orig = getattr(exc, "orig", None)
    return type(orig).__name__ if orig is not None else type(exc).__name__


class _CommitGate:
    """Hold a worker's commit until the other workers of the round wait on its locks."""

    def __init__(self, watcher: sa.Connection | None, others: int) -> None:
        self.watcher, self.others = watcher, others
        self.armed = False
        self.overlapped: bool | None = None

    def arm(self) -> None:
        self.armed, self.overlapped = self.watcher is not None, None

    def before_commit(self, conn: sa.Connection) -> None:
        if not self.armed or self.watcher is None:
            return
        self.armed = False
        me = conn.connection.driver_connection.info.backend_pid
        deadline = time.monotonic() + OVERLAP_SECONDS
        while True:
            blocked = self.watcher.execute(BLOCKED_BY_ME, {"me": me}).scalar_one()
            if blocked >= self.others or time.monotonic() > deadline:
                self.overlapped = blocked >= self.others
                return
            time.sleep(POLL_SECONDS)


def run_worker(
    url: str,
    me: int,
    rounds: list[list[Job]],
    barrier: Any,
    hold_commits: bool,
    results: Any,
) -> None:
    """Run this worker's jobs round by round, each round starting with the others."""
    from timebank import create_app
    from timebank.errors import TimeBankError
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": url})
    with app.app_context():
        # A second connection, outside any transaction, to watch the server's lock table.
        watcher = None
        if hold_commits:
            watcher = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        gate = _CommitGate(watcher, barrier.parties - 1)
        sa.event.listen(db.engine, "commit", gate.before_commit)
        try:
            for round_no, jobs in enumerate(rounds):
                barrier.wait(BARRIER_SECONDS)
                for job in jobs:
                    outcome = Outcome(round_no, me, job.op)
                    gate.arm()
                    try:
                        outcome.results = _call(job)
                    except TimeBankError as exc:
                        outcome.error, outcome.message = type(exc).__name__, exc.message
                    except Exception as exc:  # a raw database error is a finding, not a crash
                        outcome.error, outcome.message = _error_name(exc), str(exc)
                    outcome.overlapped = gate.overlapped
                    results.put(outcome)
        except BaseException:
            results.put(("crash", me, traceback.format_exc()))
            raise
        finally:
            if watcher is not None:
                watcher.close()
            db.session.remove()
            db.engine.dispose()


def race(
    url: str, plans: list[list[list[Job]]], *, hold_commits: bool, timeout: float = 60.0
) -> list[Outcome]:
    """Run plans[w][r] (worker w's jobs in round r) in separate processes; return outcomes.

    Raises RaceFailed if a worker crashes or the whole race takes longer than `timeout`.
    """
    ctx = mp.get_context("spawn")
    expected = sum(len(jobs) for plan in plans for jobs in plan)
    barrier = ctx.Barrier(len(plans))
    results = ctx.Queue()
    processes = [
        ctx.Process(
            target=run_worker, args=(url, me, plan, barrier, hold_commits, results), daemon=True
        )
        for me, plan in enumerate(plans)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = _collect(results, expected, time.monotonic() + timeout)
    except BaseException:
        _stop(processes, check=False)
        raise
    _stop(processes, check=True)
    return outcomes


def _collect(results: Any, expected: int, deadline: float) -> list[Outcome]:
    outcomes: list[Outcome] = []
    while len(outcomes) < expected:
        try:
            item = results.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue_module.Empty:
            raise RaceFailed(
                f"the race hung: {len(outcomes)} of {expected} results after the time limit"
            ) from None
        if isinstance(item, tuple) and item[0] == "crash":
            raise RaceFailed(f"worker {item[1]} crashed:\n{item[2]}")
        outcomes.append(item)
    return outcomes


def _stop(processes: list[Any], check: bool) -> None:
    stuck = []
    for process in processes:
        process.join(10)
        if process.is_alive():
            stuck.append(process.pid)
            process.terminate()
            process.join(5)
    if not check:
        return
    if stuck:
        raise RaceFailed(f"worker processes {stuck} did not finish and were terminated")
    crashed = [p.exitcode for p in processes if p.exitcode != 0]
    if crashed:
        raise RaceFailed(f"worker processes exited with codes {crashed}")
