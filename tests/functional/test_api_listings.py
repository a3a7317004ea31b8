"""The listings API: members browse offers and requests, post their own, change and close them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.extensions import db
from timebank.members.models import Member
from timebank.membership.services import set_member_status
from timebank.membership.tokens import create_token
from timebank.offers.models import Listing
from timebank.offers.times import Slot, mask_to_slots
from timebank.tenancy.models import BrokerAction


def bearer(member: Member, **kwargs) -> dict[str, str]:
    token = create_token(db.session, member.bank_id, member.id, "Tests", **kwargs)[1]
    return {"Authorization": f"Bearer {token}"}


def stored(listing_id: int) -> Listing:
    db.session.expire_all()
    found = db.session.get(Listing, listing_id)
    assert found is not None
    return found


@pytest.fixture
def garden(joyce) -> Listing:
    """Joyce's open offer of gardening."""
    return ListingFactory(member=joyce, title="Weeding and pruning")


@pytest.fixture
def lift(sam) -> Listing:
    """Sam's open request for a lift."""
    return ListingFactory(
        member=sam, kind="request", skill_category="Transport and lifts", title="A lift to town"
    )


NEW_OFFER = {
    "kind": "offer",
    "skill_category": "IT help",
    "title": "Setting up a phone",
    "description": "Email, photos and video calls.",
    "slots": ["tue-morning", "thu-evening"],
    "availability": "Not in August",
    "area": "Catford",
    "travel": "anywhere",
}


def test_a_member_posts_an_offer_with_its_times(client, joyce):
    response = client.post("/api/v1/listings", headers=bearer(joyce), json=NEW_OFFER)

    assert response.status_code == 201
    body = response.get_json()
    assert body["title"] == "Setting up a phone" and body["status"] == "open"
    assert body["slots"] == ["thu-evening", "tue-morning"] and body["travel"] == "anywhere"
    assert body["owner"]["id"] == joyce.id and body["owner"]["mobile"] is None
    assert mask_to_slots(stored(body["id"]).slots) == {Slot(1, "morning"), Slot(3, "evening")}


def test_a_request_in_a_category_that_needs_a_check_is_marked_so(client, sam):
    response = client.post(
        "/api/v1/listings",
        headers=bearer(sam),
        json={"kind": "request", "skill_category": "Care and wellbeing", "title": "A visit"},
    )
    assert response.status_code == 201 and response.get_json()["needs_check"] is True


def test_members_browse_open_listings_newest_first_with_filters(client, joyce, sam, garden, lift):
    headers = bearer(joyce)
    everything = client.get("/api/v1/listings", headers=headers).get_json()
    requests = client.get("/api/v1/listings?kind=request", headers=headers).get_json()
    gardening = client.get("/api/v1/listings?skill_category=Gardening", headers=headers)
    searched = client.get("/api/v1/listings?q=lift+town", headers=headers).get_json()

    assert [item["id"] for item in everything["items"]] == [lift.id, garden.id]
    assert [item["id"] for item in requests["items"]] == [lift.id]
    assert [item["id"] for item in gardening.get_json()["items"]] == [garden.id]
    assert [item["id"] for item in searched["items"]] == [lift.id]


def test_closed_listings_show_only_when_asked_for(client, joyce, garden, lift):
    client.post(f"/api/v1/listings/{garden.id}/close", headers=bearer(joyce))

    open_ones = client.get("/api/v1/listings", headers=bearer(joyce)).get_json()
    closed = client.get("/api/v1/listings?status=closed", headers=bearer(joyce)).get_json()

    assert [item["id"] for item in open_ones["items"]] == [lift.id]
    assert [item["id"] for item in closed["items"]] == [garden.id]


def test_the_phone_number_shows_only_when_the_owner_shows_it(client, session, joyce, sam, lift):
    hidden = client.get(f"/api/v1/listings/{lift.id}", headers=bearer(joyce)).get_json()
    sam.show_mobile = True
    session.commit()
    shown = client.get(f"/api/v1/listings/{lift.id}", headers=bearer(joyce)).get_json()
    listed = client.get("/api/v1/listings", headers=bearer(joyce)).get_json()

    assert hidden["owner"]["mobile"] is None
    assert shown["owner"]["mobile"] and shown["owner"]["mobile"].startswith("07123")
    assert sam.mobile_e164 not in str(hidden) + str(listed["items"][0]["owner"]["area"])


def test_listings_of_members_who_left_are_not_listed(client, session, bank, joyce, sam, lift):
    set_member_status(session, bank.id, sam.id, "left")
    listed = client.get("/api/v1/listings", headers=bearer(joyce)).get_json()
    assert listed["items"] == []


def test_the_next_cursor_walks_every_listing_exactly_once(client, joyce, sam):
    made = [ListingFactory(member=sam, title=f"Walk {n}").id for n in range(7)]
    seen, cursor = [], None
    for _ in range(10):
        query = "/api/v1/listings?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(query, headers=bearer(joyce)).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made, reverse=True)


