"""/api/v1/pot: gifts to and grants from the community pot; and members' real join dates."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import OwnContextClient, balance, transfer_count
from timebank.extensions import db
from timebank.members.models import Member
from timebank.membership.services import set_member_status
from timebank.membership.tokens import create_token
from timebank.tenancy.models import BrokerAction


def bearer(token: str, **more: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **more}


def token_for(member, role: str | None = None) -> str:
    return create_token(db.session, member.bank_id, member.id, "Laptop", role=role)[1]


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
def broker_token(broker):
    return token_for(broker)


def donate(api, token, member, minutes, **more):
    body = {"id": str(uuid.uuid4()), "member_id": member.id, "minutes": minutes, **more}
    return api.post("/api/v1/pot/donations", json=body, headers=bearer(token))


def grant(api, token, member, minutes, reason="After a hospital stay", **more):
    body = {"id": str(uuid.uuid4()), "member_id": member.id, "minutes": minutes, "reason": reason}
    return api.post("/api/v1/pot/grants", json=body | more, headers=bearer(token))


def pot_minutes(api, token) -> int:
    response = api.get("/api/v1/pot", headers=bearer(token))
    assert response.status_code == 200
    return response.get_json()["balance_minutes"]


def test_a_broker_records_a_gift_and_a_grant_and_reads_the_pot(api, bank, broker, broker_token):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)

    gave = donate(api, broker_token, sam, 120, note="Moving away")
    granted = grant(api, broker_token, jo, 45)

    assert gave.status_code == 201 and granted.status_code == 201
    assert gave.get_json() | {"id": None, "recorded_at": None, "happened_on": None} == {
        "id": None,
        "code": "donation",
        "member_id": sam.id,
        "minutes": 120,
        "happened_on": None,
        "recorded_at": None,
        "recorded_by_id": broker.id,
        "note": "Moving away",
        "reason": None,
        "pot_balance_minutes": 120,
    }
    body = granted.get_json()
    assert (body["code"], body["member_id"], body["reason"]) == (
        "grant",
        jo.id,
        "After a hospital stay",
    )
    assert body["pot_balance_minutes"] == 75
    assert (balance(sam), balance(jo), pot_minutes(api, broker_token)) == (-120, 45, 75)


def test_the_same_id_again_answers_200_and_a_different_body_409(api, bank, broker_token):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    donate(api, broker_token, sam, 120)
    same = str(uuid.uuid4())

    first = grant(api, broker_token, jo, 60, id=same)
    again = grant(api, broker_token, jo, 60, id=same)
    other = grant(api, broker_token, jo, 30, id=same)
    keyed = [
        api.post(
            "/api/v1/pot/donations",
            json={"member_id": sam.id, "minutes": 15},
            headers=bearer(broker_token, **{"Idempotency-Key": "gift-1"}),
        )
        for _ in range(2)
    ]

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"] == same
    assert_problem(other, 409, "idempotency_conflict")
    assert [response.status_code for response in keyed] == [201, 200]
    assert (balance(jo), transfer_count()) == (60, 3)


def test_a_grant_bigger_than_the_pot_holds_is_409_in_plain_words(api, bank, broker_token):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    donate(api, broker_token, sam, 30)

    body = assert_problem(grant(api, broker_token, jo, 31), 409, "pot_too_low")

    assert "holds 30 minutes, so it cannot give 31 minutes" in body["detail"]
    assert (balance(jo), pot_minutes(api, broker_token), transfer_count()) == (0, 30, 1)


def test_a_gift_from_a_suspended_member_or_past_the_overdraft_is_409(
    api, session, bank, broker_token
):
    sam = MemberFactory(bank=bank, display_name="Sam Okafor")
    jo = MemberFactory(bank=bank)
    set_member_status(session, bank.id, sam.id, "suspended")

    suspended = assert_problem(donate(api, broker_token, sam, 30), 409, "member_not_active")
    too_much = assert_problem(donate(api, broker_token, jo, 601), 409, "overdraft_limit_reached")

    assert "Sam Okafor is not an active member (suspended)" in suspended["detail"]
    assert "below the -10:00 limit" in too_much["detail"]
    assert transfer_count() == 0


def test_members_get_403_even_for_their_own_hours(api, bank):
    sam = MemberFactory(bank=bank)
    token = token_for(sam)

    assert_problem(api.get("/api/v1/pot", headers=bearer(token)), 403)
    assert_problem(donate(api, token, sam, 30), 403)
    assert_problem(grant(api, token, sam, 30), 403)
    assert transfer_count() == 0


def test_another_banks_member_is_404(api, bank, broker_token):
    stranger = MemberFactory(bank=TimeBankFactory())
    sam = MemberFactory(bank=bank)
    donate(api, broker_token, sam, 60)

    assert_problem(grant(api, broker_token, stranger, 30), 404, "unknown_account")
    assert_problem(donate(api, broker_token, stranger, 30), 404, "unknown_account")
    assert (balance(stranger), transfer_count()) == (0, 1)


def test_a_grant_needs_a_reason_that_is_not_blank(api, bank, broker_token):
    sam = MemberFactory(bank=bank)
    donate(api, broker_token, sam, 60)

    assert_problem(grant(api, broker_token, sam, 30, reason="   "), 422)
    missing = {"id": str(uuid.uuid4()), "member_id": sam.id, "minutes": 30}
    no_reason = api.post("/api/v1/pot/grants", json=missing, headers=bearer(broker_token))
    assert no_reason.status_code == 422
    assert transfer_count() == 1


# PUT /api/v1/members/{id}/joined-on


def put_join_date(api, token, member_id, day: str, reason="On the paper register"):
    return api.put(
        f"/api/v1/members/{member_id}/joined-on",
        json={"joined_on": day, "reason": reason},
        headers=bearer(token),
    )


def stored_join_date(session, member) -> dt.date:
    session.rollback()
    stamp = session.scalar(sa.select(Member.joined_at).where(Member.id == member.id))
    return (stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp).date()


def test_a_broker_sets_a_members_real_join_date(api, session, bank, broker, broker_token):
    ivy = MemberFactory(bank=bank)
    before = stored_join_date(session, ivy)

    response = put_join_date(api, broker_token, ivy.id, "2019-03-04")

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["joined_at"].startswith("2019-03-04")
    assert stored_join_date(session, ivy) == dt.date(2019, 3, 4)
    line = session.scalars(sa.select(BrokerAction)).one()
    assert (line.action, line.broker_id, line.member_id) == ("join_date_set", broker.id, ivy.id)
    assert line.detail == f"from {before.isoformat()} to 2019-03-04: On the paper register"


def test_a_future_or_too_early_join_date_or_blank_reason_is_422(api, session, bank, broker_token):
    ivy = MemberFactory(bank=bank)
    before = stored_join_date(session, ivy)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()

    future = assert_problem(put_join_date(api, broker_token, ivy.id, tomorrow), 422)
    early = assert_problem(put_join_date(api, broker_token, ivy.id, "1989-12-31"), 422)
    blank = assert_problem(put_join_date(api, broker_token, ivy.id, "2019-01-01", "  "), 422)

    assert "is in the future" in future["detail"]
    assert "before 1 January 1990" in early["detail"]
    assert "Say why the join date changes" in blank["detail"]
    assert stored_join_date(session, ivy) == before
    assert session.scalar(sa.select(sa.func.count()).select_from(BrokerAction)) == 0


def test_members_get_403_and_another_banks_member_404(api, session, bank, broker_token):
    ivy = MemberFactory(bank=bank)
    stranger = MemberFactory(bank=TimeBankFactory())
    before = stored_join_date(session, stranger)

    assert_problem(put_join_date(api, token_for(ivy), ivy.id, "2019-01-01"), 403)
    assert_problem(put_join_date(api, broker_token, stranger.id, "2019-01-01"), 404)
    assert stored_join_date(session, stranger) == before
