"""`flask broker dormant`: the outreach worklist, the longest-waiting members first."""

from __future__ import annotations

import datetime as dt
import uuid

from tests.factories import MemberFactory, TimeBankFactory
from timebank.demo.seed import seed_demo_bank
from timebank.ledger.services import ExchangeRequest, record_exchange


def run(app, *args):
    return app.test_cli_runner().invoke(args=["broker", "dormant", *args])


def noon(day: dt.date):
    stamp = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    return lambda: stamp


def test_dormant_lists_each_flag_oldest_first_with_a_count(app, session):
    bank = TimeBankFactory(slug="green")
    broker = MemberFactory(bank=bank, display_name="Bea Broker", role="broker")
    MemberFactory(bank=bank, display_name="Fay First", now=noon(dt.date(2025, 5, 1)))
    ivy = MemberFactory(bank=bank, display_name="Ivy Idle", now=noon(dt.date(2024, 1, 1)))
    hal = MemberFactory(bank=bank, display_name="Hal Helper", now=noon(dt.date(2024, 1, 1)))
    request = ExchangeRequest(
        uuid.uuid4(), bank.id, hal.id, ivy.id, 60, broker.id, happened_on=dt.date(2025, 4, 1)
    )
    record_exchange(session, request, now=noon(dt.date(2025, 4, 1)))
    result = run(app, "green", "--today", "2025-06-30")
    assert result.exit_code == 0, result.output
    # Ivy and Hal stopped on the same day, so they stay in the order they joined.
    assert result.output.splitlines() == [
        "Ivy Idle: inactive: No exchange for 90 days (since 1 April).",
        "Hal Helper: inactive: No exchange for 90 days (since 1 April).",
        "Fay First: no_first_exchange: Joined 60 days ago and has not made a first exchange yet.",
        "3 flags.",
    ]


def test_dormant_says_so_for_an_unknown_bank(app):
    result = run(app, "nope")
    assert result.exit_code == 1
    assert "There is no time bank called nope." in result.output


def test_dormant_flags_some_members_of_the_demo_bank(app, session):
    seed_demo_bank(session, today=dt.date(2025, 9, 15), slug="demo")
    result = run(app, "demo", "--today", "2025-09-15")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) > 1 and lines[-1] == f"{len(lines) - 1} flags."
