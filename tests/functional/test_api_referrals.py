"""GET /api/v1/referrals: brokers see referrals in full; a practice only its own, in outline."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.membership.tokens import create_token
from timebank.referrals import partners
from timebank.referrals.models import Referral
from timebank.referrals.sms import handle_invitation_answer, handle_refer
from timebank.sms.commands import parse_text

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
PRACTICE_FIELDS = {
    "id",
    "reference",
    "status",
    "partner_id",
    "created_at",
    "updated_at",
    "invited_at",
    "answered_at",
    "joined_at",
    "first_exchange_at",
    "closed_at",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refer(session, bank, partner, body: str) -> Referral:
    handle_refer(session, bank, partner, parse_text(body), NOW)
    session.commit()
    return session.scalars(sa.select(Referral).order_by(Referral.id.desc())).first()


@pytest.fixture
def other_practice(session, bank, admin):
    partner = partners.add_partner(session, bank.id, admin.id, "Catford Surgery")
    partners.add_partner_number(session, bank.id, admin.id, partner.id, "07400 000222")
    return partner


@pytest.fixture
def jane(session, bank, practice):
    referral = refer(session, bank, practice, "REFER 07812 345678 Jane lonely, NHS 943 476 5919")
    handle_invitation_answer(session, bank, "+447812345678", True, NOW)
    session.commit()
    return referral


@pytest.fixture
def bob(session, bank, other_practice):
    return refer(session, bank, other_practice, "REFER 07812 345111 Bob bad hip")


@pytest.fixture
def broker_token(session, bank, broker):
    return create_token(session, bank.id, broker.id, "Referral app")[1]


@pytest.fixture
def practice_token(session, bank, admin, practice):
    return create_token(session, bank.id, admin.id, "Surgery system", partner_id=practice.id)[1]


def test_a_broker_lists_every_referral_with_its_reason(client, jane, bob, broker_token):
    body = client.get("/api/v1/referrals", headers=bearer(broker_token)).get_json()

    assert [item["id"] for item in body["items"]] == [jane.id, bob.id]
    first = body["items"][0]
    assert first["first_name"] == "Jane" and first["mobile"] == "+447812345678"
    assert first["status"] == "consented" and first["partner_name"] == "Ravensbourne Health Centre"
    # The NHS number was stripped when the text arrived; the API shows what was kept.
    assert "lonely" in first["reason"] and "943" not in first["reason"]
    assert body["next_cursor"] is None


def test_a_broker_filters_by_status_and_partner_and_pages_with_a_cursor(
    client, jane, bob, broker_token, other_practice
):
    headers = bearer(broker_token)
    invited = client.get("/api/v1/referrals?status=invited", headers=headers).get_json()
    theirs = client.get(
        f"/api/v1/referrals?partner_id={other_practice.id}", headers=headers
    ).get_json()
    first = client.get("/api/v1/referrals?limit=1", headers=headers).get_json()
    second = client.get(
        f"/api/v1/referrals?limit=1&cursor={first['next_cursor']}", headers=headers
    ).get_json()

    assert [item["id"] for item in invited["items"]] == [bob.id]
    assert [item["id"] for item in theirs["items"]] == [bob.id]
    assert [item["id"] for item in first["items"] + second["items"]] == [jane.id, bob.id]
    assert second["next_cursor"] is None


def test_a_broker_sees_one_referral_with_its_steps(client, jane, broker_token):
    response = client.get(f"/api/v1/referrals/{jane.id}", headers=bearer(broker_token))

    body = response.get_json()
    assert response.status_code == 200 and body["reference"] == f"R-{jane.id:04d}"
    assert [step["status"] for step in body["steps"]] == ["received", "invited", "consented"]
    assert body["same_mobile_member_id"] is None and body["member_id"] is None


def test_a_practice_sees_only_its_own_referrals_without_names_or_reasons(
    client, jane, bob, practice_token
):
    listed = client.get("/api/v1/referrals", headers=bearer(practice_token)).get_json()
    one = client.get(f"/api/v1/referrals/{jane.id}", headers=bearer(practice_token))
    other = client.get(f"/api/v1/referrals/{bob.id}", headers=bearer(practice_token))

    assert [item["id"] for item in listed["items"]] == [jane.id]
    assert set(listed["items"][0]) == PRACTICE_FIELDS
    assert set(one.get_json()) == PRACTICE_FIELDS and one.get_json()["status"] == "consented"
    assert "Jane" not in one.get_data(as_text=True)
    assert other.status_code == 404


def test_a_practice_cannot_widen_its_view_with_the_partner_filter(
    client, bob, practice_token, other_practice
):
    response = client.get(
        f"/api/v1/referrals?partner_id={other_practice.id}", headers=bearer(practice_token)
    )

    assert response.status_code == 200 and response.get_json()["items"] == []


def test_members_are_refused_and_other_banks_see_nothing(client, session, bank, jane):
    member = MemberFactory(bank=bank)
    member_token = create_token(session, member.bank_id, member.id, "Phone")[1]
    stranger = MemberFactory(bank=TimeBankFactory(), role="broker")
    stranger_token = create_token(session, stranger.bank_id, stranger.id, "Other")[1]

    refused = client.get("/api/v1/referrals", headers=bearer(member_token))
    elsewhere = client.get(f"/api/v1/referrals/{jane.id}", headers=bearer(stranger_token))
    listed = client.get("/api/v1/referrals", headers=bearer(stranger_token)).get_json()

    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert elsewhere.status_code == 404 and listed["items"] == []


@pytest.mark.parametrize(
    "query",
    ["status=lost", "partner_id=abc", "partner_id=0", "limit=0", "cursor=bm90LWEtbGlzdA=="],
)
def test_bad_filters_and_cursors_are_422(client, broker_token, query):
    response = client.get(f"/api/v1/referrals?{query}", headers=bearer(broker_token))

    assert response.status_code == 422 and response.get_json()["code"] == "invalid_input"


def test_a_huge_id_is_simply_not_found(client, broker_token):
    response = client.get(f"/api/v1/referrals/{10**12}", headers=bearer(broker_token))

    assert response.status_code == 404


# --- A practice makes a referral ----------------------------------------------------------


def new_referral(**changes):
    return {"mobile": "07812 999888", "first_name": "Mary", "reason": "lonely"} | changes


def test_a_practice_refers_a_patient_as_by_text(client, session, bank, practice, practice_token):
    body = new_referral(reason="lonely since her fall, NHS 943 476 5919")

    response = client.post("/api/v1/referrals", headers=bearer(practice_token), json=body)

    made = response.get_json()
    assert response.status_code == 201 and made["status"] == "invited"
    assert set(made) == PRACTICE_FIELDS | {"reason_redacted"} and made["reason_redacted"] is True
    session.rollback()
    stored = session.get(Referral, made["id"])
    assert (stored.partner_id, stored.first_name, stored.patient_e164) == (
        practice.id,
        "Mary",
        "+447812999888",
    )
    assert "943" not in stored.reason and "lonely since her fall" in stored.reason


def test_a_second_referral_of_the_same_patient_is_a_conflict(client, jane, practice_token):
    body = new_referral(mobile="07812 345678")

    response = client.post("/api/v1/referrals", headers=bearer(practice_token), json=body)

    assert response.status_code == 409 and response.get_json()["code"] == "already_referred"
    assert f"R-{jane.id:04d}" in response.get_json()["detail"]


@pytest.mark.parametrize(
    "changes",
    [
        {"mobile": "020 7946 0000"},
        {"mobile": "not a number"},
        {"first_name": "  "},
        {"reason": "x" * 201},
        {"first_name": "Ma\x00ry"},
    ],
    ids=["landline", "unreadable", "blank name", "long reason", "control character"],
)
def test_a_referral_the_text_path_would_refuse_is_422_and_nothing_is_saved(
    client, session, practice_token, changes
):
    response = client.post(
        "/api/v1/referrals", headers=bearer(practice_token), json=new_referral(**changes)
    )

    assert response.status_code == 422
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_only_a_practices_token_makes_referrals_and_not_while_paused(
    client, session, bank, admin, broker_token, practice, practice_token
):
    broker = client.post("/api/v1/referrals", headers=bearer(broker_token), json=new_referral())
    partners.set_partner_active(session, bank.id, admin.id, practice.id, False)
    paused = client.post("/api/v1/referrals", headers=bearer(practice_token), json=new_referral())

    assert (broker.status_code, paused.status_code) == (403, 403)
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 0


def test_members_are_refused_before_their_input_is_read(client, session, bank):
    member = MemberFactory(bank=bank)
    token = create_token(session, bank.id, member.id, "Phone")[1]

    listed = client.get("/api/v1/referrals?status=lost", headers=bearer(token))
    made = client.post("/api/v1/referrals", headers=bearer(token), json={"mobile": 7})

    assert (listed.status_code, made.status_code) == (403, 403)
