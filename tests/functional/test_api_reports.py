"""GET /api/v1/reports/figures: brokers get a period's figures; bad periods are 422."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from timebank.ledger.rules import OLDEST_PAST_DAYS
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.membership.tokens import create_token


@pytest.fixture
def bank(session):
    """Return a bank whose members may log exchanges years back: these tests build history."""
    return TimeBankFactory(exchange_past_days=OLDEST_PAST_DAYS)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def broker_token(session, bank, broker):
    return create_token(session, bank.id, broker.id, "Reports")[1]


def test_a_broker_gets_the_figures_with_their_definitions(client, session, bank, broker_token):
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_exchange(
        session,
        ExchangeRequest(
            transfer_id=uuid.uuid4(),
            bank_id=bank.id,
            giver_id=ann.id,
            receiver_id=bob.id,
            minutes=90,
            recorded_by_id=bob.id,
            happened_on=dt.date(2026, 3, 5),
            skill_category="Gardening",
        ),
    )

    response = client.get(
        "/api/v1/reports/figures?from=2026-03-01&to=2026-03-31", headers=bearer(broker_token)
    )

    body = response.get_json()
    assert response.status_code == 200
    assert (body["from"], body["to"]) == ("2026-03-01", "2026-03-31")
    assert (body["minutes_exchanged"], body["exchanges"], body["active_members"]) == (90, 1, 2)
    assert body["by_category"] == [
        {
            "category": "Gardening",
            "minutes_exchanged": 90,
            "minutes_credited": 90,
            "exchanges": 1,
            "members": 2,
        }
    ]
    assert body["active_days"] == 90 and "reversed" in body["definitions"]["minutes_exchanged"]


def test_members_cannot_read_the_figures(client, session, bank):
    member = MemberFactory(bank=bank)
    token = create_token(session, bank.id, member.id, "Phone")[1]

    response = client.get(
        "/api/v1/reports/figures?from=2026-03-01&to=2026-03-31", headers=bearer(token)
    )

    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        "",
        "from=2026-03-01",
        "from=2026-04-01&to=2026-03-01",
        "from=2026-13-01&to=2026-03-01",
        "from=0001-01-01&to=2026-03-01",
        "from=2026-03-01&to=9999-12-31",
    ],
)
def test_a_missing_backwards_or_impossible_period_is_422(client, broker_token, query):
    response = client.get(f"/api/v1/reports/figures?{query}", headers=bearer(broker_token))

    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_a_member_is_refused_before_their_query_is_read(client, session, bank):
    member = MemberFactory(bank=bank)
    token = create_token(session, bank.id, member.id, "Phone")[1]

    response = client.get("/api/v1/reports/figures?from=nonsense", headers=bearer(token))

    assert response.status_code == 403
