"""API tokens: members' own token page, admins' practice tokens, and `flask api token`."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.ledger_pages import signed_in, text_of
from timebank.members.models import ApiToken
from timebank.membership.tokens import create_token

TOKEN = re.compile(r'value="(tb_[A-Za-z0-9_-]+)"')


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def tokens_in_db(session) -> list[ApiToken]:
    session.rollback()
    return list(session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


@pytest.fixture
def joyce(bank):
    return MemberFactory(bank=bank, display_name="Joyce Campbell")


def test_the_profile_page_links_to_the_tokens_page(app, joyce):
    page = signed_in(app, joyce).get("/profile").get_data(as_text=True)

    assert 'href="/profile/tokens"' in page


def test_a_new_token_is_shown_once_with_a_warning_and_then_works(app, session, joyce):
    client = signed_in(app, joyce)

    made = client.post("/profile/tokens", data={"name": "Phone app", "role": "member"})

    assert made.status_code == 200
    assert "You will not see this token again" in text_of(made)
    token = TOKEN.search(made.get_data(as_text=True)).group(1)
    assert made.headers["Cache-Control"] == "no-store"
    listing = client.get("/profile/tokens").get_data(as_text=True)
    assert "Phone app" in listing and token not in listing and token[:10] in listing
    me = app.test_client().get("/api/v1/me", headers=bearer(token))
    assert me.get_json()["member_id"] == joyce.id


def test_a_member_is_offered_only_their_own_role(app, joyce):
    page = signed_in(app, joyce).get("/profile/tokens").get_data(as_text=True)

    assert 'name="role" value="member"' in page and 'value="broker"' not in page


def test_a_member_cannot_make_a_token_above_their_role_by_editing_the_form(app, session, joyce):
    response = signed_in(app, joyce).post(
        "/profile/tokens", data={"name": "Sneaky", "role": "admin"}
    )

    assert response.status_code == 200 and "There is a problem" in text_of(response)
    assert tokens_in_db(session) == []


def test_a_token_needs_a_name(app, session, joyce):
    response = signed_in(app, joyce).post("/profile/tokens", data={"name": " ", "role": "member"})

    assert "Give the token a name of up to 80 characters" in text_of(response)
    assert tokens_in_db(session) == []


def test_a_broker_chooses_a_lower_role(app, session, broker):
    client = signed_in(app, broker)
    page = client.get("/profile/tokens").get_data(as_text=True)

    client.post("/profile/tokens", data={"name": "Read-only", "role": "member"})

    assert 'value="broker"' in page and 'value="member" checked' in page
    assert [row.role for row in tokens_in_db(session)] == ["member"]


def test_revoking_a_token_stops_it_working(app, session, bank, joyce):
    row, token = create_token(session, bank.id, joyce.id, "Old laptop")
    client = signed_in(app, joyce)

    response = client.post(f"/profile/tokens/{row.id}/revoke", follow_redirects=True)

    assert "no longer works" in text_of(response) and "Revoked" in text_of(response)
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_nobody_revokes_another_members_token(app, session, bank, joyce):
    sam = MemberFactory(bank=bank)
    row, token = create_token(session, bank.id, sam.id, "Sam's")

    response = signed_in(app, joyce).post(f"/profile/tokens/{row.id}/revoke")

    assert response.status_code == 404
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_the_forms_need_the_csrf_token(app, session, bank, joyce):
    row, _ = create_token(session, bank.id, joyce.id, "Laptop")
    client = signed_in(app, joyce)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        made = client.post("/profile/tokens", data={"name": "No CSRF", "role": "member"})
        revoked = client.post(f"/profile/tokens/{row.id}/revoke")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert "tb_" not in made.get_data(as_text=True) and revoked.status_code == 400
    assert [(token.name, token.revoked_at) for token in tokens_in_db(session)] == [("Laptop", None)]


def test_the_token_page_is_for_signed_in_members(client):
    response = client.get("/profile/tokens")

    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- Practice tokens ---------------------------------------------------------------------


def test_an_admin_makes_and_revokes_a_practice_token_from_the_partner_page(
    app, session, admin, practice
):
    client = signed_in(app, admin)
    partner_page = client.get(f"/admin/partners/{practice.id}").get_data(as_text=True)
    assert f'href="/admin/partners/{practice.id}/tokens"' in partner_page

    made = client.post(f"/admin/partners/{practice.id}/tokens", data={"name": "Surgery system"})
    token = TOKEN.search(made.get_data(as_text=True)).group(1)
    me = app.test_client().get("/api/v1/me", headers=bearer(token)).get_json()
    assert (me["role"], me["partner_id"]) == ("practice", practice.id)

    row = tokens_in_db(session)[0]
    client.post(f"/admin/partners/{practice.id}/tokens/{row.id}/revoke")
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_brokers_cannot_reach_practice_tokens(app, broker, practice):
    response = signed_in(app, broker).get(f"/admin/partners/{practice.id}/tokens")

    assert response.status_code == 403


def test_another_banks_admin_sees_no_practice_tokens(app, session, practice):
    stranger = MemberFactory(bank=TimeBankFactory(), role="admin")

    response = signed_in(app, stranger).get(f"/admin/partners/{practice.id}/tokens")

    assert response.status_code == 404


# --- flask api token ------------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=["api", "token", *args])


def test_the_cli_makes_lists_and_revokes_tokens(app, session, bank, joyce):
    made = run(app, "create", bank.slug, str(joyce.id), "Import script")
    assert made.exit_code == 0, made.output
    token = made.output.splitlines()[-1]
    assert token.startswith("tb_") and "not shown again" in made.output

    listed = run(app, "list", bank.slug)
    assert "Import script" in listed.output and token not in listed.output
    assert listed.output.splitlines()[-1] == "1 token."

    row_id = tokens_in_db(session)[0].id
    revoked = run(app, "revoke", bank.slug, str(row_id))
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_the_cli_makes_a_practice_token_for_an_admin(app, session, bank, admin, practice):
    made = run(app, "create", bank.slug, str(admin.id), "Surgery", "--partner", str(practice.id))

    assert made.exit_code == 0, made.output
    assert [(row.role, row.partner_id) for row in tokens_in_db(session)] == [
        ("practice", practice.id)
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "nope", "1", "X"], "There is no time bank called nope."),
        (["create", "{slug}", "{member}", "X", "--role", "admin"], "cannot make a token"),
        (["revoke", "{slug}", "999"], "There is no such token."),
    ],
)
def test_the_cli_explains_what_went_wrong(app, bank, joyce, args, message):
    filled = [arg.format(slug=bank.slug, member=joyce.id) for arg in args]

    result = run(app, *filled)

    assert result.exit_code == 1 and message in result.output
