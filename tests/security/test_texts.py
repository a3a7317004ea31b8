"""Texts: who may text the bank, which numbers a practice may refer, what production sends and
logs, what the outbox keeps of a code, and what counts as "surely not sent".
"""

from __future__ import annotations

import datetime as dt
import logging
import socket

import pytest
import sqlalchemy as sa

from config import ConfigError, load_settings
from tests.factories import MemberFactory, TimeBankFactory, sign_in_as
from tests.fakes.twilio_api import FakeTwilio, FakeTwilioServer
from tests.fakes.twilio_webhooks import post_signed
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    BANK_NUMBER,
    new_sid,
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.members.signin import request_sign_in_code
from timebank.referrals.models import Referral, ReferralEvent
from timebank.sms.backends import make_backend
from timebank.sms.errors import RetryLater
from timebank.sms.models import InboundMessage, OptOut, OutboxMessage
from timebank.sms.outbox import queue_sms
from timebank.sms.sending import SendPolicy, reconcile, send_pending
from timebank.sms.twilio_backend import TwilioBackend

PRACTICE_PHONE = "+447400000111"
CODE_TEXT = "123456 is your Test sign-in code. It lasts 10 minutes. Do not share it with anyone."
POLICY = SendPolicy(
    retry_base_seconds=30, max_attempts=3, reconcile_after_seconds=120, jitter=lambda: 0.0
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def everything_kept(session) -> dict[str, int]:
    """Count the rows a text could have left behind."""
    session.rollback()
    counts = {
        model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (InboundMessage, Referral, ReferralEvent, OutboxMessage, OptOut)
    }
    session.rollback()
    return counts


# --- Senders that are not phone numbers ----------------------------------------------------


@pytest.mark.parametrize("sender", ["EVILCORP", "Evil Corp", "12345", "+12345", "447812345678"])
@pytest.mark.parametrize("body", ["JOIN Priya", "STOP", "HELP", "YES", "hello"])
def test_a_text_from_a_sender_that_is_not_a_phone_number_gets_nothing_and_keeps_nothing(
    app, client, session, bank, broker, sender, body
):
    before = everything_kept(session)

    response = text_bank(client, app, sender, body)

    assert reply_of(response) is None
    assert everything_kept(session) == before
    assert app.extensions["timebank_sms"].sent == []


def test_a_forged_text_from_a_named_sender_is_still_refused_first(app, client, session, bank):
    params = {"MessageSid": new_sid(), "From": "EVILCORP", "To": BANK_NUMBER, "Body": "JOIN"}

    response = post_signed(client, app, "/sms/inbound", params, signature="bm90IHR3aWxpbw==")

    assert response.status_code == 403


def test_a_real_number_texting_join_is_still_a_self_referral(app, client, session, bank, broker):
    assert "Thank you" in reply_of(text_bank(client, app, "+447812000305", "JOIN Priya"))
    assert session.scalars(sa.select(Referral.patient_e164)).all() == ["+447812000305"]


def test_broker_pages_never_fail_on_a_stored_sender_that_is_not_a_number(
    app, client, session, bank, broker
):
    # What a JOIN from EVILCORP stored before senders were checked.
    from timebank.referrals.services import move

    stamp = now()
    odd = Referral(
        bank_id=bank.id,
        patient_e164="EVILCORP",
        first_name="",
        reason="",
        status="received",
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(odd)
    session.flush()
    move(session, odd, "consented", stamp, note="Texted JOIN")
    session.commit()
    sign_in_as(client, broker)

    pages = [
        client.get("/broker/referrals"),
        client.get("/broker/referrals?status=consented"),
        client.get(f"/broker/referrals/{odd.id}"),
        client.get(f"/broker/referrals/{odd.id}/close"),
        client.get(f"/broker/sign-up?referral={odd.id}"),
    ]

    assert [page.status_code for page in pages] == [200] * len(pages)
    assert "EVILCORP" in pages[2].get_data(as_text=True)


# --- Referral numbers: UK mobiles only ------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "+870773123456",  # Inmarsat: a satellite phone
        "+881612345678",  # Iridium
        "+882 1 234 5678",  # an international network
        "09091 234567",  # premium rate
        "+1 202 555 0123",  # not the UK
        "+33 6 12 34 56 78",  # a French mobile
        "020 7946 0000",  # a landline
        "07000 123456",  # a personal number, forwarded anywhere at the caller's cost
    ],
)
def test_a_practice_cannot_refer_a_number_that_is_not_a_uk_mobile(
    app, client, session, bank, practice, typed
):
    before = everything_kept(session)

    reply = reply_of(text_bank(client, app, PRACTICE_PHONE, f"REFER {typed} Sat lonely"))

    assert reply is not None
    assert reply.startswith("Sorry, ") and "is not a UK mobile number. Nothing was saved." in reply
    assert "REFER 07123 456789 Jane" in reply
    after = everything_kept(session)
    assert after["referrals"] == before["referrals"] == 0
    assert after["sms_outbox"] == before["sms_outbox"]
    assert [t.to for t in app.extensions["timebank_sms"].sent] == []


