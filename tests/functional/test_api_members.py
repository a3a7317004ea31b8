"""The members API: brokers search, read and sign up members; admins change their status."""

from __future__ import annotations

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from timebank.extensions import db
from timebank.members.models import Member
from timebank.membership.tokens import create_token
from timebank.sms.models import OutboxMessage


def bearer(member: Member, **kwargs) -> dict[str, str]:
    token = create_token(db.session, member.bank_id, member.id, "Tests", **kwargs)[1]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def as_broker(broker):
    return bearer(broker)


@pytest.fixture
def joyce(bank):
    return MemberFactory(bank=bank, display_name="Joyce Campbell", area="Catford")


def test_a_broker_lists_members_and_finds_them_by_name_status_and_role(
    client, bank, broker, joyce, as_broker
):
    MemberFactory(bank=bank, display_name="Sam Green", status="suspended")

    everyone = client.get("/api/v1/members", headers=as_broker).get_json()
    found = client.get("/api/v1/members?q=joyce", headers=as_broker).get_json()
    suspended = client.get("/api/v1/members?status=suspended", headers=as_broker).get_json()
    brokers = client.get("/api/v1/members?role=broker", headers=as_broker).get_json()

    assert [m["display_name"] for m in everyone["items"]] == [
        "Bea Broker",
        "Joyce Campbell",
        "Sam Green",
    ]
    assert everyone["next_cursor"] is None
    assert [m["id"] for m in found["items"]] == [joyce.id]
    assert found["items"][0]["area"] == "Catford" and found["items"][0]["status"] == "active"
    assert [m["display_name"] for m in suspended["items"]] == ["Sam Green"]
    assert [m["id"] for m in brokers["items"]] == [broker.id]


def test_the_next_cursor_walks_every_member_exactly_once(client, bank, as_broker):
    for n in range(6):
        MemberFactory(bank=bank, display_name=f"Walker {n}")
    seen, cursor = [], None
    for _ in range(10):
        query = "/api/v1/members?q=walker&limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(query, headers=as_broker).get_json()
        seen += [m["display_name"] for m in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"Walker {n}" for n in range(6)]


def test_a_broker_sees_a_members_details_and_balance(client, joyce, as_broker):
    response = client.get(f"/api/v1/members/{joyce.id}", headers=as_broker)

    body = response.get_json()
    assert response.status_code == 200
    assert body["display_name"] == "Joyce Campbell" and body["mobile"].startswith("+447")
    assert body["role"] == "member" and body["erased"] is False
    assert body["joined_at"].endswith("+00:00")
    assert body["balance"] == {
        "member_id": joyce.id,
        "balance_minutes": 0,
        "min_balance_minutes": body["balance"]["min_balance_minutes"],
        "max_balance_minutes": body["balance"]["max_balance_minutes"],
        "waiting_to_come_in_minutes": 0,
        "waiting_to_go_out_minutes": 0,
    }


def test_a_broker_signs_up_a_member_who_gets_a_welcome_text(session, client, bank, as_broker):
    response = client.post(
        "/api/v1/members",
        headers=as_broker,
        json={"name": "Rita Moss", "mobile": "07123 999001", "skills": "Baking", "consent": True},
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["display_name"] == "Rita Moss" and body["mobile"] == "+447123999001"
    assert body["status"] == "active" and body["skills"] == "Baking"
    texts = session.query(OutboxMessage).filter_by(to_e164="+447123999001").all()
    assert [t.purpose for t in texts] == ["welcome"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "Rita Moss", "mobile": "12", "consent": True}, "phone number"),
        ({"name": "Rita Moss", "consent": False}, "agree"),
        ({"name": "", "consent": True}, None),
        ({"name": "Rita Moss"}, None),
        ({"name": "Rita Moss", "consent": "perhaps"}, None),
        ({"name": "Rita Moss", "consent": True, "shoe_size": 9}, None),
        ({"name": "x" * 81, "consent": True}, None),
        ({"name": "Rita\x00Moss", "consent": True}, None),
    ],
    ids=[
        "bad phone",
        "no consent",
        "no name",
        "consent missing",
        "not a boolean",
        "unknown",
        "long",
        "nul",
    ],
)
def test_bad_sign_up_details_are_a_422_problem_in_plain_words(client, as_broker, body, words):
    response = client.post("/api/v1/members", headers=as_broker, json=body)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    if words:
        assert words in response.get_json()["detail"]
    assert db.session.query(Member).filter_by(display_name="Rita Moss").count() == 0


