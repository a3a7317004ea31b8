"""Reports from the kept summaries say exactly what reports from the transfer log say.

Random ledgers (seeded, so a failure can be replayed) mix exchanges posted at once,
pending ones later confirmed for fewer minutes, pending ones never confirmed, reversals and
group exchanges, over several months and areas. For every period, whole months or not, and
after more is recorded, the report built from the summaries must equal the one worked out
from the transfers, and summaries kept up to date must equal summaries built afresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import sys
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory, member_joined
from timebank.errors import TimeBankError
from timebank.ledger.resolutions import confirm_pending, reverse_transfer
from timebank.ledger.rules import OLDEST_PAST_DAYS
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.referrals import partners
from timebank.referrals.models import Referral
from timebank.reports.build import build_report
from timebank.reports.models import DayTotal
from timebank.reports.period import Period, grid_kind
from timebank.reports.scratch import counted_trades
from timebank.reports.summaries import (
    SUMMARIES,
    bring_up_to_date,
    freshness,
    refresh_summaries,
    up_to_words,
)
from timebank.reports.tables import Report

AREAS = ("North", "South", "East", None)
SKILLS = ("Gardening", "Company", "Cooking", None)
FIRST_DAY, LAST_DAY = dt.date(2025, 9, 1), dt.date(2026, 4, 30)
WHOLE_MONTHS = (
    (dt.date(2025, 12, 1), dt.date(2026, 2, 28)),
    (dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
    (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (dt.date(2025, 9, 1), dt.date(2026, 4, 30)),
    (dt.date(2025, 11, 1), dt.date(2026, 10, 31)),
    # Three years: the months' bits go past the 32nd.
    (dt.date(2023, 6, 1), dt.date(2026, 5, 31)),
    # Ends mid-month, but after the latest exchange: the summaries still hold all of it.
    (dt.date(2026, 3, 1), dt.date(2026, 5, 12)),
    # A quarter years after the bank's last exchange (an imported history, say): the months
    # each account traded in lie beyond the 63 the totals keep.
    (dt.date(2032, 10, 1), dt.date(2032, 12, 31)),
)


def _day(rng: random.Random) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))


def _exchange(session, rng, bank, giver, receiver, by):
    request = ExchangeRequest(
        transfer_id=uuid.uuid4(),
        bank_id=bank.id,
        giver_id=giver.id,
        receiver_id=receiver.id,
        minutes=rng.choice((15, 30, 60, 90)),
        recorded_by_id=by.id,
        happened_on=_day(rng),
        skill_category=rng.choice(SKILLS),
    )
    return record_exchange(session, request).id


def _group(session, rng, bank, people, broker):
    givers = rng.sample(people, rng.choice((1, 2)))
    others = [person for person in people if person not in givers]
    receivers = rng.sample(others, 1 if len(givers) > 1 else rng.choice((2, 3)))
    request = GroupExchangeRequest(
        group_id=uuid.uuid4(),
        bank_id=bank.id,
        giver_ids=[person.id for person in givers],
        receiver_ids=[person.id for person in receivers],
        minutes=rng.choice((30, 60, 120)),
        recorded_by_id=broker.id,
        happened_on=_day(rng),
        skill_category=rng.choice(SKILLS),
    )
    record_group_exchange(session, request)


def _one_step(session, rng, bank, people, broker):
    giver, receiver = rng.sample(people, 2)
    roll = rng.random()
    if roll < 0.15:
        _group(session, rng, bank, people, broker)
    elif roll < 0.35:
        # Logged by the giver: confirmed (perhaps for fewer minutes) or left waiting.
        pending = _exchange(session, rng, bank, giver, receiver, giver)
        if rng.random() < 0.7:
            minutes = rng.choice((None, 15))
            confirm_pending(session, bank.id, pending, uuid.uuid4(), receiver.id, minutes)
    else:
        posted = _exchange(session, rng, bank, giver, receiver, receiver)
        if rng.random() < 0.1:
            reverse_transfer(session, bank.id, posted, uuid.uuid4(), broker.id, "Logged twice")


def random_ledger(session, seed: int, exchanges: int = 70):
    """Build a bank with a seeded random ledger over September 2025 to April 2026."""
    rng = random.Random(seed)
    # Members of this bank may log exchanges years back: the ledger is built as history.
    bank = TimeBankFactory(exchange_past_days=OLDEST_PAST_DAYS)
    broker = member_joined(bank, "Bea Broker", dt.date(2024, 1, 1), role="broker")
    people = [
        member_joined(bank, f"Member {n}", _day(rng) - dt.timedelta(days=120), area=AREAS[n % 4])
        for n in range(12)
    ]
    for _step in range(exchanges):
        try:
            _one_step(session, rng, bank, people, broker)
        except TimeBankError:
            session.rollback()  # a limit reached: that exchange simply did not happen
    _refer(session, bank, rng.sample(people, 3))
    return bank


def _refer(session, bank, members):
    """Record that a practice referred these members, who joined (for the mixing figures)."""
    admin = member_joined(bank, "Ada Admin", dt.date(2024, 1, 1), role="admin")
    practice = partners.add_partner(session, bank.id, admin.id, "Hill Surgery")
    for n, member in enumerate(members):
        session.add(
            Referral(
                bank_id=bank.id,
                partner_id=practice.id,
                patient_e164=f"+44770090000{n}",
                first_name="Pat",
                status="joined",
                member_id=member.id,
                created_at=member.joined_at,
                updated_at=member.joined_at,
                joined_at=member.joined_at,
            )
        )
    session.commit()


def without_time(report: Report) -> Report:
    """Return the report without when its figures were brought up to date."""
    return dataclasses.replace(report, recorded_up_to=None)


def summary_rows(session, bank_id: int) -> dict[str, set[tuple]]:
    """Return every summary row of the bank, by table, as plain tuples."""
    found = {}
    for model in SUMMARIES:
        columns = [c for c in model.__table__.columns if c.name != "id"]
        query = sa.select(*columns).where(model.__table__.c.bank_id == bank_id)
        found[model.__tablename__] = set(session.execute(query).tuples())
    return found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_whole_month_reports_from_summaries_equal_reports_from_the_ledger(session, seed):
    bank = random_ledger(session, seed)

    for start, end in WHOLE_MONTHS:
        # The funder view covers calendar months, quarters and years only.
        on_grid = grid_kind(Period(start, end)) is not None
        for audience in ("broker", "funder") if on_grid else ("broker",):
            summarised = build_report(session, bank.id, start, end, audience)
            direct = build_report(session, bank.id, start, end, audience, direct=True)
            assert without_time(summarised) == without_time(direct), (start, end, audience)
    assert session.scalar(sa.select(sa.func.count()).select_from(DayTotal)) > 0


# The only reads of the log a report from summaries makes: group exchanges, referred
# members' trades on the days of a month the period cuts into, and their trades with other
# referred members or staff: each found through its own index, few next to all trades.
INDEXED_READS = ("group_sessions", "_from_log", "_trades_between")


@pytest.mark.parametrize(
    "period",
    [
        (dt.date(2025, 10, 1), dt.date(2026, 3, 31)),
        # Cut inside months at both ends, in months with exchanges after the end.
        (dt.date(2025, 10, 14), dt.date(2026, 3, 9)),
    ],
)
def test_a_report_from_summaries_reads_the_transfer_log_only_through_small_indexes(
    session, app, monkeypatch, period
):
    bank = random_ledger(session, seed=4)
    direct = build_report(session, bank.id, *period, direct=True)
    refresh_summaries(session, bank.id)
    allowed = counted_trades

    def forbidden(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_name
        if caller in INDEXED_READS:
            return allowed(*args, **kwargs)
        raise AssertionError(f"read the transfer log in {caller}")

    readers = [
        module
        for name, module in list(sys.modules.items())
        if name.startswith("timebank.reports.") and hasattr(module, "counted_trades")
    ]
    assert len(readers) >= 3
    for module in readers:
        monkeypatch.setattr(module, "counted_trades", forbidden)
    summarised = build_report(session, bank.id, *period)
    assert without_time(summarised) == without_time(direct)


def test_an_exchange_recorded_after_the_summaries_shows_at_once_in_every_period(session):
    bank = random_ledger(session, seed=5)
    refresh_summaries(session, bank.id)
    giver, receiver = bank_members(session, bank.id)[:2]
    january = (dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    before = figure(build_report(session, bank.id, *january), "exchanges")
    late = ExchangeRequest(
        uuid.uuid4(), bank.id, giver, receiver, 45, receiver, happened_on=dt.date(2026, 1, 20)
    )
    record_exchange(session, late)

    whole = build_report(session, bank.id, *january)
    assert figure(whole, "exchanges") == before + 1
    assert without_time(whole) == without_time(
        build_report(session, bank.id, *january, direct=True)
    )
    # A period inside January never shows more than January.
    inside = build_report(session, bank.id, dt.date(2026, 1, 10), dt.date(2026, 1, 20))
    assert figure(inside, "exchanges") <= figure(whole, "exchanges")
    start, end = dt.date(2026, 1, 10), dt.date(2026, 2, 20)
    report = build_report(session, bank.id, start, end)
    assert without_time(report) == without_time(
        build_report(session, bank.id, start, end, direct=True)
    )


def test_the_first_week_of_a_month_counts_at_least_what_its_last_six_days_count(session):
    bank = random_ledger(session, seed=6, exchanges=20)
    build_report(session, bank.id, dt.date(2026, 4, 1), dt.date(2026, 4, 7))
    giver, receiver = bank_members(session, bank.id)[:2]
    for day in (dt.date(2026, 4, 2), dt.date(2026, 4, 3)):
        record_exchange(
            session,
            ExchangeRequest(uuid.uuid4(), bank.id, giver, receiver, 60, receiver,
                            happened_on=day),
        )  # fmt: skip
    week = figure(build_report(session, bank.id, dt.date(2026, 4, 1), dt.date(2026, 4, 7)),
                  "exchanges")  # fmt: skip
    six_days = figure(
        build_report(session, bank.id, dt.date(2026, 4, 2), dt.date(2026, 4, 7)), "exchanges"
    )
    assert six_days >= 2
    assert week >= six_days


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_summaries_kept_up_to_date_equal_summaries_built_afresh(session, seed):
    """Exchanges, confirmations, reversals and group exchanges after the first build."""
    bank = random_ledger(session, seed, exchanges=40)
    build_report(session, bank.id, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    rng = random.Random(seed)
    people = _people(session, bank.id)
    broker = _broker(session, bank.id)
    for _round in range(3):
        for _step in range(12):
            try:
                _one_step(session, rng, bank, people, broker)
            except TimeBankError:
                session.rollback()
        _reverse_an_old_one(session, rng, bank, broker)
        found = bring_up_to_date(session, bank.id)
        assert found is not None
        kept = summary_rows(session, bank.id)
        refresh_summaries(session, bank.id)
        assert kept == summary_rows(session, bank.id)
    start, end = dt.date(2025, 10, 14), dt.date(2026, 3, 9)
    assert without_time(build_report(session, bank.id, start, end)) == without_time(
        build_report(session, bank.id, start, end, direct=True)
    )


def test_bringing_up_to_date_redoes_only_what_new_transfers_touch(session):
    bank = random_ledger(session, seed=14, exchanges=40)
    refresh_summaries(session, bank.id)
    giver, receiver = bank_members(session, bank.id)[:2]
    others = _months_of_others(session, bank.id, {giver, receiver})
    record_exchange(
        session,
        ExchangeRequest(uuid.uuid4(), bank.id, giver, receiver, 30, receiver,
                        happened_on=dt.date(2026, 2, 11)),
    )  # fmt: skip
    first = bring_up_to_date(session, bank.id)
    assert first is not None and first.latest_day is not None
    assert _months_of_others(session, bank.id, {giver, receiver}) == others
    # Nothing new: nothing to do.
    rows = summary_rows(session, bank.id)
    bring_up_to_date(session, bank.id)
    assert summary_rows(session, bank.id) == rows


def _months_of_others(session, bank_id: int, accounts_of: set[int]) -> set[tuple]:
    from timebank.ledger.models import Account
    from timebank.reports.models import AccountMonth

    mine = sa.select(Account.id).where(Account.member_id.in_(accounts_of))
    query = sa.select(AccountMonth.account_id, AccountMonth.month, AccountMonth.gave).where(
        AccountMonth.bank_id == bank_id, AccountMonth.account_id.not_in(mine)
    )
    return set(session.execute(query).tuples())


def _people(session, bank_id: int):
    from timebank.members.models import Member

    query = sa.select(Member).where(Member.bank_id == bank_id, Member.role == "member")
    return list(session.scalars(query.order_by(Member.id)))


def _broker(session, bank_id: int):
    from timebank.members.models import Member

    query = sa.select(Member).where(Member.bank_id == bank_id, Member.role == "broker")
    return session.scalars(query).first()


def _reverse_an_old_one(session, rng, bank, broker):
    """Reverse one counted exchange made before (perhaps months back)."""
    from timebank.ledger.models import Transfer

    found = list(
        session.scalars(
            counted_trades(bank.id, None, dt.date.max)
            .add_columns(Transfer.__table__.c.id)
            .where(Transfer.__table__.c.group_id.is_(None))
        )
    )
    if found:
        reverse_transfer(session, bank.id, rng.choice(found), uuid.uuid4(), broker.id, "Mistake")


MID_MONTH_PERIODS = (
    (dt.date(2025, 11, 3), dt.date(2026, 11, 2)),
    (dt.date(2026, 1, 10), dt.date(2026, 1, 20)),
    (dt.date(2026, 1, 10), dt.date(2026, 1, 31)),
    (dt.date(2026, 1, 1), dt.date(2026, 1, 20)),
    (dt.date(2025, 12, 15), dt.date(2026, 3, 14)),
    (dt.date(2026, 2, 2), dt.date(2026, 4, 29)),
    (dt.date(2026, 3, 31), dt.date(2026, 4, 1)),
    # Starting inside a month and ending after the latest exchange (partners so far).
    (dt.date(2026, 2, 17), dt.date(2026, 5, 16)),
    (dt.date(2025, 11, 9), dt.date(2026, 6, 8)),
)


@pytest.mark.parametrize("seed", [21, 22])
def test_periods_that_cut_into_months_from_summaries_equal_the_ledger(session, seed):
    bank = random_ledger(session, seed)
    rng = random.Random(seed)
    periods = list(MID_MONTH_PERIODS)
    for _n in range(6):
        start = _day(rng)
        periods.append((start, start + dt.timedelta(days=rng.randrange(1, 200))))
    for start, end in periods:
        summarised = build_report(session, bank.id, start, end)
        direct = build_report(session, bank.id, start, end, direct=True)
        assert without_time(summarised) == without_time(direct), (start, end)


def bank_members(session, bank_id: int) -> list[int]:
    from timebank.members.models import Member

    query = sa.select(Member.id).where(Member.bank_id == bank_id, Member.role == "member")
    return list(session.scalars(query.order_by(Member.id)))


def figure(report: Report, key: str):
    return next(f.value for s in report.sections for f in s.figures if f.key == key)


def test_refreshing_twice_keeps_the_same_rows(session):
    bank = random_ledger(session, seed=7)
    refresh_summaries(session, bank.id)
    first = summary_rows(session, bank.id)
    refresh_summaries(session, bank.id)
    assert summary_rows(session, bank.id) == first
    assert all(first.values())


def test_refreshing_one_bank_leaves_another_banks_rows_alone(session):
    one = random_ledger(session, seed=8, exchanges=30)
    other = random_ledger(session, seed=9, exchanges=30)
    refresh_summaries(session, other.id)
    before = summary_rows(session, other.id)
    kept_at = freshness(session, other.id)

    refresh_summaries(session, one.id)
    assert summary_rows(session, other.id) == before
    assert freshness(session, other.id) == kept_at
    assert all(summary_rows(session, one.id).values())


def test_a_bank_without_exchanges_gets_empty_summaries(session, bank):
    found = refresh_summaries(session, bank.id)
    assert found.latest_day is None
    assert summary_rows(session, bank.id) == {
        "summary_account_months": set(),
        "summary_account_pairs": set(),
        "summary_accounts": set(),
        "summary_day_totals": set(),
    }


def test_a_report_says_when_its_figures_were_brought_up_to_date(session, bank):
    found = refresh_summaries(session, bank.id)
    report = build_report(session, bank.id, dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    assert report.recorded_up_to is not None
    assert report.recorded_up_to.tzinfo is not None
    # Brought up to date just before the report, in London time.
    assert report.recorded_up_to >= found.refreshed_at
    assert report.recorded_up_to.utcoffset() in (dt.timedelta(0), dt.timedelta(hours=1))


SUMMER = dt.datetime(2026, 7, 14, 13, 5, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "words"),
    [
        (SUMMER + dt.timedelta(hours=2), "up to 14:05 today."),
        (SUMMER + dt.timedelta(days=1), "up to 14:05 yesterday."),
        (SUMMER + dt.timedelta(days=3), "up to 14:05 on 14 July 2026."),
    ],
)
def test_the_figures_age_is_said_in_the_banks_own_time(now, words):
    from zoneinfo import ZoneInfo

    stamp = SUMMER.astimezone(ZoneInfo("Europe/London"))
    assert up_to_words(stamp, now) == f"Figures include everything recorded {words}"
