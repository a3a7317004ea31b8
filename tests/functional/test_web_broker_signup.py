"""Broker pages on the web: the dashboard, finding members and the sign-up meeting."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from timebank.members.models import Member


def h1s(response) -> list[str]:
    return re.findall(r"<h1[^>]*>(.*?)</h1>", response.get_data(as_text=True), re.S)


SIGN_UP = {
    "name": "Jane Doe",
    "mobile": "07812 345678",
    "area": "Catford",
    "skills": "Baking",
    "help_wanted": "A lift to the shops",
    "consent": "y",
}


def test_dashboard_links_to_sign_up_members_and_recording_hours(client, broker):
    sign_in_as(client, broker)

    page = client.get("/broker")

    text = page.get_data(as_text=True)
    assert h1s(page) == ["Broker"]
    assert 'href="/broker/sign-up"' in text and 'href="/broker/members"' in text
    assert 'href="/log/for-others"' in text


def test_broker_finds_members_by_name_or_phone_in_their_own_bank_only(client, bank, broker):
    MemberFactory(bank=bank, display_name="Dorothy Palmer", mobile="07508 128486")
    MemberFactory(bank=bank, display_name="Harold Jenkins")
    MemberFactory(bank=TimeBankFactory(), display_name="Dorothy Elsewhere")
    sign_in_as(client, broker)

    by_name = client.get("/broker/members?q=dorothy").get_data(as_text=True)
    by_phone = client.get("/broker/members?q=07508+128486").get_data(as_text=True)

    assert "Dorothy Palmer" in by_name and "Harold Jenkins" not in by_name
    assert "Dorothy Elsewhere" not in by_name
    assert "Dorothy Palmer" in by_phone and "1 member" in by_phone


def test_sign_up_creates_an_active_member_with_consent_and_texts_a_welcome(
    app, client, session, bank, broker
):
    sign_in_as(client, broker)
    assert h1s(client.get("/broker/sign-up")) == ["Sign up a new member"]

    response = client.post("/broker/sign-up", data=SIGN_UP, follow_redirects=True)

    jane = session.scalars(sa.select(Member).where(Member.display_name == "Jane Doe")).one()
    assert h1s(response) == ["Jane Doe is signed up"]
    assert (jane.status, jane.bank_id, jane.mobile_e164) == ("active", bank.id, "+447812345678")
    assert jane.consent_at is not None and jane.skills == "Baking"
    welcome = app.extensions["timebank_sms"].last_to("+447812345678")
    assert welcome is not None and "ask for a code" in welcome.body
    assert "http://127.0.0.1:8000/sign-in/code" in welcome.body


def test_sign_up_with_a_missing_name_and_no_consent_keeps_what_was_typed(
    client, session, bank, broker
):
    sign_in_as(client, broker)

    response = client.post("/broker/sign-up", data={**SIGN_UP, "name": "", "consent": ""})

    text = response.get_data(as_text=True)
    assert "<title>Error: Sign up a new member" in text
    assert 'href="#name"' in text and "Enter the new member&#39;s name." in text
    assert 'value="07812 345678"' in text and "A lift to the shops" in text
    assert session.scalar(sa.select(Member.id).where(Member.mobile_e164 == "+447812345678")) is None


def test_sign_up_without_consent_says_so_beside_the_box(client, session, bank, broker):
    sign_in_as(client, broker)

    response = client.post("/broker/sign-up", data={**SIGN_UP, "consent": ""})

    text = response.get_data(as_text=True)
    assert "Ask Jane if they agree" in text and 'id="consent-error"' in text
    assert session.scalar(sa.select(Member.id).where(Member.display_name == "Jane Doe")) is None


def test_sign_up_with_a_mobile_already_in_the_bank_errs_beside_the_field(client, bank, broker):
    MemberFactory(bank=bank, mobile="07812 345678")
    sign_in_as(client, broker)

    response = client.post("/broker/sign-up", data=SIGN_UP)

    text = response.get_data(as_text=True)
    assert 'id="mobile-error"' in text and "already has that mobile number" in text


def test_members_get_403_on_broker_pages(client, bank):
    sign_in_as(client, MemberFactory(bank=bank))

    for path in ("/broker", "/broker/members", "/broker/sign-up", "/broker/sign-up/1/done"):
        assert client.get(path).status_code == 403, path
    assert client.post("/broker/sign-up", data=SIGN_UP).status_code == 403


def test_another_banks_member_answers_404_on_the_done_page(client, broker):
    stranger = MemberFactory(bank=TimeBankFactory())
    sign_in_as(client, broker)

    assert client.get(f"/broker/sign-up/{stranger.id}/done").status_code == 404
