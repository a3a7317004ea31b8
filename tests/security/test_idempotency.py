"""Confirm and decline take an id like every other write, and no id serves two kinds of write."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import MemberFactory
from tests.functional.ledger_pages import OwnContextClient, balance, transfer_count
from tests.functional.test_api_group_exchanges import group
from tests.functional.test_api_transfers import assert_problem, bearer, exchange, token_for

TRANSFERS = "/api/v1/transfers"
GROUPS = "/api/v1/group-exchanges"


@pytest.fixture
def api(app):
    """A client whose every request has its own app context and session, as in production."""
    return OwnContextClient(app, app.response_class)


@pytest.fixture
def joyce(bank):
    return MemberFactory(bank=bank, display_name="Joyce Campbell")


@pytest.fixture
def sam(bank):
    return MemberFactory(bank=bank, display_name="Sam Okafor")


@pytest.fixture
def ravi(bank):
    return MemberFactory(bank=bank, display_name="Ravi Shah")


@pytest.fixture
def tokens(joyce, sam, ravi):
    return {"joyce": token_for(joyce), "sam": token_for(sam), "ravi": token_for(ravi)}


def waiting(api, tokens, giver, receiver, minutes=60) -> str:
    """Giver logs help for receiver: it waits for the receiver. Return its id."""
    response = api.post(
        TRANSFERS, json=exchange(giver, receiver, minutes), headers=bearer(tokens["joyce"])
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def resolve(api, token, transfer_id, action, body=None, **headers):
    path = f"{TRANSFERS}/{transfer_id}/{action}"
    return api.post(path, json=body or {}, headers=bearer(token, **headers))


def state_of(api, token, transfer_id) -> dict:
    response = api.get(f"{TRANSFERS}/{transfer_id}", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json()


# Confirm and decline with an id.


def test_a_confirmation_sent_again_with_its_id_answers_the_same(api, joyce, sam, tokens):
    transfer_id = waiting(api, tokens, joyce, sam)
    body = {"id": str(uuid.uuid4()), "minutes": 45}

    first = resolve(api, tokens["sam"], transfer_id, "confirm", body)
    again = resolve(api, tokens["sam"], transfer_id, "confirm", body)

    assert first.status_code == 200 and first.get_json()["state"] == "confirmed"
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert balance(joyce) == 45 and transfer_count() == 2


def test_a_confirmation_id_reused_to_decline_is_a_conflict_and_changes_nothing(
    api, joyce, sam, tokens
):
    transfer_id = waiting(api, tokens, joyce, sam)
    resolution_id = str(uuid.uuid4())
    resolve(api, tokens["sam"], transfer_id, "confirm", {"id": resolution_id})

    declined = resolve(
        api, tokens["sam"], transfer_id, "decline", {"id": resolution_id, "reason": "No"}
    )

    problem = assert_problem(declined, 409, "idempotency_conflict")
    assert resolution_id in problem["detail"]
    assert state_of(api, tokens["sam"], transfer_id)["state"] == "confirmed"
    assert balance(joyce) == 60 and transfer_count() == 2


def test_a_confirmation_id_changed_to_fewer_minutes_is_a_conflict(api, joyce, sam, tokens):
    transfer_id = waiting(api, tokens, joyce, sam)
    resolution_id = str(uuid.uuid4())
    resolve(api, tokens["sam"], transfer_id, "confirm", {"id": resolution_id, "minutes": 60})

    changed = resolve(
        api, tokens["sam"], transfer_id, "confirm", {"id": resolution_id, "minutes": 30}
    )

    assert_problem(changed, 409, "idempotency_conflict")
    assert balance(joyce) == 60


def test_an_idempotency_key_replays_a_confirmation_and_refuses_it_for_another_exchange(
    api, joyce, sam, tokens
):
    first_id = waiting(api, tokens, joyce, sam)
    second_id = waiting(api, tokens, joyce, sam, minutes=30)
    key = {"Idempotency-Key": "confirm-tuesday"}

    first = resolve(api, tokens["sam"], first_id, "confirm", **key)
    again = resolve(api, tokens["sam"], first_id, "confirm", **key)
    other = resolve(api, tokens["sam"], second_id, "confirm", **key)

    assert first.status_code == 200 and again.get_json() == first.get_json()
    assert_problem(other, 409, "idempotency_conflict")
    assert state_of(api, tokens["sam"], second_id)["state"] == "waiting"
    assert balance(joyce) == 60


def test_a_decline_key_replays_and_the_same_key_to_confirm_is_a_conflict(api, joyce, sam, tokens):
    transfer_id = waiting(api, tokens, joyce, sam)
    key = {"Idempotency-Key": "decline-1"}

    first = resolve(api, tokens["sam"], transfer_id, "decline", {"reason": "Not me"}, **key)
    again = resolve(api, tokens["sam"], transfer_id, "decline", {"reason": "Not me"}, **key)
    confirm = resolve(api, tokens["sam"], transfer_id, "confirm", **key)

    assert first.status_code == 200 and first.get_json()["state"] == "declined"
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert_problem(confirm, 409, "idempotency_conflict")
    assert balance(joyce) == 0 and transfer_count() == 2


@pytest.mark.parametrize("key", ["", "k" * 201])
def test_a_bad_idempotency_key_on_confirm_is_422_and_confirms_nothing(api, joyce, sam, tokens, key):
    transfer_id = waiting(api, tokens, joyce, sam)

    response = resolve(api, tokens["sam"], transfer_id, "confirm", **{"Idempotency-Key": key})

    assert_problem(response, 422)
    assert state_of(api, tokens["sam"], transfer_id)["state"] == "waiting"


def test_a_confirmation_id_that_is_not_a_uuid_is_422(api, joyce, sam, tokens):
    transfer_id = waiting(api, tokens, joyce, sam)

    response = resolve(api, tokens["sam"], transfer_id, "confirm", {"id": "tuesday"})

    assert_problem(response, 422)
    assert balance(joyce) == 0


def test_two_members_using_one_key_confirm_their_own_exchanges(api, joyce, sam, ravi, tokens):
    for_sam = waiting(api, tokens, joyce, sam)
    for_ravi = waiting(api, tokens, joyce, ravi)
    key = {"Idempotency-Key": "ok"}

    by_sam = resolve(api, tokens["sam"], for_sam, "confirm", **key)
    by_ravi = resolve(api, tokens["ravi"], for_ravi, "confirm", **key)

    assert by_sam.status_code == 200 and by_ravi.status_code == 200
    assert balance(joyce) == 120


# One id, one kind of write.


def test_a_transfer_id_cannot_be_reused_for_a_group_exchange(api, joyce, sam, ravi, tokens):
    body = exchange(joyce, sam, 60)
    assert api.post(TRANSFERS, json=body, headers=bearer(tokens["joyce"])).status_code == 201

    response = api.post(
        GROUPS,
        json=group([joyce], [sam, ravi]) | {"id": body["id"]},
        headers=bearer(tokens["joyce"]),
    )

    problem = assert_problem(response, 409, "idempotency_conflict")
    assert body["id"] in problem["detail"] and "new one" in problem["detail"]
    assert transfer_count() == 1 and balance(ravi) == 0


def test_a_group_exchange_id_cannot_be_reused_for_a_transfer(api, joyce, sam, ravi, tokens):
    body = group([joyce], [sam, ravi])
    assert api.post(GROUPS, json=body, headers=bearer(tokens["joyce"])).status_code == 201

    response = api.post(
        TRANSFERS,
        json=exchange(joyce, sam, 30) | {"id": body["id"]},
        headers=bearer(tokens["joyce"]),
    )

    problem = assert_problem(response, 409, "idempotency_conflict")
    assert "group exchange" in problem["detail"]
    assert transfer_count() == 2


def test_a_group_exchange_id_cannot_be_reused_to_confirm(api, joyce, sam, ravi, tokens):
    body = group([joyce], [sam, ravi])
    assert api.post(GROUPS, json=body, headers=bearer(tokens["joyce"])).status_code == 201
    pair = api.get(f"{GROUPS}/{body['id']}", headers=bearer(tokens["sam"])).get_json()
    sams = next(t["id"] for t in pair["transfers"] if t["receiver_id"] == sam.id)

    response = resolve(api, tokens["sam"], sams, "confirm", {"id": body["id"]})

    assert_problem(response, 409, "idempotency_conflict")
    assert state_of(api, tokens["sam"], sams)["state"] == "waiting"
