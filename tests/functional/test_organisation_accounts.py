"""Organisation accounts: admins open a GP practice's or group's own account, on the web and
by the API, and link a practice's account to its referral partner."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory, sign_in_as
from timebank.ledger.models import Account
from timebank.members.models import Organisation
from timebank.membership.organisations import open_organisation_account
from timebank.membership.tokens import create_token
from timebank.referrals import partners
from timebank.referrals.models import ReferralPartner
from timebank.tenancy.models import BrokerAction

PAGE = "/admin/organisations"


def organisations(session, bank) -> list[tuple[str, str]]:
    session.rollback()
    query = sa.select(Organisation.name, Organisation.kind).where(
        Organisation.bank_id == bank.id, Organisation.kind.in_(("gp_practice", "community_group"))
    )
    return sorted(tuple(row) for row in session.execute(query))


def test_an_admin_opens_a_practice_account_and_sees_it_listed(client, session, bank, admin):
    sign_in_as(client, admin)
    response = client.post(PAGE, data={"name": "Ravensbourne Health Centre", "kind": "gp_practice"})
    assert response.status_code == 302
    assert organisations(session, bank) == [("Ravensbourne Health Centre", "gp_practice")]
    page = client.get(PAGE).get_data(as_text=True)
    assert "Ravensbourne Health Centre" in page and "GP practice" in page and "0:00" in page
    org_id = session.scalar(sa.select(Organisation.id).where(Organisation.name.like("Raven%")))
    account = session.scalar(sa.select(Account).where(Account.organisation_id == org_id))
    assert account is not None and account.bank_id == bank.id
    actions = session.scalars(sa.select(BrokerAction.action).where(BrokerAction.bank_id == bank.id))
    assert "organisation_opened" in list(actions)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": " ", "kind": "gp_practice"}, "a name of 1 to 120 characters"),
        ({"name": "community pot", "kind": "community_group"}, "already has an account called"),
        ({"name": "Sneaky", "kind": "community_pot"}, "Not a valid choice"),
    ],
)
def test_a_wrong_organisation_is_refused_in_plain_words(
    client, session, bank, admin, form, message
):
    sign_in_as(client, admin)
    response = client.post(PAGE, data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert organisations(session, bank) == []


def test_brokers_cannot_open_organisation_accounts(client, bank, broker):
    sign_in_as(client, broker)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"name": "Mine", "kind": "gp_practice"}).status_code == 403


def test_a_practice_account_is_linked_to_its_referral_partner(client, session, bank, admin):
    practice = open_organisation_account(
        session, bank.id, admin.id, "Ravensbourne HC", "gp_practice"
    )
    partner = partners.add_partner(session, bank.id, admin.id, "Ravensbourne Health Centre")
    sign_in_as(client, admin)
    page = client.get(f"/admin/partners/{partner.id}").get_data(as_text=True)
    assert "Ravensbourne HC" in page
    url = f"/admin/partners/{partner.id}/account"
    response = client.post(url, data={"organisation": str(practice.id)}, follow_redirects=True)
    assert b"is linked to its hour account" in response.data
    session.rollback()
    assert session.get(ReferralPartner, partner.id).organisation_id == practice.id


def test_a_group_or_another_banks_practice_cannot_be_linked(session, bank, admin):
    group = open_organisation_account(session, bank.id, admin.id, "Gardeners", "community_group")
    other = TimeBankFactory()
    partner = partners.add_partner(session, bank.id, admin.id, "Ravensbourne Health Centre")
    other_org = session.scalar(sa.select(Organisation.id).where(Organisation.bank_id == other.id))
    for org_id in (group.id, other_org, 999999):
        with pytest.raises(partners.PartnerDetailError, match="this time bank's GP practices"):
            partners.link_partner_account(session, bank.id, admin.id, partner.id, org_id)


def api(client, token):
    return {"headers": {"Authorization": f"Bearer {token}"}}


def test_the_api_opens_lists_and_links_organisation_accounts(client, session, bank, admin):
    token = create_token(session, bank.id, admin.id, "Office")[1]
    made = client.post(
        "/api/v1/organisations",
        json={"name": "Ravensbourne HC", "kind": "gp_practice"},
        **api(client, token),
    )
    assert made.status_code == 201, made.json
    assert made.json["kind"] == "gp_practice" and made.json["balance_minutes"] == 0
    listed = client.get("/api/v1/organisations", **api(client, token)).json["items"]
    assert [item["name"] for item in listed] == ["Ravensbourne HC"]
    again = client.post(
        "/api/v1/organisations", json={"name": "ravensbourne hc", "kind": "gp_practice"},
        **api(client, token),
    )  # fmt: skip
    assert again.status_code == 422 and "already has an account" in again.json["detail"]
    partner = partners.add_partner(session, bank.id, admin.id, "Ravensbourne Health Centre")
    linked = client.put(
        f"/api/v1/referral-partners/{partner.id}/account",
        json={"organisation_id": made.json["id"]},
        **api(client, token),
    )
    assert linked.status_code == 200 and linked.json["organisation_id"] == made.json["id"]