def test_the_owner_changes_only_what_they_send(client, joyce, garden):
    response = client.patch(
        f"/api/v1/listings/{garden.id}",
        headers=bearer(joyce),
        json={"title": "Pruning roses", "slots": ["sat-morning"]},
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "Pruning roses" and body["slots"] == ["sat-morning"]
    assert body["description"] == garden.description and body["skill_category"] == "Gardening"


def test_only_the_owner_may_change_a_listing(client, broker, sam, garden):
    for headers in (bearer(sam), bearer(broker)):
        response = client.patch(
            f"/api/v1/listings/{garden.id}", headers=headers, json={"title": "Mine now"}
        )
        assert response.status_code == 403
    assert stored(garden.id).title == "Weeding and pruning"


def test_the_owner_closes_a_listing_and_it_cannot_be_closed_twice(client, joyce, garden):
    first = client.post(f"/api/v1/listings/{garden.id}/close", headers=bearer(joyce))
    again = client.post(f"/api/v1/listings/{garden.id}/close", headers=bearer(joyce))
    changed = client.patch(
        f"/api/v1/listings/{garden.id}", headers=bearer(joyce), json={"title": "Later"}
    )

    assert first.status_code == 200 and first.get_json()["status"] == "closed"
    assert again.status_code == 409 and changed.status_code == 409
    assert again.mimetype == "application/problem+json"


def test_a_broker_closes_a_members_listing_with_an_audit_line(client, broker, garden):
    response = client.post(f"/api/v1/listings/{garden.id}/close", headers=bearer(broker))

    assert response.status_code == 200 and stored(garden.id).status == "closed"
    action = db.session.scalar(sa.select(BrokerAction).filter_by(action="listing_closed"))
    assert action.broker_id == broker.id and action.subject == f"listing:{garden.id}"


def test_another_member_cannot_close_a_listing(client, sam, garden):
    response = client.post(f"/api/v1/listings/{garden.id}/close", headers=bearer(sam))
    assert response.status_code == 403 and stored(garden.id).status == "open"


def test_practice_tokens_get_403_on_every_listing_endpoint(client, admin, practice, garden):
    headers = bearer(admin, partner_id=practice.id)
    assert client.get("/api/v1/listings", headers=headers).status_code == 403
    assert client.get(f"/api/v1/listings/{garden.id}", headers=headers).status_code == 403
    assert client.post("/api/v1/listings", headers=headers, json=NEW_OFFER).status_code == 403
    patched = client.patch(f"/api/v1/listings/{garden.id}", headers=headers, json={})
    assert patched.status_code == 403
    closed = client.post(f"/api/v1/listings/{garden.id}/close", headers=headers)
    assert closed.status_code == 403


def test_another_banks_listings_are_404_and_never_listed(client, joyce, broker):
    theirs = ListingFactory(member=MemberFactory(bank=TimeBankFactory()))

    assert client.get(f"/api/v1/listings/{theirs.id}", headers=bearer(joyce)).status_code == 404
    listed = client.get("/api/v1/listings", headers=bearer(joyce)).get_json()
    closed = client.post(f"/api/v1/listings/{theirs.id}/close", headers=bearer(broker))
    patched = client.patch(
        f"/api/v1/listings/{theirs.id}", headers=bearer(joyce), json={"title": "x"}
    )

    assert listed["items"] == [] and closed.status_code == 404 and patched.status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "favour"},
        {"skill_category": "Juggling"},
        {"title": ""},
        {"title": "x" * 121},
        {"slots": ["someday"]},
        {"slots": "mon-morning"},
        {"travel": "moon"},
        {"needs_check": "maybe"},
        {"colour": "blue"},
        {"kind": None},
        {"title": "Weeding\x00"},
        {"description": "Lone \ud800 half"},
    ],
    ids=lambda change: next(iter(change)) + "=" + str(next(iter(change.values())))[:10],
)
def test_bad_listing_details_are_a_422_problem(client, joyce, change):
    response = client.post("/api/v1/listings", headers=bearer(joyce), json=NEW_OFFER | change)

    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    assert db.session.query(Listing).count() == 0


@pytest.mark.parametrize(
    "query",
    ["kind=both", "status=gone", "limit=500", "cursor=abc", "cursor=WzEuNV0=", "q=a%00b"],
)
def test_bad_list_arguments_are_a_422(client, joyce, query):
    response = client.get(f"/api/v1/listings?{query}", headers=bearer(joyce))
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_a_body_that_is_not_json_is_refused_without_a_server_error(client, joyce):
    response = client.post(
        "/api/v1/listings",
        headers=bearer(joyce) | {"Content-Type": "application/json"},
        data="{not json",
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"
