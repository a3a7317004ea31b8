"""`flask reports refresh`: rebuild the summaries reports read, one bank or every bank."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.ledger.rules import OLDEST_PAST_DAYS
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.models import Member
from timebank.reports.models import AccountMonth
from timebank.reports.summaries import freshness
from timebank.schedule import available_jobs


def run(app, *args):
    return app.test_cli_runner().invoke(args=["reports", "refresh", *args])


def bank_with_an_exchange(session, slug: str, on: dt.date):
    """Return a bank whose two members exchanged an hour on `on`."""
    bank = TimeBankFactory(slug=slug, exchange_past_days=OLDEST_PAST_DAYS)
    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, receiver.id,
                              happened_on=on)  # fmt: skip
    record_exchange(session, request)
    return bank


def kept_months(session, bank_id: int) -> int:
    query = sa.select(sa.func.count()).where(AccountMonth.bank_id == bank_id)
    return int(session.scalar(query) or 0)


def test_refresh_rebuilds_one_banks_summaries_and_says_how_long_it_took(app, session):
    green = bank_with_an_exchange(session, "green", dt.date(2026, 3, 4))
    blue = bank_with_an_exchange(session, "blue", dt.date(2026, 3, 5))

    result = run(app, "green")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "green: rebuilding report summaries (1 of 1) ..."
    assert re.fullmatch(r"green: done in \d+\.\d s \(latest exchange: 2026-03-04\)\.", lines[1])
    assert re.fullmatch(r"1 time bank in \d+\.\d s\.", lines[2])
    # The giver's month and the receiver's month; the other bank is left as it was.
    assert kept_months(session, green.id) == 2
    assert kept_months(session, blue.id) == 0
    assert freshness(session, blue.id) is None


def test_refresh_all_rebuilds_every_bank(app, session):
    green = bank_with_an_exchange(session, "green", dt.date(2026, 3, 4))
    blue = bank_with_an_exchange(session, "blue", dt.date(2026, 3, 5))

    result = run(app, "--all")

    assert result.exit_code == 0, result.output
    assert "green: rebuilding report summaries (1 of 2) ..." in result.output
    assert "blue: rebuilding report summaries (2 of 2) ..." in result.output
    assert result.output.splitlines()[-1].startswith("2 time banks in ")
    assert kept_months(session, green.id) == kept_months(session, blue.id) == 2
    assert freshness(session, blue.id).latest_day == dt.date(2026, 3, 5)


def test_refresh_says_so_for_an_unknown_bank(app):
    result = run(app, "nope")
    assert result.exit_code == 1
    assert "There is no time bank called nope." in result.output


def test_refresh_needs_a_bank_or_all(app):
    for args in ((), ("green", "--all")):
        result = run(app, *args)
        assert result.exit_code == 2
        assert "Give one time bank's SLUG, or --all." in result.output


def test_the_schedule_brings_every_banks_summaries_up_to_date_every_15_minutes(app):
    jobs = {job.name: job.every_seconds for job in available_jobs()}
    assert jobs["reports update --all"] == 15 * 60
    listed = app.test_cli_runner().invoke(args=["schedule", "list"])
    assert "flask reports update --all" in listed.output


def test_update_builds_summaries_then_adds_only_new_exchanges(app, session):
    green = bank_with_an_exchange(session, "green", dt.date(2026, 3, 4))

    first = app.test_cli_runner().invoke(args=["reports", "update", "green"])
    assert first.exit_code == 0, first.output
    assert re.match(r"green: up to date in \d+\.\d\d s\.", first.output)
    assert kept_months(session, green.id) == 2
    assert freshness(session, green.id).latest_day == dt.date(2026, 3, 4)

    newcomer = MemberFactory(bank=green)
    giver = session.scalar(
        sa.select(Member.id).where(Member.bank_id == green.id, Member.id != newcomer.id)
    )
    later = ExchangeRequest(uuid.uuid4(), green.id, giver, newcomer.id, 30, newcomer.id,
                            happened_on=dt.date(2026, 4, 9))  # fmt: skip
    record_exchange(session, later)
    blue = bank_with_an_exchange(session, "blue", dt.date(2026, 3, 5))
    everyone = app.test_cli_runner().invoke(args=["reports", "update", "--all"])
    assert everyone.exit_code == 0, everyone.output
    assert everyone.output.splitlines()[-1].startswith("2 time banks in ")
    assert freshness(session, green.id).latest_day == dt.date(2026, 4, 9)
    assert kept_months(session, green.id) == 4
    assert kept_months(session, blue.id) == 2


def test_update_needs_a_bank_or_all(app):
    result = app.test_cli_runner().invoke(args=["reports", "update"])
    assert result.exit_code == 2
    assert "Give one time bank's SLUG, or --all." in result.output
