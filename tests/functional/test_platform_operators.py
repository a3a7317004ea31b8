"""Platform operators: above every bank, kept apart from members, and suspending a bank."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import OwnContextClient
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.signin import set_password
from timebank.membership.tokens import create_token
from timebank.operators.access import add_operator, remove_operator
from timebank.tenancy.models import BrokerAction, TimeBank
from timebank.tenancy.suspension import BankSuspended

OPERATOR_PASSWORD = "lantern harbour quietly"
MEMBER_PASSWORD = "blue kettle garden"


@pytest.fixture
def client(app):
    """Return a client whose requests each get their own context, as in production."""
    return OwnContextClient(app, app.response_class, use_cookies=True)


def new_client(app):
    return OwnContextClient(app, app.response_class, use_cookies=True)


@pytest.fixture
def operator(session):
    return add_operator(session, "Olu Operator", "olu@example.org", OPERATOR_PASSWORD)


def operator_signs_in(client, email="olu@example.org", password=OPERATOR_PASSWORD):
    return client.post("/platform/sign-in", data={"email": email, "password": password})


def member_signs_in(client, bank, mobile, password=MEMBER_PASSWORD):
    data = {"bank": bank.slug, "identifier": mobile, "password": password}
    return client.post("/sign-in", data=data)


@pytest.fixture
def joyce(session, bank):
    member = MemberFactory(bank=bank, display_name="Joyce Campbell", mobile="07450 120567")
    set_password(session, bank.id, member.id, MEMBER_PASSWORD)
    return member


@pytest.fixture
def signed_in_admin(session, client, bank, admin):
    set_password(session, bank.id, admin.id, MEMBER_PASSWORD)
    assert member_signs_in(client, bank, "07956 000001").status_code == 302
    return admin


def test_the_operator_command_adds_lists_and_refuses_duplicates_and_weak_passwords(app):
    runner = app.test_cli_runner()
    added = runner.invoke(
        args=["platform", "operator", "add", "Olu Operator", "olu@example.org"],
        input=f"{OPERATOR_PASSWORD}\n{OPERATOR_PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    assert "Added operator Olu Operator (olu@example.org)" in added.output
    assert "olu@example.org" in runner.invoke(args=["platform", "operator", "list"]).output
    again = runner.invoke(
        args=["platform", "operator", "add", "Olu", "OLU@example.org", "--password", "x" * 3]
    )
    assert again.exit_code == 1 and "already an operator" in again.output
    weak = runner.invoke(
        args=["platform", "operator", "add", "Ann", "ann@example.org", "--password", "password"]
    )
    assert weak.exit_code == 1 and "most common" in weak.output


def test_an_operator_sees_every_bank_with_its_size_and_activity(client, session, operator):
    green = TimeBankFactory(name="Green Time Bank", slug="green")
    blue = TimeBankFactory(name="Blue Time Bank", slug="blue")
    sam, jo = MemberFactory(bank=green), MemberFactory(bank=green)
    MemberFactory(bank=green, status="left")
    MemberFactory(bank=blue)
    for _ in range(2):
        record_exchange(session, ExchangeRequest(uuid.uuid4(), green.id, sam.id, jo.id, 60, jo.id))
    assert operator_signs_in(client).status_code == 302
    page = client.get("/platform").get_data(as_text=True)
    rows = {
        name: re.findall(r"<td>([^<]*)</td>", row)
        for name, row in re.findall(r"<tr>\s*<td>(\w+) Time Bank.*?</td>(.*?)</tr>", page, re.S)
    }
    assert rows["Green"][:3] == ["2", "2", "2"]
    assert rows["Blue"][:4] == ["1", "0", "0", "none yet"]


def test_a_bank_admin_gets_403_on_every_operator_page(client, bank, signed_in_admin):
    assert client.get("/platform").status_code == 403
    assert client.get("/platform/banks/new").status_code == 403
    assert client.post("/platform/banks/new", data={"name": "Mine"}).status_code == 403
    assert client.get(f"/platform/banks/{bank.id}/suspend").status_code == 403
    assert client.post(f"/platform/banks/{bank.id}/resume").status_code == 403


def test_a_stranger_is_sent_to_the_operators_sign_in(client):
    response = client.get("/platform")
    assert response.status_code == 302 and "/platform/sign-in" in response.location


def test_a_wrong_password_or_a_removed_operator_cannot_get_in(client, session, operator):
    wrong = operator_signs_in(client, password="not the password")
    assert wrong.status_code == 200 and b"email or password is not right" in wrong.data
    assert operator_signs_in(client).status_code == 302
    remove_operator(session, "olu@example.org")
    assert client.get("/platform").status_code == 302
    assert operator_signs_in(client).status_code == 200


def test_an_admin_never_sees_another_banks_members(client, session, bank, signed_in_admin):
    other = TimeBankFactory(name="Other Time Bank")
    stranger = MemberFactory(bank=other, display_name="Olga Other")
    assert client.get(f"/admin/members/{stranger.id}").status_code == 404
    assert b"Olga Other" not in client.get("/admin/members").data


def test_an_operator_starts_a_bank_and_its_admin_signs_in_with_the_link(client, session, operator):
    operator_signs_in(client)
    form = {
        "name": "Green Time Bank",
        "slug": "green",
        "admin_name": "Ada Lovelace",
        "admin_mobile": "07956 000001",
    }
    page = client.post("/platform/banks/new", data=form).get_data(as_text=True)
    assert "Green Time Bank is started" in page
    link = re.search(r"http://127.0.0.1:8000(/sign-in/link/[^<\s]+)", page).group(1)
    bank = session.scalar(sa.select(TimeBank).where(TimeBank.slug == "green"))
    audit = session.scalars(sa.select(BrokerAction.detail).where(BrokerAction.bank_id == bank.id))
    assert "operator Olu Operator (olu@example.org)" in " ".join(audit)

    client.post("/platform/sign-out")
    assert client.post(link).location.endswith("/password")
    assert client.get("/platform").status_code == 403


def test_a_bad_new_bank_is_refused_in_plain_words_and_nothing_is_written(client, session, operator):
    operator_signs_in(client)
    form = {"name": "Green", "slug": "green", "admin_name": "Ada", "admin_mobile": "07956 12"}
    page = client.post("/platform/banks/new", data=form)
    assert page.status_code == 200 and b"not a valid phone number" in page.data
    assert session.scalar(sa.select(sa.func.count()).select_from(TimeBank)) == 0


def test_an_operator_can_invite_a_banks_admin_again(client, bank, admin, operator):
    operator_signs_in(client)
    client.get("/platform")
    page = client.post(f"/platform/banks/{bank.id}/invite").get_data(as_text=True)
    assert "Ada Admin is invited" in page and "/sign-in/link/" in page


def suspend(client, bank, reason="Unpaid hosting"):
    return client.post(f"/platform/banks/{bank.id}/suspend", data={"reason": reason})


def test_suspending_a_bank_signs_its_members_out_and_keeps_them_out(
    app, database_url, session, bank, joyce, operator
):
    member = new_client(app)
    assert member_signs_in(member, bank, "07450 120567").status_code == 302
    ops = new_client(app)
    operator_signs_in(ops)
    assert suspend(ops, bank).status_code == 302

    assert member.get("/home").status_code == 302
    again = member_signs_in(member, bank, "07450 120567")
    assert again.status_code == 200 and b"is suspended for now" in again.data
    code = member.post("/sign-in/code", data={"bank": bank.slug, "mobile": "07450 120567"})
    assert b"is suspended for now" in code.data
    session.expire_all()
    actions = session.scalars(sa.select(BrokerAction.action).where(BrokerAction.bank_id == bank.id))
    assert "bank_suspended" in list(actions)

    ops.post(f"/platform/banks/{bank.id}/resume")
    assert member_signs_in(member, bank, "07450 120567").status_code == 302


def test_a_suspended_bank_cannot_post_exchanges_nor_use_the_api(
    client, session, bank, joyce, admin, operator
):
    token = create_token(session, bank.id, joyce.id, "Phone")[1]
    operator_signs_in(client)
    suspend(client, bank)
    with pytest.raises(BankSuspended, match="is suspended for now"):
        record_exchange(
            session, ExchangeRequest(uuid.uuid4(), bank.id, joyce.id, admin.id, 60, joyce.id)
        )
    answer = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403 and answer.json["code"] == "bank_suspended"


def test_suspending_needs_a_reason_and_only_once(client, bank, operator):
    operator_signs_in(client)
    assert b"Say why" in suspend(client, bank, reason=" ").data
    suspend(client, bank)
    assert b"already suspended" in suspend(client, bank).data


def test_suspending_one_bank_leaves_the_others_alone(app, session, bank, joyce, operator):
    other = TimeBankFactory(name="Other Time Bank")
    olga = MemberFactory(bank=other, mobile="07450 999999")
    set_password(session, other.id, olga.id, MEMBER_PASSWORD)
    ops = new_client(app)
    operator_signs_in(ops)
    suspend(ops, bank)
    assert member_signs_in(new_client(app), other, "07450 999999").status_code == 302
