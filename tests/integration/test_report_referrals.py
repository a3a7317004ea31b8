"""Referral outcomes in the report, and a practice's own report, on hand-built referrals.

The period is January to June 2026. The referrals are written straight into the tables,
with the times each step happened, as the referral services would have left them.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import member_joined, record_help
from timebank.referrals import partners
from timebank.referrals.models import Referral, ReferralEvent
from timebank.reports.build import build_practice_report, build_report
from timebank.reports.tables import SUPPRESSED, Report

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), dt.UTC)


def refer(session, bank, partner, created, *, said=None, joined=None, member=None):
    """Add a referral made on `created`; `said` is "consented" or "declined"."""
    status = "joined" if joined else (said or "invited")
    referral = Referral(
        bank_id=bank.id,
        partner_id=partner.id if partner else None,
        patient_e164=f"+4477009{uuid.uuid4().int % 100000:05d}",
        first_name="Pat",
        status=status,
        member_id=member.id if member else None,
        created_at=at(created),
        updated_at=at(created),
        answered_at=at(created + dt.timedelta(days=1)) if said else None,
        joined_at=at(joined) if joined else None,
    )
    session.add(referral)
    session.flush()
    if said:
        event = ReferralEvent(
            bank_id=bank.id, referral_id=referral.id, status=said, at=referral.answered_at
        )
        session.add(event)
    session.commit()
    return referral


def trade(session, member, helper, on):
    """Record 60 minutes of help from `helper` to `member` on `on`, posted at once."""
    record_help(session, helper, member, on=on)


@pytest.fixture
def hill(session, bank, admin):
    """Return a second practice."""
    return partners.add_partner(session, bank.id, admin.id, "Hill Surgery")


@pytest.fixture
def referred(session, bank, practice, hill):
    """Refer people from two practices and one by themselves (see each line)."""
    helper = member_joined(bank, "Hana Helper", dt.date(2024, 1, 1))
    m1 = member_joined(bank, "Mo One", dt.date(2026, 1, 10))
    m2 = member_joined(bank, "Mia Two", dt.date(2026, 3, 1))
    m5 = member_joined(bank, "Max Five", dt.date(2026, 5, 25))
    mb = member_joined(bank, "Meg Hill", dt.date(2026, 2, 20))
    # r1: joined 10 January, first exchange 20 January (15 days after the referral), and
    # active in the 90 days up to 10 April (on 5 April).
    refer(session, bank, practice, dt.date(2026, 1, 5), said="consented",
          joined=dt.date(2026, 1, 10), member=m1)  # fmt: skip
    trade(session, m1, helper, dt.date(2026, 1, 20))
    trade(session, m1, helper, dt.date(2026, 4, 5))
    # r2: joined 1 March, traded on 2 March only (5 days): the 90 days up to 1 June start on
    # 4 March, so not active at 3 months.
    refer(session, bank, practice, dt.date(2026, 2, 25), said="consented",
          joined=dt.date(2026, 3, 1), member=m2)  # fmt: skip
    trade(session, m2, helper, dt.date(2026, 3, 2))
    # r3 said yes and has not joined; r4 said no.
    refer(session, bank, practice, dt.date(2026, 3, 10), said="consented")
    refer(session, bank, practice, dt.date(2026, 3, 12), said="declined")
    # r5: joined 25 May, first exchange 10 June (21 days); 3 months on is after the end.
    refer(session, bank, practice, dt.date(2026, 5, 20), said="consented",
          joined=dt.date(2026, 5, 25), member=m5)  # fmt: skip
    trade(session, m5, helper, dt.date(2026, 6, 10))
    # Before the period: not counted.
    refer(session, bank, practice, dt.date(2025, 12, 31), said="consented")
    # Hill Surgery: joined 20 February, never traded; old enough, not active.
    refer(session, bank, hill, dt.date(2026, 2, 14), said="consented",
          joined=dt.date(2026, 2, 20), member=mb)  # fmt: skip
    # Someone who texted JOIN themselves.
    refer(session, bank, None, dt.date(2026, 4, 1), said="consented")
    return bank


def rows(report: Report, key: str):
    table = report.table(key)
    assert table is not None, key
    return list(table.rows)


def test_referral_outcomes_by_practice_follow_each_referral_through_the_ledger(session, referred):
    report = build_report(session, referred.id, START, END, "broker")

    assert rows(report, "referrals_by_practice") == [
        # referred, said yes, joined, first exchange, active at 3 months, middle days
        ("Hill Surgery", 1, 1, 1, 0, 0, None),
        # Days to first exchange 15, 5 and 21: the middle one is 15.
        ("Ravensbourne Health Centre", 5, 4, 3, 3, 1, 15.0),
        # Nobody who joined is 3 months on, so "not yet".
        ("Referred themselves", 1, 1, 0, 0, None, None),
    ]


def test_referral_funnel_adds_up_every_partner(session, referred):
    report = build_report(session, referred.id, START, END, "broker")

    assert rows(report, "referral_funnel") == [
        ("Referred", 7),
        ("Said yes", 6),
        ("Joined", 4),
        ("First exchange", 3),
        ("Active at 3 months", 1),
    ]
    assert report.table("referral_funnel").chart == "funnel"


def test_practice_report_holds_only_that_practices_referrals_exactly(session, referred, practice):
    report = build_practice_report(session, referred.id, practice.id, START, END)

    assert report.audience == "practice"
    # The practice made these five referrals and knows each one: nothing is hidden.
    assert rows(report, "referrals_by_practice") == [
        ("Ravensbourne Health Centre", 5, 4, 3, 3, 1, 15.0),
    ]
    assert rows(report, "referral_funnel")[0] == ("Referred", 5)
    text = repr(report)
    for name in ("Hill Surgery", "Referred themselves", "Hana", "Mo One", "Mia", "Max"):
        assert name not in text
    assert [section.key for section in report.sections] == ["referrals"]


def test_practice_report_refuses_a_partner_of_another_bank(session, referred, practice):
    from tests.factories import TimeBankFactory
    from timebank.errors import NotFound

    other = TimeBankFactory()
    with pytest.raises(NotFound):
        build_practice_report(session, other.id, practice.id, START, END)


def test_funder_report_gives_the_funnel_protected_and_no_table_by_practice(session, referred):
    report = build_report(
        session, referred.id, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "funder"
    )

    # Rows by practice would add up to the funnel beside them, and a reader could take the
    # shown rows from the total to find a hidden one; each practice has its own report.
    assert report.table("referrals_by_practice") is None
    assert "Hill Surgery" not in repr(report)
    # 7 referred, 6 said yes, 4 joined, 3 first exchanges, 2 active: 1 to 7 people each.
    assert rows(report, "referral_funnel") == [
        ("Referred", SUPPRESSED),
        ("Said yes", SUPPRESSED),
        ("Joined", SUPPRESSED),
        ("First exchange", SUPPRESSED),
        ("Active at 3 months", SUPPRESSED),
    ]


def test_an_active_practice_that_referred_nobody_shows_zeros(session, bank, admin, practice):
    partners.add_partner(session, bank.id, admin.id, "Quiet Surgery")

    report = build_report(session, bank.id, START, END, "broker")
    funder = build_report(session, bank.id, START, dt.date(2026, 3, 31), "funder")

    assert rows(funder, "referral_funnel") == rows(report, "referral_funnel")
    assert rows(report, "referrals_by_practice") == [
        ("Quiet Surgery", 0, 0, 0, 0, None, None),
        ("Ravensbourne Health Centre", 0, 0, 0, 0, None, None),
    ]
    assert rows(report, "referral_funnel") == [
        ("Referred", 0),
        ("Said yes", 0),
        ("Joined", 0),
        ("First exchange", 0),
    ]
