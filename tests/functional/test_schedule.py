"""The scheduler runs the periodic commands at their intervals."""

from __future__ import annotations

import click

from timebank.schedule import JOBS, Job, available_jobs, due_jobs, run_job


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
