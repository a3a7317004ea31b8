"""Twilio's webhooks: signed texts in, forged ones refused, each text handled once."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import MemberFactory
from tests.fakes.twilio_webhooks import post_signed
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    BANK_NUMBER,
    new_sid,
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.members.models import Member
from timebank.sms.backends import FakeBackend
from timebank.sms.models import InboundMessage, OptOut, OutboxMessage
from timebank.sms.optouts import is_opted_out
from timebank.sms.outbox import queue_sms, send_queued

STRANGER = "+447123999001"


def kept(session) -> list[InboundMessage]:
    return list(session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)))


def test_a_signed_text_from_a_member_gets_its_reply_as_twiml(client, app, session, bank):
    member = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    response = text_bank(client, app, member.mobile_e164, "bal")
    assert response.mimetype == "application/xml"
    assert reply_of(response) == (
        "Hello Dorothy, your balance is 0:00 hours. You can go down to -10:00."
    )
    [row] = kept(session)
    assert (row.kind, row.body, row.member_id) == ("balance", "bal", member.id)


def test_a_forged_signature_is_refused_and_nothing_is_kept(client, app, session, bank):
    member = MemberFactory(bank=bank)
    params = {"MessageSid": new_sid(), "From": member.mobile_e164, "To": BANK_NUMBER, "Body": "BAL"}
    response = post_signed(client, app, "/sms/inbound", params, signature="bm90IHR3aWxpbw==")
    assert response.status_code == 403
    assert b"balance" not in response.data and kept(session) == []


def test_a_text_without_a_signature_is_refused(client, app, session, bank):
    params = {"MessageSid": new_sid(), "From": STRANGER, "To": BANK_NUMBER, "Body": "STOP"}
    assert client.post("/sms/inbound", data=params).status_code == 403
    assert client.post("/sms/status", data={"MessageSid": "SM1"}).status_code == 403
    assert session.scalars(sa.select(OptOut)).all() == []


def test_the_signature_is_checked_against_the_public_address_not_the_proxied_one(
    client, app, session, bank
):
    from tests.fakes.twilio_webhooks import twilio_signature
    from tests.functional.sms_texting import AUTH_TOKEN

    member = MemberFactory(bank=bank)
    app.config["PUBLIC_BASE_URL"] = "https://timebank.example/"
    params = {"MessageSid": new_sid(), "From": member.mobile_e164, "To": BANK_NUMBER, "Body": "BAL"}
    # What the app itself sees behind the proxy: signed for that, it is refused.
    inner = twilio_signature(AUTH_TOKEN, "http://localhost/sms/inbound", params)
    refused = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": inner})
    assert refused.status_code == 403
    assert "your balance is" in reply_of(post_signed(client, app, "/sms/inbound", params))


def test_the_same_message_sid_twice_gets_the_same_reply_and_changes_nothing(
    client, app, session, bank
):
    giver = MemberFactory(bank=bank, display_name="Joyce Campbell")
    receiver = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    sid = new_sid()
    first = reply_of(text_bank(client, app, giver.mobile_e164, f"GAVE 1h TO {receiver.id}", sid))
    again = reply_of(text_bank(client, app, giver.mobile_e164, f"GAVE 1h TO {receiver.id}", sid))
    assert first == again == "You gave Dorothy Palmer 1 hour. Dorothy Palmer needs to confirm it."
    assert len(kept(session)) == 1
    announced = session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.purpose == "exchange_to_confirm")
    ).all()
    assert len(announced) == 1


def test_a_text_to_a_number_no_bank_uses_is_answered_with_nothing(client, app, session, bank):
    member = MemberFactory(bank=bank)
    response = text_bank(client, app, member.mobile_e164, "BAL", to="+442079460999")
    assert reply_of(response) is None and kept(session) == []


def test_stop_is_mirrored_and_a_queued_text_is_then_suppressed_by_the_sender(
    client, app, session, bank
):
    member = MemberFactory(bank=bank)
    assert reply_of(text_bank(client, app, member.mobile_e164, "Stop")) is None
    assert is_opted_out(session, bank.id, member.mobile_e164)
    queue_sms(session, bank.id, member.mobile_e164, "Your exchange was confirmed.", "test")
    session.commit()
    backend = FakeBackend()
    send_queued(session, backend)
    assert backend.sent == []
    status = session.scalar(sa.select(OutboxMessage.status).where(OutboxMessage.purpose == "test"))
    assert status == "suppressed"


def test_start_after_stop_lets_texts_through_again(client, app, session, bank):
    member = MemberFactory(bank=bank)
    text_bank(client, app, member.mobile_e164, "UNSUBSCRIBE")
    assert reply_of(text_bank(client, app, member.mobile_e164, "START")) is None
    assert not is_opted_out(session, bank.id, member.mobile_e164)
    assert [row.kind for row in kept(session)] == ["opt_out", "opt_in"]
    queue_sms(session, bank.id, member.mobile_e164, "Hello again", "test")
    session.commit()
    backend = FakeBackend()
    send_queued(session, backend)
    assert [t.body for t in backend.sent] == ["Hello again"]


def test_a_stranger_gets_the_polite_reply_and_nothing_is_kept(client, app, session, bank):
    reply = reply_of(text_bank(client, app, STRANGER, "hello is this the lunch club?"))
    assert reply.startswith("Thank you for texting Test Time Bank")
    assert kept(session) == []


def test_help_from_a_member_lists_what_they_can_text(client, app, session, bank):
    member = MemberFactory(bank=bank)
    reply = reply_of(text_bank(client, app, member.mobile_e164, "help"))
    assert "BAL for your balance" in reply and "GAVE 1h30 TO 123" in reply


def test_a_member_text_that_is_not_understood_is_kept_without_its_words(client, app, session, bank):
    member = MemberFactory(bank=bank)
    reply = reply_of(text_bank(client, app, member.mobile_e164, "can you call me about Tuesday"))
    assert "did not understand" in reply
    [row] = kept(session)
    assert (row.kind, row.body, row.member_id) == ("unknown", None, member.id)


def test_webhooks_need_no_csrf_token_while_forms_still_do(database_url):
    from tests.functional.sms_texting import AUTH_TOKEN
    from timebank import create_app
    from timebank.extensions import db

    strict = create_app(
        "testing",
        {"DATABASE_URL": database_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "WTF_CSRF_ENABLED": True},
    )
    with strict.app_context():
        from tests.factories import TimeBankFactory

        TimeBankFactory(sms_number=BANK_NUMBER)
        client = strict.test_client()
        assert reply_of(text_bank(client, strict, STRANGER, "hi")) is not None
        assert client.post("/sign-in", data={"identifier": "x"}).status_code == 400
        db.session.remove()
        db.engine.dispose()


ODD_BODIES = [
    "",
    " ",
    "\U0001f600\U0001f389 thanks!!",
    "x" * 1600,
    "GAVE " + "9" * 1500 + " TO 1",
    "'; DROP TABLE members; --",
    "Robert'); DELETE FROM transfers WHERE ('1'='1",
    "¿Cuánto saldo tengo?",
    "Привет, сколько у меня часов?",
    "你好",
    "YES 99999999999999999999",
    "GAVE 0m TO 1",
    "GAVE 1h TO 0",
    "GAVE 1h TO +999",
    "REFER 07123 456789 Jane lonely",
    "JOIN",
    "\x00\x01\x02",
    "BAL\r\nBAL",
]


def test_odd_texts_from_members_and_strangers_never_break_the_webhook(client, app, session, bank):
    member = MemberFactory(bank=bank)
    for sender in (member.mobile_e164, STRANGER, "not-a-number", ""):
        for body in ODD_BODIES:
            response = text_bank(client, app, sender, body)
            assert response.status_code == 200, (sender, body)
            reply = reply_of(response)
            assert reply is None or len(reply) <= 320, (sender, body, reply)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.text(max_size=200))
def test_any_text_from_a_member_gets_a_short_answer_or_none(client, app, session, bank, body):
    sender = "+447123000777"
    if not session.scalar(sa.select(Member.id).where(Member.mobile_e164 == sender)):
        MemberFactory(bank=bank, mobile=sender)
    reply = reply_of(text_bank(client, app, sender, body))
    assert reply is None or len(reply) <= 320


def sent_text(session, bank) -> OutboxMessage:
    queue_sms(session, bank.id, "+447450120567", "Your exchange was confirmed.", "test")
    session.commit()
    send_queued(session, FakeBackend())
    return session.scalars(sa.select(OutboxMessage)).one()


def report(client, app, sid: str, status: str, error_code: str = ""):
    params = {"MessageSid": sid, "MessageStatus": status}
    if error_code:
        params["ErrorCode"] = error_code
    return post_signed(client, app, "/sms/status", params)


def test_status_callbacks_only_move_a_text_forward_whatever_their_order(client, app, session, bank):
    sid = sent_text(session, bank).provider_sid
    assert report(client, app, sid, "delivered").status_code == 204
    assert report(client, app, sid, "sent").status_code == 204
    session.rollback()
    assert session.scalars(sa.select(OutboxMessage.status)).one() == "delivered"


def test_a_forged_status_callback_changes_nothing(client, app, session, bank):
    sid = sent_text(session, bank).provider_sid
    params = {"MessageSid": sid, "MessageStatus": "failed"}
    forged = post_signed(client, app, "/sms/status", params, signature="Zm9yZ2Vk")
    assert forged.status_code == 403
    session.rollback()
    assert session.scalars(sa.select(OutboxMessage.status)).one() == "sent"


def test_a_status_for_a_text_we_never_sent_is_accepted_and_ignored(client, app, session, bank):
    assert report(client, app, "SMnotours", "delivered", "30003").status_code == 204
    assert session.scalars(sa.select(OutboxMessage)).all() == []
