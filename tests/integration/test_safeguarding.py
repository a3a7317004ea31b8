"""Safeguarding: checks brokers record, blocks between members, and do-not-contact."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.broker import safeguarding
from timebank.errors import InvalidInput, NotFound
from timebank.tenancy.models import BrokerAction

TODAY = dt.date(2026, 6, 1)


def audit(session, bank) -> list[tuple[str, int | None, int]]:
    rows = session.execute(
        sa.select(BrokerAction.action, BrokerAction.member_id, BrokerAction.broker_id)
        .where(BrokerAction.bank_id == bank.id)
        .order_by(BrokerAction.id)
    )
    return [tuple(row) for row in rows]


def test_a_recorded_check_is_current_until_it_runs_out(session, bank, broker):
    joyce = MemberFactory(bank=bank)
    safeguarding.record_check(
        session, bank.id, broker.id, joyce.id, dt.date(2025, 6, 1), dt.date(2026, 6, 1), "001"
    )

    assert safeguarding.current_checks(session, bank.id, [joyce.id], TODAY) == {
        joyce.id: frozenset({"dbs"})
    }
    assert safeguarding.current_checks(session, bank.id, [joyce.id], dt.date(2026, 6, 2)) == {}
    assert audit(session, bank) == [("check_recorded", joyce.id, broker.id)]


def test_a_check_without_an_expiry_date_does_not_lapse(session, bank, broker):
    joyce = MemberFactory(bank=bank)
    sam = MemberFactory(bank=bank)
    safeguarding.record_check(session, bank.id, broker.id, joyce.id, dt.date(2020, 1, 1))

    found = safeguarding.current_checks(session, bank.id, [joyce.id, sam.id], dt.date(2040, 1, 1))

    assert found == {joyce.id: frozenset({"dbs"})}


def test_a_withdrawn_check_no_longer_counts_but_stays_as_history(session, bank, broker):
    joyce = MemberFactory(bank=bank)
    check = safeguarding.record_check(session, bank.id, broker.id, joyce.id, dt.date(2026, 1, 1))

    safeguarding.withdraw_check(session, bank.id, broker.id, check.id)

    assert safeguarding.current_checks(session, bank.id, [joyce.id], TODAY) == {}
    assert [c.id for c in safeguarding.checks_of(session, bank.id, joyce.id)] == [check.id]
    with pytest.raises(InvalidInput, match="already withdrawn"):
        safeguarding.withdraw_check(session, bank.id, broker.id, check.id)
    assert [a for a, _, _ in audit(session, bank)] == ["check_recorded", "check_withdrawn"]


def test_checks_refuse_dates_that_make_no_sense(session, bank, broker):
    joyce = MemberFactory(bank=bank)
    with pytest.raises(InvalidInput, match="future") as future:
        safeguarding.record_check(
            session, bank.id, broker.id, joyce.id, dt.date(2026, 7, 1), today=TODAY
        )
    with pytest.raises(InvalidInput, match="run out after") as backwards:
        safeguarding.record_check(
            session, bank.id, broker.id, joyce.id, dt.date(2026, 1, 1), dt.date(2025, 1, 1)
        )
    assert (future.value.field, backwards.value.field) == ("checked_on", "expires_on")
    assert audit(session, bank) == []


def test_checks_and_blocks_stay_inside_their_own_bank(session, bank, broker):
    # A broker of the other bank: only a broker may record a check, even on themselves.
    stranger = MemberFactory(bank=TimeBankFactory(), role="broker")
    joyce = MemberFactory(bank=bank)
    with pytest.raises(NotFound):
        safeguarding.record_check(session, bank.id, broker.id, stranger.id, dt.date(2026, 1, 1))
    with pytest.raises(NotFound):
        safeguarding.block(session, bank.id, broker.id, joyce.id, stranger.id)
    other_check = safeguarding.record_check(
        session, stranger.bank_id, stranger.id, stranger.id, dt.date(2026, 1, 1)
    )
    with pytest.raises(NotFound):
        safeguarding.withdraw_check(session, bank.id, broker.id, other_check.id)
    assert safeguarding.current_checks(session, bank.id, [stranger.id], TODAY) == {}


def test_a_block_keeps_both_members_apart_whoever_asked(session, bank, broker):
    joyce = MemberFactory(bank=bank)
    sam = MemberFactory(bank=bank)
    keith = MemberFactory(bank=bank)

    row = safeguarding.block(session, bank.id, broker.id, joyce.id, sam.id, "Bad experience")

    assert safeguarding.blocked_pairs(session, bank.id, joyce.id) == {sam.id}
    assert safeguarding.blocked_pairs(session, bank.id, sam.id) == {joyce.id}
    assert safeguarding.blocked_pairs(session, bank.id, keith.id) == set()
    lines = safeguarding.blocks_of(session, bank.id, sam.id)
    assert [(line.other.id, line.asked_by_this_member) for line in lines] == [(joyce.id, False)]

    safeguarding.unblock(session, bank.id, broker.id, row.id)

    assert safeguarding.blocked_pairs(session, bank.id, sam.id) == set()
    assert audit(session, bank) == [
        ("block_recorded", joyce.id, broker.id),
        ("block_removed", joyce.id, broker.id),
    ]


def test_a_member_cannot_block_themselves_or_the_same_member_twice(session, bank, broker):
    joyce = MemberFactory(bank=bank)
    sam = MemberFactory(bank=bank)
    safeguarding.block(session, bank.id, broker.id, joyce.id, sam.id)

    with pytest.raises(InvalidInput, match="other than"):
        safeguarding.block(session, bank.id, broker.id, joyce.id, joyce.id)
    with pytest.raises(InvalidInput, match="already"):
        safeguarding.block(session, bank.id, broker.id, joyce.id, sam.id)


def test_do_not_contact_is_recorded_and_audited(session, bank, broker):
    joyce = MemberFactory(bank=bank)

    safeguarding.set_do_not_contact(session, bank.id, broker.id, joyce.id, True)
    assert joyce.do_not_contact
    safeguarding.set_do_not_contact(session, bank.id, broker.id, joyce.id, False)

    assert not joyce.do_not_contact
    assert [a for a, _, _ in audit(session, bank)] == ["do_not_contact_on", "do_not_contact_off"]