def test_a_mobile_number_someone_already_has_is_a_422(client, joyce, as_broker):
    response = client.post(
        "/api/v1/members",
        headers=as_broker,
        json={"name": "Rita Moss", "mobile": joyce.mobile_e164, "consent": True},
    )
    assert response.status_code == 422 and "already has" in response.get_json()["detail"]


def test_an_admin_changes_a_members_status(client, admin, joyce):
    response = client.patch(
        f"/api/v1/members/{joyce.id}/status", headers=bearer(admin), json={"status": "suspended"}
    )

    assert response.status_code == 200 and response.get_json()["status"] == "suspended"
    db.session.expire_all()
    assert db.session.get(Member, joyce.id).status == "suspended"


@pytest.mark.parametrize("status", ["applicant", "gone", "", None, 3])
def test_an_unknown_status_is_a_422(client, admin, joyce, status):
    response = client.patch(
        f"/api/v1/members/{joyce.id}/status", headers=bearer(admin), json={"status": status}
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_a_broker_cannot_change_a_status(client, joyce, as_broker):
    response = client.patch(
        f"/api/v1/members/{joyce.id}/status", headers=as_broker, json={"status": "left"}
    )
    assert response.status_code == 403


def test_members_and_practice_tokens_get_403_everywhere(client, bank, admin, joyce, practice):
    for headers in (bearer(joyce), bearer(admin, partner_id=practice.id)):
        assert client.get("/api/v1/members", headers=headers).status_code == 403
        assert client.get(f"/api/v1/members/{joyce.id}", headers=headers).status_code == 403
        posted = client.post("/api/v1/members", headers=headers, json={"name": "X"})
        assert posted.status_code == 403
        patched = client.patch(
            f"/api/v1/members/{joyce.id}/status", headers=headers, json={"status": "left"}
        )
        assert patched.status_code == 403


def test_an_admins_member_role_token_is_treated_as_a_member(client, admin, joyce):
    headers = bearer(admin, role="member")
    assert client.get(f"/api/v1/members/{joyce.id}", headers=headers).status_code == 403


def test_another_banks_members_are_404_and_never_listed(client, admin, as_broker):
    other = MemberFactory(bank=TimeBankFactory(), display_name="Otto Other")

    listed = client.get("/api/v1/members?q=otto", headers=as_broker).get_json()
    read = client.get(f"/api/v1/members/{other.id}", headers=as_broker)
    patched = client.patch(
        f"/api/v1/members/{other.id}/status", headers=bearer(admin), json={"status": "left"}
    )

    assert listed["items"] == []
    assert read.status_code == 404 and read.mimetype == "application/problem+json"
    assert patched.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=abc",
        "limit=201",
        "cursor=nonsense",
        "cursor=WyJhIl0=",
        "status=x",
        "role=king",
        "q=a%00b",
        "cursor=Wzk5OTk5OTk5OTk5OTk5OTk5OTk5XQ==",
    ],
)
def test_bad_list_arguments_are_a_422_not_a_server_error(client, as_broker, query):
    response = client.get(f"/api/v1/members?{query}", headers=as_broker)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"


def test_an_id_too_large_for_the_database_is_a_404(client, as_broker):
    response = client.get("/api/v1/members/99999999999999999999", headers=as_broker)
    assert response.status_code == 404
