"""Mixing counted by hand, for whole months and for periods cut inside months.

From the summaries a referred member's trades in whole months come from their months' sums,
less the trades with another referred member or with staff, read pair by pair; the days of a
month a period cuts into come from the log. Every period here must give the hand-worked
figures both from the summaries and straight from the transfer log.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import member_joined, record_help
from tests.integration.test_report_meaning import LONG_AGO, figure, refer
from timebank.ledger.resolutions import reverse_transfer
from timebank.reports.build import build_report


@pytest.fixture
def ledger(session, bank, practice):
    """Two referred members, Rita and Ray, trading with members, each other and staff."""
    dee = member_joined(bank, "Dee Broker", LONG_AGO, role="broker")
    ann, bob = (member_joined(bank, name, LONG_AGO) for name in ("Ann", "Bob"))
    rita = member_joined(bank, "Rita Referred", LONG_AGO)
    ray = member_joined(bank, "Ray Referred", LONG_AGO)
    refer(session, bank, practice, rita, dt.date(2025, 12, 1))
    refer(session, bank, practice, ray, dt.date(2025, 12, 1))
    record_help(session, rita, ann, 60, dt.date(2026, 1, 5))  # mixed
    record_help(session, ray, rita, 30, dt.date(2026, 1, 20))  # both referred: not mixed
    record_help(session, dee, rita, 30, dt.date(2026, 1, 25))  # with staff: not mixed
    record_help(session, ann, bob, 60, dt.date(2026, 1, 26))  # nobody referred
    # Logged twice and undone: neither copy counts.
    twice = record_help(session, bob, rita, 60, dt.date(2026, 1, 22))
    reverse_transfer(session, bank.id, twice, uuid.uuid4(), dee.id, "Logged twice")
    record_help(session, bob, ray, 60, dt.date(2026, 2, 3))  # mixed
    record_help(session, rita, dee, 30, dt.date(2026, 2, 10))  # with staff: not mixed
    wrong = record_help(session, ann, ray, 45, dt.date(2026, 2, 12))
    reverse_transfer(session, bank.id, wrong, uuid.uuid4(), dee.id, "Wrong member")
    record_help(session, ray, rita, 30, dt.date(2026, 2, 20))  # both referred: not mixed
    record_help(session, ann, ray, 60, dt.date(2026, 3, 15))  # mixed, after the periods
    return bank


@pytest.mark.parametrize("direct", [False, True])
@pytest.mark.parametrize(
    ("start", "end", "referred", "mixed"),
    [
        # Whole months: every pair with Rita or Ray in January and February.
        (dt.date(2026, 1, 1), dt.date(2026, 2, 28), 6, 2),
        # Cut at the start: from 21 January, Dee and Rita, then all of February.
        (dt.date(2026, 1, 21), dt.date(2026, 2, 28), 4, 1),
        # Cut at the end, with a later exchange in March: up to 15 February.
        (dt.date(2026, 1, 1), dt.date(2026, 2, 15), 5, 2),
        # Cut at both ends, in two months.
        (dt.date(2026, 1, 21), dt.date(2026, 2, 15), 3, 1),
        # Inside one month, cut at both ends.
        (dt.date(2026, 1, 4), dt.date(2026, 1, 24), 2, 1),
        # Ends after the latest exchange: the last month counts whole.
        (dt.date(2026, 3, 1), dt.date(2026, 3, 20), 1, 1),
    ],
)
def test_mixing_counts_referred_members_pairs_and_those_with_ordinary_members(
    session, ledger, direct, start, end, referred, mixed
):
    report = build_report(session, ledger.id, start, end, "broker", direct=direct)

    assert figure(report, "referred_pairs") == referred
    assert figure(report, "mixed_pairs") == mixed