def test_a_practice_still_refers_a_uk_mobile(app, client, session, bank, practice):
    reply = reply_of(text_bank(client, app, PRACTICE_PHONE, "REFER 07812 345678 Jane lonely"))

    assert reply.startswith("Thank you. Referral R-")
    assert session.scalars(sa.select(Referral.patient_e164)).all() == ["+447812345678"]


# --- Production must choose how texts go ----------------------------------------------------


@pytest.fixture
def production_env(monkeypatch):
    """Give production everything it needs except an SMS backend."""
    monkeypatch.setenv("TIMEBANK_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("TIMEBANK_DATABASE_URL", "postgresql://db.example/timebank")
    monkeypatch.delenv("TIMEBANK_SMS_BACKEND", raising=False)


def test_production_does_not_start_without_an_sms_backend_chosen(production_env, monkeypatch):
    with pytest.raises(ConfigError) as refused:
        load_settings("production")
    assert "TIMEBANK_SMS_BACKEND" in str(refused.value)
    assert "console, fake, twilio" in str(refused.value)
    monkeypatch.setenv("TIMEBANK_SMS_BACKEND", "")
    with pytest.raises(ConfigError):
        load_settings("production")


def test_production_starts_once_the_backend_is_chosen(production_env, monkeypatch):
    monkeypatch.setenv("TIMEBANK_SMS_BACKEND", "twilio")
    assert load_settings("production")["SMS_BACKEND"] == "twilio"


def test_development_still_writes_texts_to_the_log_by_default():
    assert load_settings("development")["SMS_BACKEND"] == "console"


def test_the_console_backend_in_production_never_logs_a_sign_in_code(caplog):
    production = make_backend("console", {"ENV_NAME": "production"})
    development = make_backend("console", {"ENV_NAME": "development"})

    with caplog.at_level(logging.INFO, logger="timebank.sms"):
        production.send("+447450120567", CODE_TEXT)
    logged_in_production = caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="timebank.sms"):
        development.send("+447450120567", CODE_TEXT)

    assert "123456" not in logged_in_production and "sign-in" not in logged_in_production
    assert "+447450120567" in logged_in_production and "withheld" in logged_in_production
    assert "123456 is your Test sign-in code" in caplog.text


def test_sending_a_code_through_the_outbox_in_production_logs_no_code(app, session, bank, caplog):
    member = MemberFactory(bank=bank, mobile="07450 120567")
    request_sign_in_code(session, bank.id, bank.name, "07450 120567")
    backend = make_backend("console", {"ENV_NAME": "production"})

    with caplog.at_level(logging.DEBUG):
        assert send_pending(session, backend, now(), 50, POLICY).sent == 1

    [text] = backend.sent
    code = text.body[:6]
    assert text.to == member.mobile_e164 and code.isdigit()
    assert code not in caplog.text


# --- The outbox forgets a code once its text is sent or has failed -------------------------


@pytest.fixture
def twilio():
    """Run a fake Twilio REST API on 127.0.0.1 for this test."""
    with FakeTwilioServer(FakeTwilio(timeout_seconds=1.0)) as server:
        yield server


def twilio_backend(server: FakeTwilioServer, base_url: str | None = None) -> TwilioBackend:
    fake = server.fake
    return TwilioBackend(
        fake.account_sid, fake.auth_token, BANK_NUMBER, timeout=0.5, base_url=base_url or server.url
    )


def queued(session, bank, body: str, purpose: str) -> int:
    message = queue_sms(session, bank.id, "+447450120567", body, purpose)
    session.commit()
    return message.id


def row(session, message_id: int) -> OutboxMessage:
    session.rollback()
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    session.rollback()
    return message


def test_a_sign_in_codes_body_is_blanked_once_it_is_sent(app, session, bank, twilio):
    code_id = queued(session, bank, CODE_TEXT, "sign_in_code")
    other_id = queued(session, bank, "Joyce logged 1 hour for you.", "exchange_logged")

    assert send_pending(session, twilio_backend(twilio), now(), 50, POLICY).sent == 2

    code, other = row(session, code_id), row(session, other_id)
    assert (code.status, code.body) == ("sent", "")
    assert (other.status, other.body) == ("sent", "Joyce logged 1 hour for you.")
    assert twilio.fake.sent_to("+447450120567")[0].body == CODE_TEXT


