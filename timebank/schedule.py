"""`flask schedule run`: run the periodic commands at their intervals, in one process.

Each job is an existing `flask` command, run in this process exactly as cron would run it,
so a deployment can use this scheduler or cron with the same commands (docs/deploy.md).
Several schedulers (one on each app server) share the jobs: on PostgreSQL each job runs in
the one scheduler that holds its advisory lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

log = logging.getLogger("timebank.schedule")

schedule_cli = AppGroup("schedule", help="Run the periodic commands (expiry, referrals, reports).")


@dataclass(frozen=True)
class Job:
    """A `flask` command (its words, e.g. ("ledger", "expire")) and how often it runs."""

    command: tuple[str, ...]
    every_seconds: int

    @property
    def name(self) -> str:
        return " ".join(self.command)


JOBS = (
    Job(("ledger", "expire"), 15 * 60),
    Job(("referrals", "follow-up"), 5 * 60),
    Job(("referrals", "purge"), 24 * 60 * 60),
    Job(("broker", "scan", "--all"), 60 * 60),
    Job(("broker", "link-exchanges", "--all"), 15 * 60),
    Job(("reports", "update", "--all"), 15 * 60),
    Job(("sessions", "purge"), 24 * 60 * 60),
    Job(("outcomes", "ask"), 60 * 60),
)


def _group(name: str) -> click.Group | None:
    found = current_app.cli.get_command(click.Context(current_app.cli), name)
    return found if isinstance(found, click.Group) else None


def available_jobs() -> list[Job]:
    """Return the jobs whose command this installation has."""
    found = []
    for job in JOBS:
        group = _group(job.command[0])
        if group is not None and group.get_command(click.Context(group), job.command[1]):
            found.append(job)
    return found


def run_job(job: Job) -> bool:
    """Run one job's command in this process; return False (and log) if it failed."""
    group = _group(job.command[0])
    assert group is not None
    try:
        group.main(
            list(job.command[1:]), prog_name=f"flask {job.command[0]}", standalone_mode=False
        )
    except SystemExit as stop:
        if stop.code not in (0, None):
            log.error("%s stopped with exit code %s", job.name, stop.code)
            return False
    except Exception:
        log.exception("%s failed", job.name)
        return False
    finally:
        from timebank.extensions import db

        db.session.remove()
    return True


def due_jobs(jobs: list[Job], last_run: dict[str, float], now: float) -> list[Job]:
    """Return the jobs whose interval has passed since they last ran (all, at first)."""
    return [j for j in jobs if now - last_run.get(j.name, float("-inf")) >= j.every_seconds]


# The first key of the two-key advisory locks that give each job to one scheduler (the
# report summaries' refreshes use 7007; the ledger's claims use the one-key space).
JOB_LOCK = 7008
_TAKE = sa.text("SELECT pg_try_advisory_lock(:kind, :key)")
_GIVE_BACK = sa.text("SELECT pg_advisory_unlock(:kind, :key)")
_GIVE_BACK_ALL = sa.text("SELECT pg_advisory_unlock_all()")


def lock_key(job: Job) -> int:
    """Return the second key of `job`'s advisory lock: 32 bits of a digest of its name."""
    digest = hashlib.blake2b(job.name.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class JobLocks:
    """Which jobs this scheduler runs: on PostgreSQL, those whose advisory lock it holds.

    The first scheduler to take a job's lock keeps it for as long as it runs, so the job
    runs once a turn however many schedulers there are; the others skip it. The locks live
    on one connection of their own: when the scheduler stops or loses that connection, they
    go with it, and the next scheduler whose turn comes takes the job over. On SQLite (one
    machine) there is nothing to share and every job is this scheduler's.
    """

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self._conn: sa.Connection | None = None
        self._held: set[int] = set()

    def take(self, job: Job) -> bool:
        """Say whether this scheduler runs `job` now: it holds, or has just taken, its lock."""
        if self._engine.dialect.name != "postgresql":
            return True
        for _attempt in range(2):
            try:
                taken = self._try(lock_key(job))
            except sa.exc.DBAPIError:
                # A lost connection took its locks with it: start again on a new one.
                log.warning("Lost the connection holding the job locks; taking them again.")
                self.release()
                continue
            if not taken:
                log.info("%s skipped this turn: another scheduler runs it", job.name)
            return taken
        log.error("%s skipped this turn: could not reach the database to take its lock", job.name)
        return False

    def _try(self, key: int) -> bool:
        if self._conn is None:
            conn = self._engine.connect()
            # Each statement commits by itself: the connection never sits in a transaction.
            self._conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        params = {"kind": JOB_LOCK, "key": key}
        if not self._conn.execute(_TAKE, params).scalar_one():
            return False
        if key in self._held:
            # Session locks stack: give back the one just taken and keep the first.
            self._conn.execute(_GIVE_BACK, params)
        self._held.add(key)
        return True

    def release(self) -> None:
        """Give up every job lock, by closing the connection that holds them."""
        if self._conn is not None:
            # Given back at once (a closed connection's server process ends a moment later),
            # then closed for good rather than returned to the pool with any lock still held.
            with contextlib.suppress(sa.exc.SQLAlchemyError):
                if not self._conn.invalidated:
                    self._conn.execute(_GIVE_BACK_ALL)
            self._conn.invalidate()
            self._conn.close()
        self._conn, self._held = None, set()


@dataclass
class Scheduler:
    """The jobs one scheduler runs, when each last had its turn here, and its locks."""

    jobs: list[Job]
    locks: JobLocks
    last_run: dict[str, float] = field(default_factory=dict)

    def run_due(self, clock: Callable[[], float], stopper: Stopper | None = None) -> int:
        """Run the jobs whose turn has come and whose lock is ours; return how many failed."""
        failures = 0
        for job in due_jobs(self.jobs, self.last_run, clock()):
            self.last_run[job.name] = clock()
            if not self.locks.take(job):
                continue
            failures += 0 if run_job(job) else 1
            if stopper is not None and stopper.stopping:
                break
        return failures


class Stopper:
    """Says when the scheduler should stop: on SIGTERM or Ctrl-C, once `on_signals` is called."""

    def __init__(self) -> None:
        self.stopping = False

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def on_signals(self) -> Stopper:
        """Stop on SIGTERM and SIGINT (only the main thread may ask for signals)."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        return self


def run_schedule(
    once: bool, clock: Callable[[], float] = time.monotonic, stopper: Stopper | None = None
) -> int:
    """Run due jobs until stopped (or one round with `once`); return how many failed."""
    from timebank.extensions import db

    stopper = stopper or Stopper()
    scheduler, failures = Scheduler(available_jobs(), JobLocks(db.engine)), 0
    log.info(
        "Scheduler running: %s",
        ", ".join(f"{j.name} every {j.every_seconds}s" for j in scheduler.jobs),
    )
    try:
        while not stopper.stopping:
            failures += scheduler.run_due(clock, stopper)
            if once:
                break
            time.sleep(1)
    finally:
        scheduler.locks.release()
    return failures


@schedule_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once, then stop.")
def run_command(once: bool) -> None:
    """Run the periodic commands at their intervals until stopped (Ctrl-C or SIGTERM)."""
    raise SystemExit(1 if run_schedule(once, stopper=Stopper().on_signals()) else 0)


@schedule_cli.command("list")
def list_command() -> None:
    """Show each periodic command and how often it runs."""
    for job in available_jobs():
        click.echo(f"flask {job.name:<22} every {job.every_seconds // 60} minutes")
