"""Brokers set a member's real join date when moving them over from paper records."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, member_joined, noon_on
from timebank.broker.joining import JoinDateError, JoinReasonError, joined_on, set_join_date
from timebank.errors import NotAllowed, NotFound
from timebank.reports.build import build_report
from timebank.tenancy.audit import actions_about
from timebank.tenancy.models import BrokerAction

TODAY = dt.date(2026, 12, 7)


def test_a_broker_sets_the_real_join_date_and_the_old_one_and_reason_are_kept(
    session, bank, broker
):
    ivy = member_joined(bank, "Ivy Paper", TODAY)
    reason = "Joined at the 2019 summer fair; on the paper register"
    set_join_date(
        session, bank.id, broker.id, ivy.id, dt.date(2019, 6, 15), reason, now=noon_on(TODAY)
    )
    session.expire_all()
    assert joined_on(session.get(type(ivy), ivy.id)) == dt.date(2019, 6, 15)
    [line] = actions_about(session, bank.id, ivy.id)
    assert (line.action, line.broker_id) == ("join_date_set", broker.id)
    assert line.detail == f"from 2026-12-07 to 2019-06-15: {reason}"


def test_a_member_moved_over_with_a_2019_join_date_is_not_new_this_quarter(session, bank):
    broker = member_joined(bank, "Bo Broker", dt.date(2020, 1, 6), role="broker")
    quarter = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    member_joined(bank, "Nina New", dt.date(2026, 11, 2))
    moved = [member_joined(bank, f"Paper {n}", dt.date(2026, 11, 20)) for n in range(2)]
    before = _new_members(build_report(session, bank.id, *quarter, "broker", direct=True))
    set_join_date(
        session,
        bank.id,
        broker.id,
        moved[0].id,
        dt.date(2019, 3, 4),
        "Paper records",
        now=noon_on(TODAY),
    )
    after = _new_members(build_report(session, bank.id, *quarter, "broker", direct=True))
    # By hand: Nina and two moved-over members joined in November: 3 new; once one of
    # those is dated 2019, 2.
    assert (before, after) == (3, 2)
    in_2019 = _new_members(
        build_report(
            session, bank.id, dt.date(2019, 1, 1), dt.date(2019, 12, 31), "broker", direct=True
        )
    )
    assert in_2019 == 1


def _new_members(report) -> int:
    members = next(section for section in report.sections if section.key == "members")
    return next(found.value for found in members.figures if found.key == "new_members")


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (dt.date(2026, 12, 8), "8 December 2026 is in the future"),
        (dt.date(1989, 12, 31), "before 1 January 1990"),
    ],
)
def test_a_join_date_in_the_future_or_before_1990_is_refused(session, bank, broker, day, words):
    ivy = member_joined(bank, "Ivy Paper", dt.date(2026, 1, 5))
    with pytest.raises(JoinDateError, match=words):
        set_join_date(session, bank.id, broker.id, ivy.id, day, "Paper records", now=noon_on(TODAY))
    session.expire_all()
    assert joined_on(session.get(type(ivy), ivy.id)) == dt.date(2026, 1, 5)
    assert session.scalar(sa.select(sa.func.count()).select_from(BrokerAction)) == 0


def test_today_is_read_in_the_banks_time_zone(session):
    bank = TimeBankFactory(timezone="Pacific/Auckland")
    boss = MemberFactory(bank=bank, role="broker")
    ivy = MemberFactory(bank=bank)
    late_evening_utc = lambda: dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC)  # noqa: E731
    # It is already 8 December in Auckland, so that day is not in the future there.
    set_join_date(
        session, bank.id, boss.id, ivy.id, dt.date(2026, 12, 8), "Paper", now=late_evening_utc
    )
    assert joined_on(ivy) == dt.date(2026, 12, 8)


def test_an_empty_reason_is_refused(session, bank, broker):
    ivy = member_joined(bank, "Ivy Paper", dt.date(2026, 1, 5))
    with pytest.raises(JoinReasonError, match="Say why"):
        set_join_date(
            session, bank.id, broker.id, ivy.id, dt.date(2019, 1, 1), "  ", now=noon_on(TODAY)
        )
    session.expire_all()
    assert joined_on(session.get(type(ivy), ivy.id)) == dt.date(2026, 1, 5)


def test_members_and_other_banks_cannot_change_a_join_date(session, bank, broker):
    ivy = member_joined(bank, "Ivy Paper", dt.date(2026, 1, 5))
    sam = MemberFactory(bank=bank)
    other = TimeBankFactory()
    their_broker = MemberFactory(bank=other, role="broker")
    with pytest.raises(NotAllowed):
        set_join_date(
            session, bank.id, sam.id, ivy.id, dt.date(2019, 1, 1), "Mine", now=noon_on(TODAY)
        )
    with pytest.raises(NotFound):
        set_join_date(
            session, other.id, their_broker.id, ivy.id, dt.date(2019, 1, 1), "x", now=noon_on(TODAY)
        )
    session.expire_all()
    assert joined_on(session.get(type(ivy), ivy.id)) == dt.date(2026, 1, 5)
