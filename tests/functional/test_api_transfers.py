"""/api/v1/transfers: record, replay, confirm, decline, reverse and list exchanges."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import OwnContextClient, balance, give, transfer_count
from timebank.api.pagination import encode_cursor
from timebank.clock import utcnow
from timebank.extensions import db
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.membership.tokens import create_token

TODAY = dt.date.today()


def bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def token_for(member, role: str | None = None) -> str:
    return create_token(db.session, member.bank_id, member.id, "Phone app", role=role)[1]


def exchange(giver, receiver, minutes=60, **more) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "giver_id": giver.id,
        "receiver_id": receiver.id,
        "minutes": minutes,
        "skill_category": "Gardening",
        "happened_on": TODAY.isoformat(),
        **more,
    }


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    return body


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
def joyce_token(joyce):
    return token_for(joyce)


@pytest.fixture
def sam_token(sam):
    return token_for(sam)


@pytest.fixture
def ravi_token(ravi):
    return token_for(ravi)


@pytest.fixture
def broker_token(broker):
    return token_for(broker)


def post(api, token: str, body, path: str = "/api/v1/transfers", **headers: str):
    return api.post(path, json=body, headers=bearer(token, **headers))


def logged_by_giver(api, joyce, sam, joyce_token, minutes=60) -> str:
    """Joyce logs that she helped Sam: it waits for Sam. Return its id."""
    response = post(api, joyce_token, exchange(joyce, sam, minutes))
    assert response.status_code == 201
    assert response.get_json()["state"] == "waiting"
    return response.get_json()["id"]


# Recording.


def test_the_receiver_records_help_and_it_is_confirmed_at_once(api, joyce, sam, sam_token):
    body = exchange(joyce, sam, 90, note="Planted the runner beans")

    response = post(api, sam_token, body)

    assert response.status_code == 201
    created = response.get_json()
    assert created | {"recorded_at": None, "giver_account_id": 0, "receiver_account_id": 0} == {
        "id": body["id"],
        "code": "exchange",
        "state": "confirmed",
        "giver_id": joyce.id,
        "receiver_id": sam.id,
        "giver_account_id": 0,
        "receiver_account_id": 0,
        "minutes": 90,
        "logged_minutes": 90,
        "happened_on": TODAY.isoformat(),
        "recorded_at": None,
        "recorded_by_id": sam.id,
        "skill_category": "Gardening",
        "note": "Planted the runner beans",
        "group_id": None,
        "reverses_id": None,
        "reason": None,
    }
    assert balance(joyce) == 90 and balance(sam) == -90

    shown = api.get(f"/api/v1/transfers/{body['id']}", headers=bearer(sam_token)).get_json()
    assert shown == created | {"giver_name": "Joyce Campbell", "receiver_name": "Sam Okafor"}


def test_the_giver_records_help_and_it_waits_for_the_receiver(api, joyce, sam, joyce_token):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)

    assert balance(joyce) == 0 and balance(sam) == 0
    shown = api.get(f"/api/v1/transfers/{transfer_id}", headers=bearer(joyce_token))
    assert shown.get_json()["state"] == "waiting"


def test_the_day_and_the_kind_of_help_may_be_left_out(api, joyce, sam, sam_token):
    body = {"id": str(uuid.uuid4()), "giver_id": joyce.id, "receiver_id": sam.id, "minutes": 30}

    response = post(api, sam_token, body)

    assert response.status_code == 201
    created = response.get_json()
    assert created["happened_on"] == utcnow().date().isoformat()
    assert created["skill_category"] is None and created["note"] == ""


def test_a_broker_records_for_two_others_and_it_is_confirmed_at_once(
    api, joyce, sam, broker, broker_token
):
    response = post(api, broker_token, exchange(joyce, sam, 45))

    assert response.status_code == 201
    assert response.get_json()["state"] == "confirmed"
    assert response.get_json()["recorded_by_id"] == broker.id
    assert balance(joyce) == 45


def test_a_member_cannot_record_for_two_others(api, joyce, sam, ravi_token):
    response = post(api, ravi_token, exchange(joyce, sam))

    assert_problem(response, 403, "not_your_exchange")
    assert transfer_count() == 0


def test_a_brokers_member_token_acts_as_a_member(api, joyce, sam, broker):
    response = post(api, token_for(broker, role="member"), exchange(joyce, sam))

    assert_problem(response, 403, "not_your_exchange")


def test_a_pending_exchange_texts_the_receiver_as_the_web_page_does(
    api, session, joyce, sam, joyce_token
):
    from timebank.sms.models import ExchangeCode

    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)

    db.session.rollback()
    code = session.query(ExchangeCode).one()
    assert str(code.transfer_id) == transfer_id and code.member_id == sam.id


# Idempotency.


def test_the_same_body_id_again_is_a_replay_with_the_first_answer(api, joyce, sam, sam_token):
    body = exchange(joyce, sam, 60)
    first = post(api, sam_token, body)

    again = post(api, sam_token, body)

    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    assert transfer_count() == 1 and balance(joyce) == 60


def test_a_replay_answers_as_first_recorded_even_after_it_was_confirmed(
    api, joyce, sam, joyce_token, sam_token
):
    body = exchange(joyce, sam, 60)
    first = post(api, joyce_token, body)
    api.post(f"/api/v1/transfers/{body['id']}/confirm", json={}, headers=bearer(sam_token))

    again = post(api, joyce_token, body)

    assert again.status_code == 200 and again.get_json() == first.get_json()


def test_a_replay_succeeds_after_the_bank_hid_its_kind_of_help(
    api, session, bank, admin, joyce, sam, sam_token
):
    from timebank.offers.skills import set_category_shown

    body = exchange(joyce, sam, 60)
    first = post(api, sam_token, body)
    set_category_shown(session, bank.id, admin.id, "Gardening", False)

    again = post(api, sam_token, body)
    changed = post(api, sam_token, body | {"minutes": 30})

    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert_problem(changed, 409, "idempotency_conflict")
    assert_problem(post(api, sam_token, exchange(joyce, sam)), 422)


def test_the_same_body_id_for_a_different_exchange_is_a_conflict(api, joyce, sam, sam_token):
    body = exchange(joyce, sam, 60)
    post(api, sam_token, body)

    response = post(api, sam_token, body | {"minutes": 30})

    body = assert_problem(response, 409, "idempotency_conflict")
    assert "already used for a different exchange" in body["detail"]
    assert transfer_count() == 1 and balance(joyce) == 60


def test_an_idempotency_key_replays_and_conflicts_like_an_id(api, joyce, sam, sam_token):
    body = exchange(joyce, sam, 60)
    del body["id"]

    first = post(api, sam_token, body, **{"Idempotency-Key": "sheet-row-17"})
    again = post(api, sam_token, body, **{"Idempotency-Key": "sheet-row-17"})
    other = post(api, sam_token, body | {"minutes": 20}, **{"Idempotency-Key": "sheet-row-17"})

    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    assert uuid.UUID(first.get_json()["id"])
    assert_problem(other, 409, "idempotency_conflict")
    assert transfer_count() == 1


def test_the_same_key_from_two_members_makes_two_exchanges(api, joyce, sam, joyce_token, sam_token):
    body = exchange(joyce, sam, 60)
    del body["id"]

    by_sam = post(api, sam_token, body, **{"Idempotency-Key": "k-1"})
    by_joyce = post(api, joyce_token, body, **{"Idempotency-Key": "k-1"})

    assert by_sam.status_code == 201 and by_joyce.status_code == 201
    assert by_sam.get_json()["id"] != by_joyce.get_json()["id"]


def test_the_body_id_wins_over_the_key(api, joyce, sam, sam_token):
    body = exchange(joyce, sam, 60)

    response = post(api, sam_token, body, **{"Idempotency-Key": "ignored"})

    assert response.get_json()["id"] == body["id"]


def test_a_write_without_id_or_key_is_refused(api, joyce, sam, sam_token):
    body = exchange(joyce, sam)
    del body["id"]

    assert "Idempotency-Key" in assert_problem(post(api, sam_token, body), 422)["detail"]
    assert transfer_count() == 0


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_an_empty_or_too_long_key_is_refused(api, joyce, sam, sam_token, key):
    body = exchange(joyce, sam)
    del body["id"]

    assert_problem(post(api, sam_token, body, **{"Idempotency-Key": key}), 422)


def test_the_kind_of_help_is_one_the_bank_shows_now(api, session, bank, admin, joyce, sam):
    from timebank.offers.skills import add_category, set_category_shown

    add_category(session, bank.id, admin.id, "Bike repairs")
    set_category_shown(session, bank.id, admin.id, "Gardening", False)
    token = token_for(sam)

    hidden = post(api, token, exchange(joyce, sam))
    own = post(api, token, exchange(joyce, sam, skill_category="Bike repairs"))

    assert "not one of this time bank's kinds of help" in assert_problem(hidden, 422)["detail"]
    assert own.status_code == 201


# Limits and other refusals from the ledger.


def test_an_overdraft_is_refused_with_the_ledgers_words(api, session, joyce, sam, sam_token):
    give(joyce, sam, 600, by=sam)  # Sam is at the -10:00 limit

    response = post(api, sam_token, exchange(joyce, sam, 30))

    body = assert_problem(response, 409, "overdraft_limit_reached")
    assert body["detail"] == (
        "This would take your balance to -10:30 (counting hours waiting to be confirmed), "
        "below the -10:00 limit. Please ask your broker."
    )
    assert balance(sam) == -600


def test_more_than_the_bank_allows_for_one_exchange_is_refused(api, joyce, sam, sam_token):
    response = post(api, sam_token, exchange(joyce, sam, 13 * 60))

    body = assert_problem(response, 422, "exchange_too_large")
    assert "more than this time bank allows" in body["detail"]


def test_a_member_who_is_not_active_cannot_trade(api, session, joyce, sam, sam_token):
    from timebank.membership.services import set_member_status

    set_member_status(session, joyce.bank_id, joyce.id, "suspended")

    assert_problem(post(api, sam_token, exchange(joyce, sam)), 409, "member_not_active")


def test_giving_to_yourself_is_refused(api, sam, sam_token):
    assert_problem(post(api, sam_token, exchange(sam, sam)), 422, "same_account")


# Bad input never reaches the ledger, and never causes a 500.


@pytest.mark.parametrize(
    "change",
    [
        {"giver_id": None},
        {"giver_id": "12"},
        {"receiver_id": 1.5},
        {"receiver_id": 10**30},
        {"giver_id": -3},
        {"minutes": "60"},
        {"minutes": 0},
        {"minutes": -30},
        {"minutes": 30.5},
        {"minutes": True},
        {"minutes": 10**30},
        {"minutes": 24 * 60 * 31 + 1},
        {"happened_on": "2026-02-30"},
        {"happened_on": "yesterday"},
        {"happened_on": 20260101},
        {"happened_on": (TODAY + dt.timedelta(days=3)).isoformat()},
        {"id": "not-a-uuid"},
        {"id": 12},
        {"note": "x" * 501},
        {"note": "nul \x00 here"},
        {"skill_category": "Juggling chainsaws"},
        {"skill_category": ""},
        {"skill_category": "x" * 61},
        {"colour": "blue"},
    ],
    ids=lambda change: repr(change)[:40],
)
def test_bad_values_are_422_problems(api, joyce, sam, sam_token, change):
    response = post(api, sam_token, exchange(joyce, sam) | change)

    assert_problem(response, 422)
    assert transfer_count() == 0


@pytest.mark.parametrize("missing", ["giver_id", "receiver_id", "minutes"])
def test_missing_fields_are_named(api, joyce, sam, sam_token, missing):
    body = exchange(joyce, sam)
    del body[missing]

    problem = assert_problem(post(api, sam_token, body), 422, "invalid_input")
    assert missing in str(problem["errors"])


@pytest.mark.parametrize("body", [[], "60", 60, None])
def test_a_body_that_is_not_an_object_is_refused(api, sam_token, body):
    response = api.post("/api/v1/transfers", json=body, headers=bearer(sam_token))

    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_a_body_that_is_not_json_is_refused(api, sam_token):
    response = api.post(
        "/api/v1/transfers",
        data="{not json",
        headers=bearer(sam_token, **{"Content-Type": "application/json"}),
    )

    assert response.status_code in (400, 422)
    assert response.mimetype == "application/problem+json"


def test_a_member_of_another_bank_is_not_found(api, joyce, sam_token):
    stranger = MemberFactory(bank=TimeBankFactory())

    assert_problem(post(api, sam_token, exchange(stranger, joyce)), 403)
    response = post(api, token_for(joyce), exchange(stranger, joyce))
    assert_problem(response, 404, "unknown_account")


# Who may see what, and practices.


def test_practice_tokens_may_not_use_transfers(api, session, bank, admin, practice, joyce, sam):
    token = create_token(session, bank.id, admin.id, "Surgery", partner_id=practice.id)[1]
    some_id = uuid.uuid4()
    calls = [
        ("post", "/api/v1/transfers", exchange(joyce, sam)),
        ("get", "/api/v1/transfers", None),
        ("get", f"/api/v1/transfers/{some_id}", None),
        ("post", f"/api/v1/transfers/{some_id}/confirm", {}),
        ("post", f"/api/v1/transfers/{some_id}/decline", {}),
        ("post", f"/api/v1/transfers/{some_id}/reverse", {"reason": "x"}),
    ]
    for method, path, body in calls:
        response = getattr(api, method)(path, json=body, headers=bearer(token))
        assert_problem(response, 403)


def test_without_a_token_it_is_401(api, joyce, sam):
    assert_problem(api.get("/api/v1/transfers"), 401)
    assert_problem(api.post("/api/v1/transfers", json=exchange(joyce, sam)), 401)


def test_an_exchange_is_seen_by_its_people_and_brokers_only(
    api, joyce, sam, ravi_token, sam_token, broker_token
):
    body = exchange(joyce, sam)
    post(api, sam_token, body)
    path = f"/api/v1/transfers/{body['id']}"

    assert api.get(path, headers=bearer(sam_token)).status_code == 200
    assert api.get(path, headers=bearer(broker_token)).status_code == 200
    assert_problem(api.get(path, headers=bearer(ravi_token)), 404)
    assert_problem(api.get(f"/api/v1/transfers/{uuid.uuid4()}", headers=bearer(sam_token)), 404)
    assert api.get("/api/v1/transfers/not-a-uuid", headers=bearer(sam_token)).status_code == 404


def test_another_banks_exchanges_are_not_found(api, joyce, sam, sam_token, broker_token):
    other = TimeBankFactory()
    theirs = give(MemberFactory(bank=other), MemberFactory(bank=other), 60)
    mine = exchange(joyce, sam)
    post(api, sam_token, mine)
    their_broker = token_for(MemberFactory(bank=other, role="broker"))

    for transfer_id, member, broker in (
        (theirs.id, sam_token, broker_token),
        (mine["id"], their_broker, their_broker),
    ):
        path = f"/api/v1/transfers/{transfer_id}"
        for token in (member, broker):
            assert_problem(api.get(path, headers=bearer(token)), 404)
            for action in ("confirm", "decline"):
                assert_problem(api.post(f"{path}/{action}", json={}, headers=bearer(token)), 404)
        reverse = {"id": str(uuid.uuid4()), "reason": "Typo"}
        assert_problem(api.post(f"{path}/reverse", json=reverse, headers=bearer(broker)), 404)


# Confirm and decline.


def test_the_receiver_confirms_and_the_hours_move(api, joyce, sam, joyce_token, sam_token):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)
    path = f"/api/v1/transfers/{transfer_id}/confirm"

    first = api.post(path, json={}, headers=bearer(sam_token))
    again = api.post(path, headers=bearer(sam_token))

    assert first.status_code == 200 and first.get_json()["state"] == "confirmed"
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert balance(joyce) == 60 and balance(sam) == -60
    assert transfer_count() == 2


def test_the_receiver_confirms_fewer_minutes_but_not_more(api, joyce, sam, joyce_token, sam_token):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)
    path = f"/api/v1/transfers/{transfer_id}/confirm"

    too_many = api.post(path, json={"minutes": 90}, headers=bearer(sam_token))
    fewer = api.post(path, json={"minutes": 45}, headers=bearer(sam_token))

    assert_problem(too_many, 422, "confirm_too_much")
    assert fewer.get_json()["minutes"] == 45 and fewer.get_json()["logged_minutes"] == 60
    assert balance(joyce) == 45
    assert_problem(api.post(path, json={"minutes": 30}, headers=bearer(sam_token)), 409)


@pytest.mark.parametrize("minutes", [-5, 0, "ten", 10**20, 2.5])
def test_confirming_bad_minutes_is_422(api, joyce, sam, joyce_token, sam_token, minutes):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)

    response = api.post(
        f"/api/v1/transfers/{transfer_id}/confirm",
        json={"minutes": minutes},
        headers=bearer(sam_token),
    )

    assert_problem(response, 422)


def test_the_giver_cannot_confirm_their_own_claim_and_others_cannot_see_it(
    api, joyce, sam, joyce_token, ravi_token, broker
):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)
    path = f"/api/v1/transfers/{transfer_id}/confirm"

    assert_problem(api.post(path, json={}, headers=bearer(joyce_token)), 403, "not_your_exchange")
    assert_problem(api.post(path, json={}, headers=bearer(ravi_token)), 404)
    member_token = token_for(broker, role="member")
    assert_problem(api.post(path, json={}, headers=bearer(member_token)), 404)
    assert balance(joyce) == 0


def test_a_broker_can_confirm_for_the_receiver(api, joyce, sam, joyce_token, broker_token):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)

    response = api.post(
        f"/api/v1/transfers/{transfer_id}/confirm", json={}, headers=bearer(broker_token)
    )

    assert response.get_json()["state"] == "confirmed" and balance(joyce) == 60


def test_confirming_an_exchange_that_did_not_wait_is_409(api, joyce, sam, sam_token):
    body = exchange(joyce, sam)
    post(api, sam_token, body)

    response = api.post(
        f"/api/v1/transfers/{body['id']}/confirm", json={}, headers=bearer(sam_token)
    )

    assert_problem(response, 409, "not_pending")


def test_the_receiver_declines_with_a_reason(api, joyce, sam, joyce_token, sam_token):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)
    path = f"/api/v1/transfers/{transfer_id}/decline"

    first = api.post(path, json={"reason": "It was only half an hour"}, headers=bearer(sam_token))
    again = api.post(path, json={"reason": "It was only half an hour"}, headers=bearer(sam_token))

    assert first.status_code == 200
    assert first.get_json()["state"] == "declined" and first.get_json()["minutes"] == 0
    assert first.get_json()["reason"] == "It was only half an hour"
    assert again.get_json() == first.get_json()
    confirm = api.post(f"/api/v1/transfers/{transfer_id}/confirm", headers=bearer(sam_token))
    assert_problem(confirm, 409, "already_resolved")
    assert balance(joyce) == 0 and balance(sam) == 0


def test_the_giver_withdraws_but_an_outsider_cannot_decline(
    api, joyce, sam, joyce_token, ravi_token
):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)
    path = f"/api/v1/transfers/{transfer_id}/decline"

    assert_problem(api.post(path, json={}, headers=bearer(ravi_token)), 404)
    withdrawn = api.post(path, json={"reason": "Logged twice"}, headers=bearer(joyce_token))

    assert withdrawn.get_json()["state"] == "declined"


@pytest.mark.parametrize("body", [{"reason": 12}, {"reason": "x" * 501}, {"why": "no"}])
def test_declining_with_bad_input_is_422(api, joyce, sam, joyce_token, sam_token, body):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)

    response = api.post(
        f"/api/v1/transfers/{transfer_id}/decline", json=body, headers=bearer(sam_token)
    )

    assert_problem(response, 422)


# Reverse.


def test_a_broker_reverses_a_confirmed_exchange_once(api, joyce, sam, sam_token, broker_token):
    body = exchange(joyce, sam, 60)
    post(api, sam_token, body)
    path = f"/api/v1/transfers/{body['id']}/reverse"
    reversal = {"id": str(uuid.uuid4()), "reason": "Logged by mistake"}

    first = api.post(path, json=reversal, headers=bearer(broker_token))
    again = api.post(path, json=reversal, headers=bearer(broker_token))
    conflict = api.post(path, json=reversal | {"reason": "Other"}, headers=bearer(broker_token))
    second = api.post(
        path, json={"reason": "Again"}, headers=bearer(broker_token, **{"Idempotency-Key": "r2"})
    )

    assert first.status_code == 201, first.get_json()
    made = first.get_json()
    assert made["id"] == reversal["id"] and made["code"] == "reversal"
    assert made["reverses_id"] == body["id"] and made["reason"] == "Logged by mistake"
    assert made["giver_id"] == sam.id and made["receiver_id"] == joyce.id
    assert again.status_code == 200 and again.get_json() == made
    assert_problem(conflict, 409, "idempotency_conflict")
    assert_problem(second, 409, "already_reversed")
    assert balance(joyce) == 0 and balance(sam) == 0


def test_reversing_an_exchange_confirmed_after_waiting_undoes_the_confirmation(
    api, joyce, sam, joyce_token, sam_token, broker_token
):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)
    api.post(
        f"/api/v1/transfers/{transfer_id}/confirm", json={"minutes": 40}, headers=bearer(sam_token)
    )

    response = api.post(
        f"/api/v1/transfers/{transfer_id}/reverse",
        json={"reason": "Wrong person"},
        headers=bearer(broker_token, **{"Idempotency-Key": "fix-1"}),
    )

    assert response.status_code == 201
    assert response.get_json()["reverses_id"] == transfer_id
    assert response.get_json()["minutes"] == 40
    assert balance(joyce) == 0 and balance(sam) == 0


def test_only_brokers_reverse_and_waiting_exchanges_are_declined_instead(
    api, joyce, sam, joyce_token, sam_token, broker_token
):
    transfer_id = logged_by_giver(api, joyce, sam, joyce_token)
    path = f"/api/v1/transfers/{transfer_id}/reverse"
    body = {"id": str(uuid.uuid4()), "reason": "Mistake"}

    assert_problem(api.post(path, json=body, headers=bearer(sam_token)), 403)
    assert_problem(api.post(path, json=body, headers=bearer(broker_token)), 409, "cannot_reverse")


@pytest.mark.parametrize(
    "body",
    [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"id": "nope", "reason": "x"}],
)
def test_reversing_needs_a_reason_and_an_id(api, joyce, sam, sam_token, broker_token, body):
    made = exchange(joyce, sam)
    post(api, sam_token, made)
    body = {"id": str(uuid.uuid4())} | body

    response = api.post(
        f"/api/v1/transfers/{made['id']}/reverse", json=body, headers=bearer(broker_token)
    )

    assert_problem(response, 422)
    no_id = api.post(
        f"/api/v1/transfers/{made['id']}/reverse",
        json={"reason": "Typo"},
        headers=bearer(broker_token),
    )
    assert_problem(no_id, 422)


# Listing.


def _walk(api, token: str, query: str = "", limit: int = 2) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/transfers?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(url, headers=bearer(token))
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        assert len(page["items"]) <= limit
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items
        assert pages < 50


@pytest.fixture
def history(session, joyce, sam, ravi):
    """Eleven exchanges of Sam's over five days, three sharing one moment, and one of Ravi's."""
    made = []
    stamp = utcnow()
    # Dated by the day of the earliest moment below, so no exchange is dated after the day
    # it was recorded on, even when the test runs in the minutes after midnight.
    today = (stamp - dt.timedelta(minutes=10)).date()
    for index in range(11):
        day = today - dt.timedelta(days=index % 5)
        giver, receiver = (joyce, sam) if index % 2 else (sam, joyce)
        at = stamp if index < 3 else stamp - dt.timedelta(minutes=index)
        result = record_exchange(
            session,
            ExchangeRequest(
                transfer_id=uuid.uuid4(),
                bank_id=sam.bank_id,
                giver_id=giver.id,
                receiver_id=receiver.id,
                minutes=10 + index,
                recorded_by_id=giver.id if index % 3 == 0 else receiver.id,
                happened_on=today if index < 3 else day,
            ),
            now=lambda at=at: at,
        )
        made.append(result)
    give(joyce, ravi, 5, by=ravi)
    return made


def test_paging_walks_every_exchange_once_newest_first(api, sam_token, history):
    items = _walk(api, sam_token, limit=2)

    assert sorted(item["id"] for item in items) == sorted(str(r.id) for r in history)
    keys = [(i["happened_on"], i["recorded_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    assert _walk(api, sam_token, limit=200) == items


def test_a_page_says_when_there_is_no_more(api, sam_token, history):
    page = api.get("/api/v1/transfers?limit=200", headers=bearer(sam_token)).get_json()

    assert len(page["items"]) == 11 and page["next_cursor"] is None
    assert {"giver_name", "receiver_name"} <= set(page["items"][0])


def test_filters_by_state_and_day(api, sam_token, history):
    waiting = _walk(api, sam_token, "&state=waiting")
    confirmed = _walk(api, sam_token, "&state=confirmed", limit=3)
    declined = _walk(api, sam_token, "&state=declined")
    day = (TODAY - dt.timedelta(days=2)).isoformat()
    since = _walk(api, sam_token, f"&from={day}")
    until = _walk(api, sam_token, f"&to={day}&state=confirmed")

    assert {i["state"] for i in waiting} == {"waiting"} and waiting
    assert {i["state"] for i in confirmed} == {"confirmed"}
    assert len(waiting) + len(confirmed) == 11 and declined == []
    assert since and all(i["happened_on"] >= day for i in since)
    assert until and all(i["happened_on"] <= day and i["state"] == "confirmed" for i in until)
    assert len(_walk(api, sam_token, f"&from={day}&to={day}")) == len(
        [i for i in since if i["happened_on"] == day]
    )


def test_a_broker_lists_anyones_a_member_only_their_own(
    api, ravi, sam, sam_token, ravi_token, broker_token, history
):
    for_ravi = _walk(api, broker_token, f"&member_id={ravi.id}")
    mine = _walk(api, ravi_token)
    brokers_own = _walk(api, broker_token)

    assert len(for_ravi) == 1 and for_ravi == mine
    assert brokers_own == []
    assert len(_walk(api, sam_token, f"&member_id={sam.id}")) == 11
    assert_problem(
        api.get(f"/api/v1/transfers?member_id={sam.id}", headers=bearer(ravi_token)), 403
    )
    stranger = MemberFactory(bank=TimeBankFactory())
    response = api.get(f"/api/v1/transfers?member_id={stranger.id}", headers=bearer(broker_token))
    assert_problem(response, 404)


# Fixed, not random: parallel test workers must collect the same test names.
A_TRANSFER_ID = "00000000-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=201",
        "limit=ten",
        "state=lost",
        "from=2026-13-01",
        "to=soon",
        "member_id=abc",
        "member_id=99999999999999999999",
        "cursor=%%%",
        "cursor=bm90IGpzb24",
        f"cursor={encode_cursor([1, 2, 3])}",
        f"cursor={encode_cursor(['2026-01-01', '2026-01-01T00:00:00+00:00', 'nope'])}",
        f"cursor={encode_cursor(['2026-01-01', 5, A_TRANSFER_ID])}",
        f"cursor={encode_cursor(['x'])}",
        f"cursor={encode_cursor(['2026-01-01', '0001-01-01T00:00:00+05:00', A_TRANSFER_ID])}",
    ],
)
def test_bad_list_parameters_are_422(api, sam_token, query):
    response = api.get(f"/api/v1/transfers?{query}", headers=bearer(sam_token))

    assert_problem(response, 422)
