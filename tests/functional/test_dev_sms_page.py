"""The development-only texting page: send a simulated text, see the reply and the outbox."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from tests.functional.sms_texting import BANK_NUMBER
from timebank.sms.models import InboundMessage, OptOut


@pytest.fixture
def dev_app(database_url):
    """Build the test app with the development texting page switched on."""
    from timebank import create_app
    from timebank.extensions import db

    app = create_app(
        "testing",
        {"DATABASE_URL": database_url, "SHOW_DEV_SMS_PAGE": True, "WTF_CSRF_ENABLED": False},
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def dev_bank(dev_app):
    return TimeBankFactory(name="Ravensbourne Time Bank", sms_number=BANK_NUMBER)


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def send(client, bank, sender: str, body: str, other: str = ""):
    data = {"bank": str(bank.id), "sender": sender, "other_number": other, "body": body}
    return client.post("/dev/sms", data=data, follow_redirects=True)


def test_a_member_texts_bal_and_sees_the_reply_and_the_text_received(dev_app, dev_bank):
    joyce = MemberFactory(bank=dev_bank, display_name="Joyce Campbell")
    client = dev_app.test_client()
    form = page_text(client.get("/dev/sms"))
    assert "Member: Joyce Campbell" in form
    page = page_text(send(client, dev_bank, joyce.mobile_e164, "BAL"))
    assert "Reply: Hello Joyce, your balance is 0:00 hours." in page
    assert page.count("<h1>") == 1
    assert "balance" in page.split("Texts received")[1]


def test_another_number_gets_the_strangers_reply_and_is_not_kept(dev_app, dev_bank, session):
    page = page_text(send(dev_app.test_client(), dev_bank, "other", "hello", "07123 999001"))
    assert "Reply: Thank you for texting Ravensbourne Time Bank." in page
    assert session.scalars(sa.select(InboundMessage)).all() == []


def test_stop_is_recorded_and_the_page_says_there_was_no_reply(dev_app, dev_bank, session):
    dorothy = MemberFactory(bank=dev_bank)
    page = page_text(send(dev_app.test_client(), dev_bank, dorothy.mobile_e164, "STOP"))
    assert "Reply: (no reply)" in page
    assert session.get(OptOut, (dev_bank.id, dorothy.mobile_e164)).opted_out


def test_gave_by_text_shows_the_receivers_code_in_the_texts_sent(dev_app, dev_bank):
    joyce = MemberFactory(bank=dev_bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=dev_bank, display_name="Dorothy Palmer")
    page = page_text(
        send(dev_app.test_client(), dev_bank, joyce.mobile_e164, f"GAVE 1h TO {dorothy.id}")
    )
    assert "Reply: You gave Dorothy Palmer 1 hour." in page
    assert "Joyce Campbell logged 1 hour they gave you. Reply YES" in page


def test_a_missing_text_or_number_shows_the_error_summary_and_sends_nothing(
    dev_app, dev_bank, session
):
    client = dev_app.test_client()
    page = page_text(send(client, dev_bank, "other", ""))
    assert "<title>Error: " in page and "Type the text." in page
    assert "Type the number the text comes from." in page_text(
        send(client, dev_bank, "other", "BAL")
    )
    assert session.scalars(sa.select(InboundMessage)).all() == []


def test_the_page_answers_only_this_computer(dev_app, dev_bank):
    client = dev_app.test_client()
    away = {"REMOTE_ADDR": "192.0.2.10"}
    assert client.get("/dev/sms", environ_base=away).status_code == 404
    assert client.post("/dev/sms", data={"body": "BAL"}, environ_base=away).status_code == 404


def test_the_page_is_absent_outside_development(client, monkeypatch):
    from config import load_settings

    assert client.get("/dev/sms").status_code == 404
    assert client.post("/dev/sms", data={"body": "BAL"}).status_code == 404
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db.example/timebank")
    monkeypatch.setenv("TIMEBANK_SMS_BACKEND", "twilio")
    assert load_settings("production")["SHOW_DEV_SMS_PAGE"] is False
    assert load_settings("development")["SHOW_DEV_SMS_PAGE"] is True
