"""GET /api/v1/reports and /api/v1/reports/practice: the evidence report as JSON."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import MemberFactory, record_help
from timebank.membership.tokens import create_token
from timebank.referrals import partners
from timebank.referrals.models import Referral

MARCH = "from=2026-03-01&to=2026-03-31"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def figure(body: dict, key: str):
    found = [f for s in body["sections"] for f in s["figures"] if f["key"] == key]
    assert len(found) == 1, key
    return found[0]["value"]


def table(body: dict, key: str) -> dict:
    found = [t for s in body["sections"] for t in s["tables"] if t["key"] == key]
    assert len(found) == 1, key
    return found[0]


@pytest.fixture
def broker_token(session, bank, broker):
    return create_token(session, bank.id, broker.id, "Reports")[1]


@pytest.fixture
def march_exchange(session, bank):
    """Ann gives Bob 90 minutes of gardening on 5 March 2026."""
    ann, bob = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_help(session, ann, bob, 90, dt.date(2026, 3, 5), "gardening")


@pytest.fixture
def practices(session, bank, admin):
    """Two practices of the bank: Hill Surgery with three referrals, Vale with one."""
    hill = partners.add_partner(session, bank.id, admin.id, "Hill Surgery")
    vale = partners.add_partner(session, bank.id, admin.id, "Vale Practice")
    when = dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    for partner, count in ((hill, 3), (vale, 1)):
        for n in range(count):
            session.add(
                Referral(
                    bank_id=bank.id,
                    partner_id=partner.id,
                    patient_e164=f"+4471230000{partner.id}{n}",
                    first_name="Pat",
                    created_at=when,
                    updated_at=when,
                )
            )
    session.commit()
    return hill, vale


def test_a_broker_gets_the_whole_report_with_every_figure_defined(
    client, broker_token, march_exchange
):
    response = client.get(f"/api/v1/reports?{MARCH}", headers=bearer(broker_token))

    body = response.get_json()
    assert response.status_code == 200
    assert (body["from"], body["to"], body["audience"]) == ("2026-03-01", "2026-03-31", "broker")
    assert figure(body, "hours_exchanged") == 90
    months = table(body, "exchanges_by_month")
    assert months["rows"][0][0] == "2026-03-01" and 90 in months["rows"][0]
    said = [f["definition"] for s in body["sections"] for f in s["figures"] + s["tables"]]
    assert said and all(len(words) > 20 for words in said)


def test_the_funder_view_hides_a_few_people_but_not_the_exchange(
    client, broker_token, march_exchange
):
    response = client.get(f"/api/v1/reports?{MARCH}&view=funder", headers=bearer(broker_token))

    body = response.get_json()
    assert body["audience"] == "funder"
    # One exchange of 90 minutes: not people, so exact; its two members are hidden.
    assert figure(body, "exchanges") == 1
    assert figure(body, "hours_exchanged") == 90
    assert figure(body, "active_members") == "1 to 7"


def test_a_practice_token_gets_only_its_own_referrals(client, session, bank, admin, practices):
    hill, _vale = practices
    token = create_token(session, bank.id, admin.id, "Hill", partner_id=hill.id)[1]

    response = client.get(f"/api/v1/reports/practice?{MARCH}", headers=bearer(token))

    body = response.get_json()
    assert response.status_code == 200
    assert body["audience"] == "practice" and "Hill Surgery" in body["title"]
    text = response.get_data(as_text=True)
    assert "Vale" not in text
    # Three referrals: the practice's own, so exact.
    assert table(body, "referrals_by_practice")["rows"] == [
        ["Hill Surgery", 3, 0, 0, 0, None, None]
    ]


def test_a_practice_token_cannot_ask_for_another_practice(client, session, bank, admin, practices):
    hill, vale = practices
    token = create_token(session, bank.id, admin.id, "Hill", partner_id=hill.id)[1]

    response = client.get(
        f"/api/v1/reports/practice?{MARCH}&partner_id={vale.id}", headers=bearer(token)
    )

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def test_a_broker_names_the_practice_or_is_told_to(client, broker_token, practices):
    hill, _vale = practices

    named = client.get(
        f"/api/v1/reports/practice?{MARCH}&partner_id={hill.id}", headers=bearer(broker_token)
    )
    unnamed = client.get(f"/api/v1/reports/practice?{MARCH}", headers=bearer(broker_token))

    assert named.status_code == 200 and "Hill Surgery" in named.get_json()["title"]
    assert unnamed.status_code == 422 and "partner_id" in unnamed.get_json()["detail"]


@pytest.mark.parametrize(
    "query",
    ["from=2026-04-01&to=2026-03-01", "from=2020-01-01&to=2026-03-01", "from=x&to=2026-03-01"],
)
def test_a_backwards_too_long_or_unreadable_period_is_422(client, broker_token, query):
    response = client.get(f"/api/v1/reports?{query}", headers=bearer(broker_token))

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


def test_members_cannot_read_the_report(client, session, bank):
    member = MemberFactory(bank=bank)
    token = create_token(session, bank.id, member.id, "Phone")[1]

    assert client.get(f"/api/v1/reports?{MARCH}", headers=bearer(token)).status_code == 403
