"""`flask schedule run`: run the periodic commands at their intervals, in one process.

Each job is an existing `flask` command, run in this process exactly as cron would run it,
so a deployment can use this scheduler or cron with the same commands (docs/deploy.md).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import click
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


class _Stopper:
    def __init__(self) -> None:
        self.stopping = False

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True


def run_schedule(once: bool, clock: Callable[[], float] = time.monotonic) -> int:
    """Run due jobs until stopped (or one round with `once`); return how many failed."""
    stopper = _Stopper()
    signal.signal(signal.SIGTERM, stopper.stop)
    signal.signal(signal.SIGINT, stopper.stop)
    jobs, failures = available_jobs(), 0
    last_run: dict[str, float] = {}
    log.info("Scheduler running: %s", ", ".join(f"{j.name} every {j.every_seconds}s" for j in jobs))
    while not stopper.stopping:
        for job in due_jobs(jobs, last_run, clock()):
            last_run[job.name] = clock()
            failures += 0 if run_job(job) else 1
            if stopper.stopping:
                break
        if once:
            break
        time.sleep(1)
    return failures


@schedule_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once, then stop.")
def run_command(once: bool) -> None:
    """Run the periodic commands at their intervals until stopped (Ctrl-C or SIGTERM)."""
    raise SystemExit(1 if run_schedule(once) else 0)


@schedule_cli.command("list")
def list_command() -> None:
    """Show each periodic command and how often it runs."""
    for job in available_jobs():
        click.echo(f"flask {job.name:<22} every {job.every_seconds // 60} minutes")
