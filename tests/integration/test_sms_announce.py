"""A pending exchange is announced to its receiver by text, with a code to answer it."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.ledger_pages import date_fields, hidden_value, signed_in
from timebank.broker import announce
from timebank.broker.announce import announce_pending
from timebank.ledger import errors
from timebank.ledger.resolutions import confirm_pending
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.sms.gsm import is_gsm7, segment_count
from timebank.sms.models import ExchangeCode, OutboxMessage
from timebank.tenancy.days import today_in_zone


def gave(session, giver, receiver, minutes=90, by=None, transfer_id=None, **extra):
    request = ExchangeRequest(
        transfer_id=transfer_id or uuid.uuid4(),
        bank_id=giver.bank_id,
        giver_id=giver.id,
        receiver_id=receiver.id,
        minutes=minutes,
        recorded_by_id=(by or giver).id,
        **extra,
    )
    return record_exchange(session, request, also=announce_pending)


def texts(session) -> list[OutboxMessage]:
    return list(session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def codes(session) -> list[ExchangeCode]:
    return list(session.scalars(sa.select(ExchangeCode).order_by(ExchangeCode.created_at)))


@pytest.fixture
def joyce(bank):
    return MemberFactory(bank=bank, display_name="Joyce Campbell")


@pytest.fixture
def dorothy(bank):
    return MemberFactory(bank=bank, display_name="Dorothy Palmer")


def test_a_pending_exchange_gets_a_code_and_a_one_segment_text_to_the_receiver(
    session, joyce, dorothy
):
    result = gave(session, joyce, dorothy, skill_category="Befriending and conversation")
    [code] = codes(session)
    [text] = texts(session)
    assert (code.transfer_id, code.member_id, code.bank_id) == (
        result.id,
        dorothy.id,
        joyce.bank_id,
    )
    assert (text.to_e164, text.member_id, text.status) == (
        dorothy.mobile_e164,
        dorothy.id,
        "queued",
    )
    assert text.body == (
        "Joyce Campbell logged 1 hour 30 minutes for befriending and conversation they gave "
        f"you. Reply YES {code.code} to confirm or NO {code.code} if it is not right."
    )
    assert is_gsm7(text.body) and segment_count(text.body) == 1
    assert 100 <= code.code <= 9999


def test_the_code_and_the_text_are_not_written_when_the_exchange_is_refused(
    session, joyce, dorothy
):
    with pytest.raises(errors.OverdraftLimitReached):
        gave(session, joyce, dorothy, minutes=660)
    assert codes(session) == [] and texts(session) == []


def test_the_code_and_the_text_roll_back_with_the_exchange(session, joyce, dorothy, monkeypatch):
    def queue_then_fail(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(announce, "queue_sms", queue_then_fail)
    with pytest.raises(RuntimeError):
        gave(session, joyce, dorothy)
    assert codes(session) == [] and texts(session) == []
    assert session.execute(sa.text("SELECT count(*) FROM transfers")).scalar() == 0


def test_a_replay_sends_no_second_text(session, joyce, dorothy):
    transfer_id = uuid.uuid4()
    gave(session, joyce, dorothy, transfer_id=transfer_id)
    again = gave(session, joyce, dorothy, transfer_id=transfer_id)
    assert again.replayed and len(texts(session)) == 1 and len(codes(session)) == 1


def test_an_exchange_that_posts_at_once_is_not_announced(session, joyce, dorothy):
    gave(session, joyce, dorothy, by=dorothy)
    assert codes(session) == [] and texts(session) == []


def test_a_receiver_who_turned_texts_off_gets_no_code_and_no_text(session, bank, joyce):
    quiet = MemberFactory(bank=bank)
    quiet.sms_notifications = False
    session.commit()
    gave(session, joyce, quiet)
    assert codes(session) == [] and texts(session) == []


def test_a_group_gift_texts_each_receiver_a_code_of_their_own(session, bank, joyce, dorothy):
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    request = GroupExchangeRequest(
        group_id=uuid.uuid4(),
        bank_id=bank.id,
        giver_ids=[joyce.id],
        receiver_ids=[dorothy.id, sam.id],
        minutes=60,
        recorded_by_id=joyce.id,
    )
    record_group_exchange(session, request, also=announce_pending)
    found = codes(session)
    assert {c.member_id for c in found} == {dorothy.id, sam.id}
    assert len({c.code for c in found}) == 2
    assert {t.to_e164 for t in texts(session)} == {dorothy.mobile_e164, sam.mobile_e164}


def test_a_code_already_taken_is_skipped_for_another(session, bank, joyce, dorothy, monkeypatch):
    gave(session, joyce, dorothy)
    taken = codes(session)[0].code
    tries = iter([taken, taken, 4321])
    monkeypatch.setattr(announce, "_random_code", lambda width: next(tries))
    gave(session, joyce, dorothy)
    assert sorted(c.code for c in codes(session)) == sorted([taken, 4321])


def test_confirming_on_the_web_still_works_after_a_code_was_sent(session, joyce, dorothy):
    result = gave(session, joyce, dorothy)
    confirmed = confirm_pending(session, joyce.bank_id, result.id, uuid.uuid4(), dorothy.id)
    assert confirmed.phase == "post_pending"


def test_logging_hours_on_the_web_texts_the_receiver(app, session, bank, joyce, dorothy):
    client = signed_in(app, joyce)
    assert client.post("/log", data={"member": str(dorothy.id)}).status_code == 302
    details = {
        "direction": "gave",
        "duration": "60",
        **date_fields(today_in_zone(bank.timezone)),
        "skill_category": "Gardening",
        "note": "",
    }
    assert client.post("/log/details", data=details).status_code == 302
    check = client.get("/log/check")
    client.post("/log/check", data={"transfer_id": hidden_value(check, "transfer_id")})
    sent = app.extensions["timebank_sms"].last_to(dorothy.mobile_e164)
    assert sent is not None
    assert re.search(r"Joyce Campbell logged 1 hour for gardening .* Reply YES \d+", sent.body)
