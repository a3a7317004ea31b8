"""`flask broker scan` keeps the outreach flags up to date; the scheduler runs it hourly."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.broker.models import OutreachFlag
from timebank.schedule import available_jobs, run_job


def run(app, *args):
    return app.test_cli_runner().invoke(args=["broker", "scan", *args])


def noon(day: dt.date):
    stamp = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    return lambda: stamp


def open_flags(session) -> list[tuple[str, str]]:
    session.rollback()
    return list(
        session.execute(
            sa.select(OutreachFlag.rule, OutreachFlag.reason)
            .where(OutreachFlag.status == "open")
            .order_by(OutreachFlag.id)
        ).tuples()
    )


def test_scan_raises_flags_for_one_bank_and_prints_the_counts(app, session):
    green = TimeBankFactory(slug="green")
    MemberFactory(bank=green, display_name="Fay First", now=noon(dt.date(2025, 5, 1)))

    first = run(app, "green", "--today", "2025-06-30")
    again = run(app, "green", "--today", "2025-06-30")

    assert first.exit_code == 0, first.output
    assert first.output == "green: raised 1, refreshed 0, cleared 0, reopened 0.\n"
    assert again.output == "green: raised 0, refreshed 0, cleared 0, reopened 0.\n"
    assert open_flags(session) == [
        ("no_first_exchange", "Joined 60 days ago and has not made a first exchange yet.")
    ]


def test_scan_all_covers_every_bank(app, session):
    for slug in ("green", "blue"):
        bank = TimeBankFactory(slug=slug)
        MemberFactory(bank=bank, now=noon(dt.date(2025, 5, 1)))

    result = run(app, "--all", "--today", "2025-06-30")

    assert result.exit_code == 0, result.output
    assert sorted(result.output.splitlines()) == [
        "blue: raised 1, refreshed 0, cleared 0, reopened 0.",
        "green: raised 1, refreshed 0, cleared 0, reopened 0.",
    ]


def test_scan_needs_one_bank_or_all_and_names_an_unknown_one(app):
    assert run(app).exit_code == 2
    assert run(app, "green", "--all").exit_code == 2
    unknown = run(app, "nope")
    assert unknown.exit_code == 1 and "There is no time bank called nope." in unknown.output


def test_the_scheduler_runs_the_scan_for_every_bank_hourly(app, session):
    (job,) = [job for job in available_jobs() if job.command[:2] == ("broker", "scan")]
    bank = TimeBankFactory()
    MemberFactory(bank=bank, now=noon(dt.date(2020, 1, 1)))

    assert job.command == ("broker", "scan", "--all") and job.every_seconds == 3600
    assert run_job(job) is True
    assert [rule for rule, _ in open_flags(session)] == ["no_first_exchange"]
