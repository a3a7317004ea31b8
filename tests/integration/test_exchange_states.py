"""An exchange's state is one rule in the ledger: the SQL and the Python say the same."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from timebank.ledger.models import Transfer
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_exchange_hours
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.ledger.states import (
    EXCHANGE_STATES,
    exchange_state,
    state_column,
    state_condition,
    state_when_recorded,
)


def recorded(session, bank, giver, receiver, by, minutes=60) -> uuid.UUID:
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, minutes, by.id)
    return record_exchange(session, request).id


@pytest.fixture
def one_of_each(session, bank, broker):
    """Exchanges in every state: confirmed at once, waiting, confirmed later, declined, reversed."""
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    at_once = recorded(session, bank, ann, bob, bob)
    waiting = recorded(session, bank, ann, bob, ann)
    confirmed = recorded(session, bank, ann, bob, ann)
    confirm_pending(session, bank.id, confirmed, uuid.uuid4(), bob.id, 30)
    declined = recorded(session, bank, ann, bob, ann)
    decline_pending(session, bank.id, declined, uuid.uuid4(), bob.id, "Not me")
    corrected = recorded(session, bank, ann, bob, bob)
    reversal = reverse_exchange_hours(
        session, bank.id, corrected, uuid.uuid4(), broker.id, "Logged twice"
    ).id
    return {
        at_once: "confirmed",
        waiting: "waiting",
        confirmed: "confirmed",
        declined: "declined",
        corrected: "confirmed",
        reversal: "confirmed",
    }


def _states_query():
    original = Transfer.__table__.alias("original")
    resolution = Transfer.__table__.alias("resolution")
    query = (
        sa.select(
            original.c.id,
            original.c.phase,
            resolution.c.phase.label("resolved_as"),
            state_column(original, resolution).label("state"),
            *(state_condition(s, original, resolution).label(s) for s in EXCHANGE_STATES),
        )
        .select_from(original)
        .outerjoin(resolution, resolution.c.pending_id == original.c.id)
        .where(original.c.phase.in_(("posted", "pending")))
    )
    return query


def test_the_sql_and_the_python_agree_on_every_state(session, one_of_each):
    rows = session.execute(_states_query()).all()

    python = {row.id: exchange_state(row.phase, row.resolved_as) for row in rows}
    sql = {row.id: row.state for row in rows}
    assert python == sql == one_of_each
    assert set(sql.values()) == set(EXCHANGE_STATES)


def test_each_sql_condition_holds_for_exactly_the_exchanges_in_its_state(session, one_of_each):
    for row in session.execute(_states_query()).all():
        held = [state for state in EXCHANGE_STATES if getattr(row, state)]
        assert held == [one_of_each[row.id]], row


def test_an_exchange_as_recorded_is_waiting_when_pending_and_confirmed_when_posted():
    assert (state_when_recorded("pending"), state_when_recorded("posted")) == (
        "waiting",
        "confirmed",
    )


def test_a_state_the_ledger_does_not_know_is_refused_in_plain_words():
    transfers = Transfer.__table__
    with pytest.raises(ValueError, match="not an exchange state"):
        state_condition("lost", transfers, transfers.alias("resolution"))
