"""Figures that mean what they say, on a small hand-built ledger worked out by hand.

The period is March 2026 (the month before it, February, is the previous period). Every
test runs twice: from the kept summaries and straight from the transfer log.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import member_joined, noon_on, record_help
from timebank.ledger.services import GroupExchangeRequest, record_group_exchange
from timebank.membership.services import set_member_status
from timebank.referrals.models import Referral
from timebank.reports.build import build_report
from timebank.reports.figures import CategoryFigures, bank_figures
from timebank.reports.tables import SUPPRESSED, Report

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
LONG_AGO = dt.date(2024, 1, 1)


def figure(report: Report, key: str):
    found = [f for s in report.sections for f in s.figures if f.key == key]
    assert len(found) == 1, key
    return found[0].value


def rows(report: Report, key: str):
    table = report.table(key)
    assert table is not None, key
    return list(table.rows)


def group(session, bank, givers, receivers, minutes, on, by):
    """Record a group exchange logged by a broker (posted at once)."""
    record_group_exchange(
        session,
        GroupExchangeRequest(
            group_id=uuid.uuid4(),
            bank_id=bank.id,
            giver_ids=[m.id for m in givers],
            receiver_ids=[m.id for m in receivers],
            minutes=minutes,
            recorded_by_id=by.id,
            happened_on=on,
            skill_category="Company",
        ),
        now=noon_on(on),
    )


def refer(session, bank, practice, member, on):
    """Add a practice's referral of `member`, who joined."""
    stamp = noon_on(on)()
    session.add(
        Referral(
            bank_id=bank.id,
            partner_id=practice.id,
            patient_e164=f"+4477009{uuid.uuid4().int % 100000:05d}",
            first_name="Pat",
            status="joined",
            member_id=member.id,
            created_at=stamp,
            updated_at=stamp,
            joined_at=stamp,
        )
    )
    session.commit()


@pytest.fixture
def lunch(session, bank):
    """One 2-hour lunch club for three, in March, logged by a broker."""
    dee = member_joined(bank, "Dee Broker", LONG_AGO, role="broker")
    lou = member_joined(bank, "Lou Cook", LONG_AGO)
    guests = [member_joined(bank, f"Guest {n}", LONG_AGO) for n in range(3)]
    group(session, bank, [lou], guests, 120, dt.date(2026, 3, 10), dee)
    return bank


@pytest.mark.parametrize("direct", [False, True])
def test_a_lunch_club_for_three_counts_its_two_hours_once(session, lunch, direct):
    report = build_report(session, lunch.id, *MARCH, "broker", direct=direct)

    assert figure(report, "hours_exchanged") == 120
    # 2 hours at GBP 13.90: GBP 27.80, not 6 hours and GBP 83.40.
    assert figure(report, "estimated_value") == 2780
    # The ledger credits Lou 6 hours: shown apart, under its own name.
    assert figure(report, "hours_credited") == 360
    assert rows(report, "exchanges_by_month") == [(dt.date(2026, 3, 1), 1, 120)]
    assert rows(report, "exchanges_by_category") == [("Company", 1, 120)]


@pytest.fixture
def ledger(session, bank, practice):
    """Build February and March by hand (see each line for what it adds to the figures)."""
    dee = member_joined(bank, "Dee Broker", dt.date(2026, 3, 2), role="broker")
    lou, ann, bob, cy = (
        member_joined(bank, name, LONG_AGO) for name in ("Lou", "Ann", "Bob", "Cy")
    )
    otto = member_joined(bank, "Otto", LONG_AGO)
    rita = member_joined(bank, "Rita Referred", dt.date(2026, 2, 1))
    ray = member_joined(bank, "Ray Referred", dt.date(2026, 1, 5))
    nia = member_joined(bank, "Nia New", dt.date(2026, 3, 5))  # never trades
    member_joined(bank, "Ivy Later", dt.date(2026, 4, 2))  # joins after March
    member_joined(bank, "Hal Waiting", dt.date(2026, 3, 6), status="applicant")
    refer(session, bank, practice, rita, dt.date(2026, 1, 20))
    refer(session, bank, practice, ray, dt.date(2026, 1, 2))
    # February, the previous period: Ann, Bob, Cy, Lou and Otto are active.
    record_help(session, ann, bob, 60, dt.date(2026, 2, 10))
    record_help(session, cy, lou, 60, dt.date(2026, 2, 11))
    record_help(session, otto, cy, 60, dt.date(2026, 2, 12))
    set_member_status(session, bank.id, otto.id, "left", now=noon_on(dt.date(2026, 2, 15)))
    # March. 1. Lou's lunch club for Ann, Bob and Rita: 120 minutes of help, 360 credited.
    group(session, bank, [lou], [ann, bob, rita], 120, dt.date(2026, 3, 10), dee)
    # 2. Rita helps Ann for an hour.
    record_help(session, rita, ann, 60, dt.date(2026, 3, 12))
    # 3. Ann and Bob both help Cy for half an hour: 60 minutes of help, 60 credited.
    group(session, bank, [ann, bob], [cy], 30, dt.date(2026, 3, 20), dee)
    # 4. Bob helps Dee, a broker, for half an hour.
    record_help(session, bob, dee, 30, dt.date(2026, 3, 25))
    # 5. Ray helps Rita for half an hour: both were referred.
    record_help(session, ray, rita, 30, dt.date(2026, 3, 28))
    return {"bank": bank, "nia": nia, "dee": dee}


