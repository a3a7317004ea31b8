"""/api/v1/group-exchanges: one giver to several receivers or several to one, all or nothing."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import OwnContextClient, balance, give, transfer_count
from tests.functional.test_api_transfers import assert_problem, bearer, token_for
from timebank.membership.tokens import create_token

TODAY = dt.date.today()
PATH = "/api/v1/group-exchanges"


@pytest.fixture
def api(app):
    return OwnContextClient(app, app.response_class)


@pytest.fixture
def people(bank):
    """Joyce, Sam, Ravi and Mo, members of one bank."""
    names = ("Joyce Campbell", "Sam Okafor", "Ravi Shah", "Mo Farah")
    return [MemberFactory(bank=bank, display_name=name) for name in names]


@pytest.fixture
def tokens(people):
    return [token_for(member) for member in people]


def group(givers, receivers, minutes=60, **more) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "giver_ids": [m.id for m in givers],
        "receiver_ids": [m.id for m in receivers],
        "minutes": minutes,
        "skill_category": "Gardening",
        "happened_on": TODAY.isoformat(),
        "note": "Allotment morning",
        **more,
    }


def post(api, token: str, body, **headers: str):
    return api.post(PATH, json=body, headers=bearer(token, **headers))


def test_the_single_receiver_records_several_givers_and_it_is_confirmed(api, people, tokens):
    joyce, sam, ravi, mo = people
    body = group([sam, ravi, mo], [joyce], 90)

    response = post(api, tokens[0], body)

    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["id"] == body["id"]
    assert made["giver_ids"] == [sam.id, ravi.id, mo.id] and made["receiver_ids"] == [joyce.id]
    assert made["minutes"] == 90 and made["recorded_by_id"] == joyce.id
    assert made["happened_on"] == TODAY.isoformat() and made["note"] == "Allotment morning"
    assert [(t["giver_id"], t["receiver_id"]) for t in made["transfers"]] == [
        (sam.id, joyce.id),
        (ravi.id, joyce.id),
        (mo.id, joyce.id),
    ]
    assert {t["state"] for t in made["transfers"]} == {"confirmed"}
    assert balance(joyce) == -270 and balance(sam) == 90

    shown = api.get(f"{PATH}/{body['id']}", headers=bearer(tokens[1]))
    assert shown.status_code == 200 and shown.get_json() == made


def test_the_single_giver_records_and_each_receiver_confirms_their_own(api, people, tokens):
    joyce, sam, ravi, _ = people
    body = group([joyce], [sam, ravi], 30)

    made = post(api, tokens[0], body).get_json()

    assert {t["state"] for t in made["transfers"]} == {"waiting"}
    sams = made["transfers"][0]
    assert sams["receiver_id"] == sam.id
    confirm = api.post(
        f"/api/v1/transfers/{sams['id']}/confirm", json={}, headers=bearer(tokens[1])
    )
    assert confirm.status_code == 200
    shown = api.get(f"{PATH}/{body['id']}", headers=bearer(tokens[0])).get_json()
    assert [t["state"] for t in shown["transfers"]] == ["confirmed", "waiting"]
    assert balance(joyce) == 30


def test_a_broker_records_a_group_for_others(api, people, broker):
    joyce, sam, ravi, _ = people

    response = post(api, token_for(broker), group([joyce], [sam, ravi]))

    assert response.status_code == 201
    assert {t["state"] for t in response.get_json()["transfers"]} == {"confirmed"}


def test_only_the_one_person_on_their_side_or_a_broker_records(api, people, tokens, broker):
    joyce, sam, ravi, mo = people

    assert_problem(post(api, tokens[1], group([joyce], [sam, ravi])), 403, "not_your_exchange")
    assert_problem(post(api, tokens[3], group([joyce], [sam, ravi])), 403)
    member_token = token_for(broker, role="member")
    assert_problem(post(api, member_token, group([joyce], [sam, ravi])), 403)
    assert transfer_count() == 0


def test_the_same_id_or_key_replays_and_a_different_group_conflicts(api, people, tokens):
    joyce, sam, ravi, _ = people
    body = group([joyce], [sam, ravi])
    first = post(api, tokens[0], body)
    again = post(api, tokens[0], body)
    conflict = post(api, tokens[0], body | {"minutes": 15})

    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    assert_problem(conflict, 409, "idempotency_conflict")

    keyed = {k: v for k, v in body.items() if k != "id"}
    by_key = post(api, tokens[0], keyed, **{"Idempotency-Key": "lunch-club-3-may"})
    by_key_again = post(api, tokens[0], keyed, **{"Idempotency-Key": "lunch-club-3-may"})
    by_key_other = post(
        api, tokens[0], keyed | {"note": "Changed"}, **{"Idempotency-Key": "lunch-club-3-may"}
    )
    assert by_key.status_code == 201 and by_key_again.status_code == 200
    assert by_key_again.get_json() == by_key.get_json()
    assert by_key.get_json()["id"] != body["id"]
    assert_problem(by_key_other, 409, "idempotency_conflict")
    assert_problem(post(api, tokens[0], keyed), 422)
    assert transfer_count() == 4


def test_one_pair_over_the_limit_records_none(api, people, tokens):
    joyce, sam, ravi, _ = people
    give(joyce, ravi, 600, by=ravi)  # Ravi is at the -10:00 limit

    response = post(api, tokens[0], group([joyce], [sam, ravi], 30))

    body = assert_problem(response, 409, "overdraft_limit_reached")
    assert body["detail"] == (
        "This exchange is more than Ravi Shah can receive right now. Please ask your broker."
    )
    assert transfer_count() == 1 and balance(sam) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"giver_ids": []},
        {"receiver_ids": None},
        {"giver_ids": "12"},
        {"giver_ids": ["12"]},
        {"giver_ids": [10**20]},
        {"receiver_ids": list(range(1, 102))},
        {"minutes": -1},
        {"minutes": 10**40},
        {"minutes": "an hour"},
        {"happened_on": "2026-04-31"},
        {"happened_on": (TODAY + dt.timedelta(days=5)).isoformat()},
        {"id": "12345"},
        {"note": 7},
        {"skill_category": "Not a kind of help"},
        {"extra": True},
    ],
    ids=lambda change: repr(change)[:40],
)
def test_bad_values_are_422_problems(api, people, tokens, change):
    joyce, sam, ravi, _ = people

    assert_problem(post(api, tokens[0], group([joyce], [sam, ravi]) | change), 422)
    assert transfer_count() == 0


def test_the_ledgers_shape_rules_are_422(api, people, tokens, broker):
    joyce, sam, ravi, mo = people
    broker_token = token_for(broker)

    several_both = post(api, broker_token, group([joyce, sam], [ravi, mo]))
    twice = post(api, broker_token, group([joyce], [sam, sam]))
    both_sides = post(api, broker_token, group([joyce], [sam, joyce]))

    assert_problem(several_both, 422, "invalid_amount")
    assert_problem(twice, 422, "invalid_amount")
    assert_problem(both_sides, 422, "same_account")


@pytest.mark.parametrize("missing", ["giver_ids", "receiver_ids", "minutes"])
def test_missing_fields_are_named(api, people, tokens, missing):
    joyce, sam, ravi, _ = people
    body = group([joyce], [sam, ravi])
    del body[missing]

    problem = assert_problem(post(api, tokens[0], body), 422, "invalid_input")
    assert missing in str(problem["errors"])


def test_a_group_is_seen_by_its_people_and_brokers_only(api, people, tokens, broker):
    joyce, sam, ravi, _ = people
    body = group([joyce], [sam, ravi])
    post(api, tokens[0], body)
    path = f"{PATH}/{body['id']}"

    for token in (tokens[0], tokens[2], token_for(broker)):
        assert api.get(path, headers=bearer(token)).status_code == 200
    assert_problem(api.get(path, headers=bearer(tokens[3])), 404)
    assert_problem(api.get(f"{PATH}/{uuid.uuid4()}", headers=bearer(tokens[0])), 404)
    assert api.get(f"{PATH}/not-a-uuid", headers=bearer(tokens[0])).status_code == 404


def test_another_banks_groups_and_members_are_not_found(api, people, tokens):
    joyce, sam, *_ = people
    other = TimeBankFactory()
    a, b, c = (MemberFactory(bank=other) for _ in range(3))
    theirs = group([a], [b, c])
    assert post(api, token_for(a), theirs).status_code == 201
    their_broker = token_for(MemberFactory(bank=other, role="broker"))
    mine = group([joyce], [sam])
    post(api, tokens[0], mine)

    assert_problem(api.get(f"{PATH}/{theirs['id']}", headers=bearer(tokens[0])), 404)
    assert_problem(api.get(f"{PATH}/{mine['id']}", headers=bearer(their_broker)), 404)
    assert_problem(post(api, tokens[0], group([joyce], [sam, b])), 404, "unknown_account")


def test_practice_tokens_may_not_use_group_exchanges(api, session, bank, admin, practice, people):
    joyce, sam, ravi, _ = people
    token = create_token(session, bank.id, admin.id, "Surgery", partner_id=practice.id)[1]

    assert_problem(post(api, token, group([joyce], [sam, ravi])), 403)
    assert_problem(api.get(f"{PATH}/{uuid.uuid4()}", headers=bearer(token)), 403)
