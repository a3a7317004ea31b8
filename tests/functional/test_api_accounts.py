"""The accounts API: a member's own balance, any member's for brokers, and every account."""

from __future__ import annotations

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import give
from timebank.extensions import db
from timebank.members.models import Member
from timebank.membership.tokens import create_token


def bearer(member: Member, **kwargs) -> dict[str, str]:
    token = create_token(db.session, member.bank_id, member.id, "Tests", **kwargs)[1]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def traded(broker, joyce, sam):
    """Joyce gave Sam an hour (recorded by the broker) and logged 30 minutes more, unconfirmed."""
    give(joyce, sam, 60, by=broker)
    give(joyce, sam, 30)


def test_a_member_sees_their_own_balance_and_what_is_waiting(client, bank, joyce, sam, traded):
    mine = client.get("/api/v1/me/balance", headers=bearer(joyce)).get_json()
    theirs = client.get("/api/v1/me/balance", headers=bearer(sam)).get_json()

    assert mine == {
        "member_id": joyce.id,
        "balance_minutes": 60,
        "min_balance_minutes": bank.overdraft_minutes,
        "max_balance_minutes": bank.max_balance_minutes,
        "waiting_to_come_in_minutes": 30,
        "waiting_to_go_out_minutes": 0,
    }
    assert theirs["balance_minutes"] == -60 and theirs["waiting_to_go_out_minutes"] == 30


def test_a_member_may_read_their_own_balance_by_id_but_not_anyone_elses(client, joyce, sam, traded):
    headers = bearer(joyce)
    own = client.get(f"/api/v1/members/{joyce.id}/balance", headers=headers)
    other = client.get(f"/api/v1/members/{sam.id}/balance", headers=headers)

    assert own.status_code == 200 and own.get_json()["balance_minutes"] == 60
    assert other.status_code == 403 and other.mimetype == "application/problem+json"


def test_a_broker_and_an_admin_read_any_members_balance(client, admin, broker, sam, traded):
    for headers in (bearer(broker), bearer(admin)):
        response = client.get(f"/api/v1/members/{sam.id}/balance", headers=headers)
        assert response.status_code == 200 and response.get_json()["balance_minutes"] == -60


def test_a_broker_lists_every_members_account(client, broker, joyce, sam, traded):
    body = client.get("/api/v1/accounts", headers=bearer(broker)).get_json()

    by_member = {item["member_id"]: item for item in body["items"]}
    assert set(by_member) == {broker.id, joyce.id, sam.id} and body["next_cursor"] is None
    assert by_member[joyce.id]["balance_minutes"] == 60
    assert by_member[joyce.id]["display_name"] == "Joyce Campbell"
    assert by_member[sam.id]["is_open"] is True and by_member[sam.id]["member_status"] == "active"


def test_the_next_cursor_walks_every_account_exactly_once(client, bank, broker):
    for n in range(7):
        MemberFactory(bank=bank, display_name=f"Walker {n}")
    seen, cursor = [], None
    for _ in range(10):
        query = "/api/v1/accounts?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(query, headers=bearer(broker)).get_json()
        seen += [item["account_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 8 and len(set(seen)) == 8 and seen == sorted(seen)


def test_members_and_practice_tokens_cannot_list_accounts(client, admin, joyce, practice):
    practice_token = bearer(admin, partner_id=practice.id)
    assert client.get("/api/v1/accounts", headers=bearer(joyce)).status_code == 403
    assert client.get("/api/v1/accounts", headers=practice_token).status_code == 403
    assert client.get("/api/v1/me/balance", headers=practice_token).status_code == 403
    balance = client.get(f"/api/v1/members/{admin.id}/balance", headers=practice_token)
    assert balance.status_code == 403


def test_another_banks_members_are_404_and_their_accounts_never_listed(client, broker):
    other = MemberFactory(bank=TimeBankFactory())

    response = client.get(f"/api/v1/members/{other.id}/balance", headers=bearer(broker))
    listed = client.get("/api/v1/accounts", headers=bearer(broker)).get_json()

    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    assert other.id not in {item["member_id"] for item in listed["items"]}


def test_without_a_token_the_balance_is_401(client):
    assert client.get("/api/v1/me/balance").status_code == 401


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "cursor=%%%", "cursor=WyJ4Il0="])
def test_bad_list_arguments_are_a_422(client, broker, query):
    response = client.get(f"/api/v1/accounts?{query}", headers=bearer(broker))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