@pytest.mark.parametrize("direct", [False, True])
def test_hours_of_help_count_each_givers_time_once(session, ledger, direct):
    report = build_report(session, ledger["bank"].id, *MARCH, "broker", direct=direct)

    # 120 (lunch) + 60 (Rita) + 2 x 30 (Ann and Bob) + 30 (Bob) + 30 (Ray).
    assert figure(report, "hours_exchanged") == 300
    assert figure(report, "hours_credited") == 360 + 60 + 60 + 30 + 30
    assert figure(report, "exchanges") == 5
    assert figure(report, "estimated_value") == 300 * 1390 // 60


@pytest.mark.parametrize("direct", [False, True])
def test_staff_are_not_counted_as_members(session, ledger, direct):
    report = build_report(session, ledger["bank"].id, *MARCH, "broker", direct=direct)

    # Nia joined in March; Dee, a broker, did too but is staff; Hal is still waiting.
    assert figure(report, "new_members") == 1
    # Traded from 1 January to 31 March: Lou, Ann, Bob, Cy, Rita, Ray (Otto left but
    # traded in February, so he counts; Dee is staff).
    assert figure(report, "active_members") == 7
    # Gave and received in March: Ann, Bob, Rita (Dee, who received, is staff).
    assert figure(report, "gave_and_received") == 3


@pytest.mark.parametrize("direct", [False, True])
def test_members_at_the_end_and_those_who_never_traded(session, ledger, direct):
    report = build_report(session, ledger["bank"].id, *MARCH, "broker", direct=direct)

    # Lou, Ann, Bob, Cy, Rita, Ray and Nia. Not Otto (left), Ivy (April), Hal (applicant),
    # Dee (broker), nor the practice's admin.
    assert figure(report, "members_at_end") == 7
    assert figure(report, "never_traded") == 1  # Nia


@pytest.mark.parametrize("direct", [False, True])
def test_people_helped_counts_each_receiver_once(session, ledger, direct):
    report = build_report(session, ledger["bank"].id, *MARCH, "broker", direct=direct)

    # Ann (twice), Bob, Rita (twice) and Cy; Dee is staff.
    assert figure(report, "people_helped") == 4


@pytest.mark.parametrize("direct", [False, True])
def test_group_activity_against_one_to_one(session, ledger, direct):
    report = build_report(session, ledger["bank"].id, *MARCH, "broker", direct=direct)

    assert rows(report, "group_activity") == [
        # The lunch club and Ann and Bob's half hour: Lou, Ann, Bob, Rita and Cy; 180 min.
        ("Group sessions", 2, 5, 180),
        # Rita and Ann, Bob and Dee (staff), Ray and Rita: Rita, Ann, Bob and Ray; 120 min.
        ("One-to-one", 3, 4, 120),
    ]


@pytest.mark.parametrize("direct", [False, True])
def test_mixing_is_the_share_of_referred_peoples_pairs_with_others(session, ledger, direct):
    report = build_report(session, ledger["bank"].id, *MARCH, "broker", direct=direct)

    # Rita's and Ray's pairs: Lou and Rita, Rita and Ann (mixed), Ray and Rita (both
    # referred, counted once).
    assert figure(report, "referred_pairs") == 3
    assert figure(report, "mixed_pairs") == 2
    assert figure(report, "mixing_share") == 66.7


@pytest.mark.parametrize("direct", [False, True])
def test_retention_from_the_previous_period(session, ledger, direct):
    report = build_report(session, ledger["bank"].id, *MARCH, "broker", direct=direct)

    # February: Ann, Bob, Cy, Lou and Otto; of them Ann, Bob, Cy and Lou traded in March.
    assert figure(report, "active_previous_period") == 5
    assert figure(report, "still_active") == 4


def test_retention_of_a_quarter_looks_at_the_quarter_before(session, bank):
    ann, bob = member_joined(bank, "Ann", LONG_AGO), member_joined(bank, "Bob", LONG_AGO)
    cy = member_joined(bank, "Cy", LONG_AGO)
    record_help(session, ann, bob, 60, dt.date(2025, 10, 1))  # first day of the quarter before
    record_help(session, cy, ann, 60, dt.date(2025, 9, 30))  # the day before it: not counted
    record_help(session, bob, ann, 60, dt.date(2026, 3, 31))  # last day of this quarter

    report = build_report(session, bank.id, dt.date(2026, 1, 1), dt.date(2026, 3, 31), "broker")

    assert figure(report, "active_previous_period") == 2  # Ann and Bob, not Cy
    assert figure(report, "still_active") == 2


def test_a_funder_sees_small_people_counts_hidden_and_hours_as_given(session, ledger):
    report = build_report(session, ledger["bank"].id, *MARCH, "funder")

    assert figure(report, "people_helped") is SUPPRESSED
    assert figure(report, "never_traded") is SUPPRESSED
    # Seven is still few enough to point to someone: hidden as "1 to 7".
    assert figure(report, "members_at_end") is SUPPRESSED
    assert figure(report, "hours_exchanged") == 300


def test_the_api_figures_count_the_lunch_club_as_the_report_does(session, lunch):
    found = bank_figures(session, lunch.id, *MARCH)

    assert (found.minutes_exchanged, found.minutes_credited, found.exchanges) == (120, 360, 1)
    # Lou and the three guests; Dee, the broker who logged it, is staff.
    assert found.by_category == [CategoryFigures("Company", 120, 1, 4, 360)]
    assert found.active_members == 4


def test_the_api_figures_leave_staff_out_of_new_members(session, ledger):
    found = bank_figures(session, ledger["bank"].id, *MARCH)

    assert found.new_members == 1  # Nia, not Dee
    assert found.minutes_exchanged == 300
