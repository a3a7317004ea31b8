"""The scheduler runs the periodic commands at their intervals."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

import click
import pytest
import sqlalchemy as sa

from timebank.extensions import db
from timebank.schedule import (
    JOB_LOCK,
    JOBS,
    Job,
    JobLocks,
    Scheduler,
    available_jobs,
    due_jobs,
    lock_key,
    run_job,
)


def test_every_job_is_due_at_first_and_then_after_its_interval():
    jobs = [Job(("ledger", "expire"), 60), Job(("referrals", "purge"), 3600)]
    assert due_jobs(jobs, {}, now=0.0) == jobs
    last = {"ledger expire": 0.0, "referrals purge": 0.0}
    assert due_jobs(jobs, last, now=59.0) == []
    assert due_jobs(jobs, last, now=60.0) == [jobs[0]]
    assert due_jobs(jobs, last, now=3600.0) == jobs


def test_only_commands_this_installation_has_are_scheduled(app):
    names = {job.name for job in available_jobs()}
    assert "ledger expire" in names
    assert names <= {job.name for job in JOBS}


def test_schedule_run_once_runs_the_expiry_command(app):
    result = app.test_cli_runner().invoke(args=["schedule", "run", "--once"])
    assert result.exit_code == 0, result.output
    assert "Confirmed 0, escalated 0" in result.output


def test_a_failing_job_is_reported_not_fatal(app):
    @app.cli.group("broken")
    def broken_group() -> None:
        """A group with a failing command."""

    @broken_group.command("fail")
    def fail() -> None:
        raise click.ClickException("this job always fails")

    assert run_job(Job(("broken", "fail"), 60)) is False
    assert run_job(Job(("ledger", "expire"), 60)) is True


# Several schedulers, one per app server: each job runs in the one that holds its lock.

COUNTING_JOBS = [Job(("counting", "tick"), 60), Job(("counting", "tock"), 60)]
WAIT_SECONDS = 30


def add_counting_jobs(app) -> Counter[str]:
    """Give the app a `counting` command group whose two jobs count how often each ran."""
    runs: Counter[str] = Counter()
    guard = threading.Lock()

    @app.cli.group("counting")
    def counting() -> None:
        """Jobs that only count their runs."""

    for word in ("tick", "tock"):

        @counting.command(word)
        @click.pass_context
        def count(context: click.Context) -> None:
            with guard:
                runs[context.info_name] += 1

    return runs


def new_scheduler() -> Scheduler:
    """Return a scheduler of the counting jobs with its own connection for locks."""
    return Scheduler(list(COUNTING_JOBS), JobLocks(db.engine))


def at(seconds: float) -> Callable[[], float]:
    return lambda: seconds


def advisory_locks_of_jobs(session) -> list[tuple[int, int]]:
    """Return (backend pid, job key) of every scheduler job lock held now."""
    rows = session.execute(
        sa.text(
            "SELECT pid, objid::bigint FROM pg_locks "
            "WHERE locktype = 'advisory' AND classid = :kind AND granted"
        ),
        {"kind": JOB_LOCK},
    )
    return sorted((pid, objid) for pid, objid in rows)


def test_each_job_has_its_own_lock_key():
    keys = {lock_key(job) for job in JOBS}
    assert len(keys) == len(JOBS)
    assert all(-(2**31) <= key < 2**31 for key in keys)


def test_on_sqlite_every_scheduler_runs_every_job():
    engine = sa.create_engine("sqlite://")
    first, second = JobLocks(engine), JobLocks(engine)
    assert first.take(COUNTING_JOBS[0]) and second.take(COUNTING_JOBS[0])


def test_a_scheduler_that_cannot_reach_postgresql_skips_the_turn_and_says_why(caplog):
    # Nothing listens on port 1: every attempt to connect is refused at once.
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/timebank")
    locks = JobLocks(engine)
    try:
        assert locks.take(COUNTING_JOBS[0]) is False
    finally:
        locks.release()
        engine.dispose()
    assert "counting tick skipped this turn: could not reach the database" in caplog.text


@pytest.mark.postgres_only
def test_two_schedulers_taking_the_same_turn_run_each_job_once(app, caplog):
    runs = add_counting_jobs(app)
    start, finish = threading.Barrier(2), threading.Barrier(2)
    failures: list[int] = []
    errors: list[BaseException] = []

    def one_scheduler() -> None:
        with app.app_context():
            scheduler = new_scheduler()
            try:
                start.wait(WAIT_SECONDS)
                failures.append(scheduler.run_due(at(0.0)))
                # Both stay up until both have had their turn, as on two servers.
                finish.wait(WAIT_SECONDS)
            except BaseException as error:
                errors.append(error)
            finally:
                scheduler.locks.release()

    caplog.set_level(logging.INFO, logger="timebank.schedule")
    threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)

    assert errors == []
    assert failures == [0, 0]
    assert runs == {"tick": 1, "tock": 1}
    skipped = [r.getMessage() for r in caplog.records if "skipped this turn" in r.getMessage()]
    assert sorted(skipped) == [
        "counting tick skipped this turn: another scheduler runs it",
        "counting tock skipped this turn: another scheduler runs it",
    ]


@pytest.mark.postgres_only
def test_a_scheduler_keeps_its_jobs_until_it_stops_then_another_takes_them(app, session):
    runs = add_counting_jobs(app)
    first, second = new_scheduler(), new_scheduler()
    try:
        first.run_due(at(0.0))
        second.run_due(at(0.0))
        first.run_due(at(60.0))
        second.run_due(at(60.0))
        assert runs == {"tick": 2, "tock": 2}
        holders = {pid for pid, _key in advisory_locks_of_jobs(session)}
        assert len(holders) == 1

        first.locks.release()
        assert advisory_locks_of_jobs(session) == []
        second.run_due(at(120.0))
        assert runs == {"tick": 3, "tock": 3}
        new_holders = {pid for pid, _key in advisory_locks_of_jobs(session)}
        assert len(new_holders) == 1 and new_holders != holders
    finally:
        first.locks.release()
        second.locks.release()


@pytest.mark.postgres_only
def test_a_scheduler_that_lost_its_connection_takes_its_locks_again(app, session):
    locks, job = JobLocks(db.engine), COUNTING_JOBS[0]
    try:
        assert locks.take(job)
        [(pid, key)] = advisory_locks_of_jobs(session)
        assert key == lock_key(job) & 0xFFFFFFFF
        session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        session.commit()

        assert locks.take(job)
        [(new_pid, new_key)] = advisory_locks_of_jobs(session)
        assert new_pid != pid
        assert new_key == key
    finally:
        locks.release()
