"""Offers, requests and outreach in the report, on hand-built rows for January to March 2026.

Listings are posted through the service with a stopped clock; matching and closing are set
on the rows as the broker's actions would leave them.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import ListingFactory, member_joined
from timebank.broker.models import OutreachContact, OutreachFlag
from timebank.reports.build import build_report
from timebank.reports.tables import Report

START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), dt.UTC)


def listing(session, member, kind, category, posted, *, matched=None, status="open"):
    """Post a listing on `posted` (noon); mark it matched at `matched` and set its status."""
    found = ListingFactory(member=member, kind=kind, skill_category=category)
    found.created_at = at(posted)
    found.matched_at = matched
    found.status = status
    session.commit()
    return found


@pytest.fixture
def listings(session, bank):
    """Post the offers and requests (see each line)."""
    ann = member_joined(bank, "Ann Offers", dt.date(2025, 1, 1))
    # Open offers at the end: two of gardening; a closed one and one posted after the end.
    listing(session, ann, "offer", "Gardening", dt.date(2025, 12, 1))
    listing(session, ann, "offer", "Gardening", dt.date(2026, 2, 1))
    listing(session, ann, "offer", "Gardening", dt.date(2026, 1, 1), status="closed")
    listing(session, ann, "offer", "Cooking and meals", dt.date(2026, 4, 2))
    # Gardening requests: matched after 4 days; after 1.5 days (still open); and unmet.
    listing(session, ann, "request", "Gardening", dt.date(2026, 1, 10),
            matched=at(dt.date(2026, 1, 14)), status="closed")  # fmt: skip
    listing(session, ann, "request", "Gardening", dt.date(2026, 2, 1),
            matched=at(dt.date(2026, 2, 3), hour=0))  # fmt: skip
    listing(session, ann, "request", "Gardening", dt.date(2026, 3, 1))
    # Cooking: unmet since November; posted 30 March and matched only on 2 April.
    listing(session, ann, "request", "Cooking and meals", dt.date(2025, 11, 1))
    listing(session, ann, "request", "Cooking and meals", dt.date(2026, 3, 30),
            matched=at(dt.date(2026, 4, 2)))  # fmt: skip
    return bank


def flag(session, bank, member, raised, rule="inactive", *, outcome=None, resolved=None):
    found = OutreachFlag(
        bank_id=bank.id, member_id=member.id, rule=rule, reason="No exchange lately.",
        since=raised, raised_at=at(raised), seen_at=at(raised),
        status="resolved" if outcome else "open", outcome=outcome,
        resolved_at=at(resolved) if resolved else None,
    )  # fmt: skip
    session.add(found)
    session.commit()
    return found


def contact(session, bank, broker, found, on, outcome=None):
    session.add(
        OutreachContact(
            bank_id=bank.id, flag_id=found.id, member_id=found.member_id, broker_id=broker.id,
            method="phoned", outcome=outcome, created_at=at(on),
        )
    )  # fmt: skip
    session.commit()


@pytest.fixture
def outreach(session, bank, broker):
    """Flag five members and record the broker's calls (see each line)."""
    p, q, r, s, t = (
        member_joined(bank, f"{name} Flagged", dt.date(2025, 1, 1))
        for name in ("Pam", "Quin", "Rita", "Sal", "Tom")
    )
    # Pam: flagged, phoned two days later, back in touch; flagged again for another reason.
    contact(session, bank, broker, flag(session, bank, p, dt.date(2026, 1, 10)),
            dt.date(2026, 1, 12), outcome="re_engaged")  # fmt: skip
    flag(session, bank, p, dt.date(2026, 3, 15), rule="only_giving")
    # Quin: contacted without an outcome; the flag was closed as re-engaged later.
    quin = flag(session, bank, q, dt.date(2026, 2, 1), outcome="re_engaged",
                resolved=dt.date(2026, 2, 20))  # fmt: skip
    contact(session, bank, broker, quin, dt.date(2026, 2, 2))
    # Rita: flagged, nobody called yet.
    flag(session, bank, r, dt.date(2026, 3, 1))
    # Sal: flagged before the period (not counted, though called in it).
    contact(session, bank, broker, flag(session, bank, s, dt.date(2025, 12, 1)),
            dt.date(2026, 1, 5))  # fmt: skip
    # Tom: flagged in March, called only in April.
    contact(session, bank, broker, flag(session, bank, t, dt.date(2026, 3, 20)),
            dt.date(2026, 4, 2))  # fmt: skip
    return bank


def figure(report: Report, key: str):
    for section in report.sections:
        for found in section.figures:
            if found.key == key:
                return found.value
    raise AssertionError(f"no figure {key}")


def test_supply_and_demand_by_kind_of_help_at_the_end_of_the_period(session, listings):
    report = build_report(session, listings.id, START, END, "broker")

    table = report.table("supply_by_category")
    assert table is not None
    assert list(table.rows) == [
        # open offers, unmet requests, posted in period, matched, middle days to match
        ("Cooking and meals", 0, 2, 1, 0, None),
        ("Gardening", 2, 1, 3, 2, 2.75),  # (4 + 1.5) / 2
    ]
    assert figure(report, "requests_posted") == 4
    assert figure(report, "requests_matched") == 2
    assert figure(report, "median_days_to_match") == 2.75


def test_funder_report_shows_requests_and_days_to_match_exactly(session, listings):
    report = build_report(session, listings.id, START, END, "funder")

    # Requests and days are not people: a middle value of two requests is still shown.
    assert figure(report, "median_days_to_match") == 2.75
    assert figure(report, "requests_posted") == 4
    cooking = report.table("supply_by_category").rows[0]
    assert cooking == ("Cooking and meals", 0, 2, 1, 0, None)


def test_outreach_counts_members_flagged_in_the_period_and_what_came_of_it(session, outreach):
    report = build_report(session, outreach.id, START, END, "broker")

    assert figure(report, "flagged") == 4  # Pam (twice), Quin, Rita, Tom; not Sal
    assert figure(report, "contacted") == 2  # Pam, Quin; Tom only in April
    assert figure(report, "re_engaged") == 2  # Pam by the call, Quin by the closed flag
