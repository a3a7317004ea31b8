"""Report figures on a small hand-built ledger, with the answers worked out by hand."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import MemberFactory, TimeBankFactory, record_help
from timebank.ledger.resolutions import confirm_pending, reverse_transfer
from timebank.ledger.rules import OLDEST_PAST_DAYS
from timebank.ledger.services import (
    GroupExchangeRequest,
    record_group_exchange,
)
from timebank.reports.figures import CategoryFigures, bank_figures

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
LONG_AGO = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def bank(session):
    """Return a bank whose members may log exchanges years back: these tests build history."""
    return TimeBankFactory(exchange_past_days=OLDEST_PAST_DAYS)


def joined(when: dt.datetime):
    return lambda: when


def exchange(session, giver, receiver, minutes, on, skill, by):
    """Record one exchange; return its transfer id."""
    return record_help(session, giver, receiver, minutes, on, skill, by)


@pytest.fixture
def ledger(session, bank):
    """Build the bank's March by hand (see each line for what it adds to the figures)."""
    at = joined(LONG_AGO)
    ann = MemberFactory(
        bank=bank, display_name="Ann", now=joined(dt.datetime(2026, 3, 3, tzinfo=dt.UTC))
    )
    bob = MemberFactory(
        bank=bank, display_name="Bob", now=joined(dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC))
    )
    cy = MemberFactory(
        bank=bank, display_name="Cy", now=joined(dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    )
    dee = MemberFactory(bank=bank, display_name="Dee", role="broker", now=at)
    eve = MemberFactory(bank=bank, display_name="Eve", now=at)
    fay = MemberFactory(bank=bank, display_name="Fay", now=at)
    gus = MemberFactory(bank=bank, display_name="Gus", now=at)
    MemberFactory(
        bank=bank,
        display_name="Hal",
        status="applicant",
        now=joined(dt.datetime(2026, 3, 10, tzinfo=dt.UTC)),
    )
    # 1. Posted at once (the receiver logged it): 60 minutes of gardening.
    exchange(session, ann, bob, 60, dt.date(2026, 3, 5), "Gardening", by=bob)
    # 2. Logged by the giver for 30, confirmed for 20: counts 20 minutes of company.
    pending = exchange(session, bob, cy, 30, dt.date(2026, 3, 10), "Company", by=bob)
    confirm_pending(session, bank.id, pending, uuid.uuid4(), cy.id, minutes=20)
    # 3. Still waiting for confirmation: not counted.
    exchange(session, cy, ann, 45, dt.date(2026, 3, 12), "Gardening", by=cy)
    # 4. Posted, then reversed by a broker: not counted.
    wrong = exchange(session, ann, cy, 90, dt.date(2026, 3, 15), "Company", by=cy)
    reverse_transfer(session, bank.id, wrong, uuid.uuid4(), dee.id, "Logged twice")
    # 5. A group exchange logged by the broker: 2 x 120 minutes of cooking, one exchange.
    record_group_exchange(
        session,
        GroupExchangeRequest(
            group_id=uuid.uuid4(),
            bank_id=bank.id,
            giver_ids=[eve.id],
            receiver_ids=[ann.id, bob.id],
            minutes=120,
            recorded_by_id=dee.id,
            happened_on=dt.date(2026, 3, 20),
            skill_category="Cooking",
        ),
    )
    # 6. Before March: not in the period, but Ann and Bob traded in the last 90 days anyway.
    exchange(session, ann, bob, 15, dt.date(2026, 2, 10), "Gardening", by=bob)
    # 7. The 90 days up to 31 March start on 1 January: Gus is in, Fay (31 December) is out.
    exchange(session, gus, bob, 10, dt.date(2026, 1, 1), None, by=bob)
    exchange(session, fay, bob, 10, dt.date(2025, 12, 31), None, by=bob)
    return bank


def test_march_figures_count_only_confirmed_unreversed_exchanges(session, ledger):
    figures = bank_figures(session, ledger.id, *MARCH)

    # The group exchange counts Eve's 2 hours once; the ledger credited her 4.
    assert figures.minutes_exchanged == 60 + 20 + 120
    assert figures.minutes_credited == 60 + 20 + 240
    assert figures.exchanges == 3
    # Ann, Bob, Cy (exchange 2), Eve and Gus; not Fay, nor Dee who only recorded.
    assert figures.active_members == 5
    # Ann and Bob joined in March; Cy on 1 April, Hal is still an applicant.
    assert figures.new_members == 2


def test_march_figures_by_kind_of_help(session, ledger):
    figures = bank_figures(session, ledger.id, *MARCH)

    assert figures.by_category == [
        CategoryFigures("Cooking", 120, 1, 3, 240),
        CategoryFigures("Gardening", 60, 1, 2, 60),
        CategoryFigures("Company", 20, 1, 2, 20),
    ]


def test_a_single_day_period_and_an_empty_one(session, ledger):
    fifth = bank_figures(session, ledger.id, dt.date(2026, 3, 5), dt.date(2026, 3, 5))
    empty = bank_figures(session, ledger.id, dt.date(2026, 6, 1), dt.date(2026, 6, 30))

    assert (fifth.minutes_exchanged, fifth.exchanges) == (60, 1)
    assert (empty.minutes_exchanged, empty.exchanges, empty.by_category) == (0, 0, [])
    # Nobody traded in the 90 days to 30 June (the last trade was on 20 March).
    assert empty.active_members == 0


def test_figures_of_one_bank_never_count_another(session, ledger):
    other = MemberFactory(display_name="Ivy").bank_id

    figures = bank_figures(session, other, *MARCH)

    assert (figures.minutes_exchanged, figures.active_members, figures.new_members) == (0, 0, 0)