def test_a_sign_in_codes_body_is_blanked_when_it_fails_for_good(app, session, bank, twilio):
    code_id = queued(session, bank, CODE_TEXT, "sign_in_code")
    twilio.fake.answer_next("bad_number")

    assert send_pending(session, twilio_backend(twilio), now(), 50, POLICY).failed == 1

    assert (row(session, code_id).status, row(session, code_id).body) == ("failed", "")


def test_a_sign_in_code_to_be_retried_keeps_its_body_until_it_goes(app, session, bank, twilio):
    code_id = queued(session, bank, CODE_TEXT, "sign_in_code")
    twilio.fake.answer_next("throttled")
    start = now()

    assert send_pending(session, twilio_backend(twilio), start, 50, POLICY).retried == 1
    assert (row(session, code_id).status, row(session, code_id).body) == ("queued", CODE_TEXT)
    later = start + dt.timedelta(minutes=1)
    assert send_pending(session, twilio_backend(twilio), later, 50, POLICY).sent == 1

    assert row(session, code_id).body == ""
    assert [m.body for m in twilio.fake.sent_to("+447450120567")] == [CODE_TEXT]


def test_a_sign_in_code_in_doubt_keeps_its_body_until_it_is_found_sent(app, session, bank, twilio):
    code_id = queued(session, bank, CODE_TEXT, "sign_in_code")
    twilio.fake.answer_next("server_error")
    backend = twilio_backend(twilio)

    assert send_pending(session, backend, now(), 50, POLICY).unknown == 1
    assert row(session, code_id).body == CODE_TEXT  # needed to look the text up
    assert reconcile(session, backend, now(), 50, POLICY).found == 1

    assert (row(session, code_id).status, row(session, code_id).body) == ("sent", "")


# --- A name that does not resolve means the text was not sent -------------------------------


@pytest.fixture
def no_dns_for_twilio(monkeypatch):
    """Make every look-up of api.twilio.invalid fail, as when DNS is down."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith("twilio.invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_twilio_address_that_does_not_resolve_is_retried_not_unknown(
    app, session, bank, twilio, no_dns_for_twilio
):
    port = twilio.url.rsplit(":", 1)[1]
    lost = twilio_backend(twilio, base_url=f"http://api.twilio.invalid:{port}")
    code_id = queued(session, bank, CODE_TEXT, "sign_in_code")
    start = now()

    with pytest.raises(RetryLater) as caught:
        lost.send("+447450120567", "Hello")
    report = send_pending(session, lost, start, 50, POLICY)

    assert "DNS" in caught.value.reason
    assert (report.retried, report.unknown) == (1, 0)
    waiting = row(session, code_id)
    assert (waiting.status, waiting.body) == ("queued", CODE_TEXT)
    assert "nothing was sent" in waiting.error
    later = start + dt.timedelta(minutes=1)
    assert send_pending(session, twilio_backend(twilio), later, 50, POLICY).sent == 1
    assert len(twilio.fake.sent_to("+447450120567")) == 1


@pytest.mark.parametrize("mobile", ["+870773123456", "07450 ABCDEF", "+1 202 555 0123"])
def test_a_practices_api_refuses_the_numbers_its_texts_would_in_plain_words(
    app, session, bank, admin, practice, mobile
):
    from timebank.membership.tokens import create_token

    token = create_token(session, bank.id, admin.id, "Surgery", partner_id=practice.id)[1]

    response = app.test_client().post(
        "/api/v1/referrals",
        headers={"Authorization": f"Bearer {token}"},
        json={"mobile": mobile, "first_name": "Sat", "reason": "lonely"},
    )

    assert response.status_code == 422
    detail = response.get_json()["detail"]
    assert "This must be a UK mobile number" in detail or "has letters in it" in detail
    assert everything_kept(session)["referrals"] == 0


def test_the_development_page_still_shows_a_sent_sign_in_code_the_outbox_forgot(database_url):
    from timebank import create_app
    from timebank.extensions import db

    app = create_app(
        "testing",
        {"DATABASE_URL": database_url, "SHOW_DEV_SMS_PAGE": True, "SMS_BACKEND": "console"},
    )
    with app.app_context():
        bank = TimeBankFactory(sms_number=BANK_NUMBER)
        MemberFactory(bank=bank, mobile="07450 120567")
        request_sign_in_code(db.session, bank.id, bank.name, "07450 120567")
        send_pending(db.session, app.extensions["timebank_sms"], now(), 50, POLICY)
        [text] = app.extensions["timebank_sms"].sent

        page = app.test_client().get("/dev/sms").get_data(as_text=True)

        assert db.session.scalars(sa.select(OutboxMessage.body)).all() == [""]
        assert text.body in page
        db.session.remove()
        db.engine.dispose()
