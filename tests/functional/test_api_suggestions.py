"""The suggestions API: brokers see the ranked list; a requester sees their own request's."""

from __future__ import annotations

import pytest

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.extensions import db
from timebank.members.models import Member
from timebank.membership.tokens import create_token


def bearer(member: Member, **kwargs) -> dict[str, str]:
    token = create_token(db.session, member.bank_id, member.id, "Tests", **kwargs)[1]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def jane(bank):
    """Return Jane Doe, who asks for help with her garden."""
    return MemberFactory(bank=bank, display_name="Jane Doe", area="Catford")


@pytest.fixture
def gardeners(bank) -> list[Member]:
    """Return three members who offer gardening."""
    found = []
    for name in ("Sam Green", "Tom Hedge", "Una Rose"):
        member = MemberFactory(bank=bank, display_name=name, area="Catford")
        ListingFactory(member=member, title="Gardening and weeding")
        found.append(member)
    return found


@pytest.fixture
def garden(jane):
    """Return Jane's open request for help in her garden."""
    return ListingFactory(
        member=jane, kind="request", title="Help in my garden", availability="Tue mornings"
    )


def suggestions(client, listing_id: int, headers: dict[str, str], query: str = ""):
    return client.get(f"/api/v1/listings/{listing_id}/suggestions{query}", headers=headers)


def test_a_broker_gets_the_ranked_list_with_scores_parts_and_reasons(
    client, broker, gardeners, garden
):
    response = suggestions(client, garden.id, bearer(broker))

    assert response.status_code == 200
    body = response.get_json()
    assert body["request_id"] == garden.id
    items = body["items"]
    assert {item["member_id"] for item in items} >= {member.id for member in gardeners}
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    first = items[0]
    assert first["first_name"] in ("Sam", "Tom", "Una") and first["reasons"]
    assert first["parts"] and all(isinstance(v, float) for v in first["parts"].values())


def test_the_limit_caps_the_list(client, broker, gardeners, garden):
    body = suggestions(client, garden.id, bearer(broker), "?limit=2").get_json()
    assert len(body["items"]) == 2


def test_the_requester_sees_first_names_and_reasons_only(client, jane, gardeners, garden):
    response = suggestions(client, garden.id, bearer(jane))

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert items and all(set(item) == {"first_name", "reasons"} for item in items)
    assert {item["first_name"] for item in items} <= {"Sam", "Tom", "Una"}
    assert "has not met you yet" in str(items)
    assert "Green" not in str(items)


def test_anyone_else_is_told_there_is_no_such_request(client, gardeners, garden):
    response = suggestions(client, garden.id, bearer(gardeners[0]))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_an_offer_has_no_suggestions(client, broker, gardeners):
    offer = ListingFactory(member=gardeners[0], title="Digging")
    assert suggestions(client, offer.id, bearer(broker)).status_code == 404


def test_a_practice_token_gets_403(client, admin, practice, garden):
    response = suggestions(client, garden.id, bearer(admin, partner_id=practice.id))
    assert response.status_code == 403


def test_another_banks_request_is_404(client, broker):
    other = MemberFactory(bank=TimeBankFactory())
    theirs = ListingFactory(member=other, kind="request", title="Help")
    assert suggestions(client, theirs.id, bearer(broker)).status_code == 404
    assert suggestions(client, theirs.id, bearer(other)).status_code == 200


@pytest.mark.parametrize("limit", ["0", "21", "ten", "-1", "1.5"])
def test_a_limit_outside_1_to_20_is_a_422(client, broker, garden, limit):
    response = suggestions(client, garden.id, bearer(broker), f"?limit={limit}")
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
