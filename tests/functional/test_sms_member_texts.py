"""Members use the time bank by text: BAL, YES or NO with a code, GAVE."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    new_sid,
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.ledger.models import Transfer
from timebank.ledger.queries import balance_summary
from timebank.sms.models import ExchangeCode, InboundMessage


def text(client, app, member, body: str, sid: str | None = None) -> str | None:
    return reply_of(text_bank(client, app, member.mobile_e164, body, sid))


def code_in(body: str) -> int:
    return int(re.search(r"YES (\d+)", body).group(1))


def phases(session) -> list[str]:
    return list(session.scalars(sa.select(Transfer.phase).order_by(Transfer.recorded_at)))


def test_bal_tells_a_member_their_balance_and_limit(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    assert text(client, app, joyce, "BAL") == (
        "Hello Joyce, your balance is 0:00 hours. You can go down to -10:00."
    )


def test_gave_to_a_member_number_waits_for_them_and_texts_them_a_code(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    reply = text(client, app, joyce, f"GAVE 1h30 TO {dorothy.id} gardening")
    assert reply == (
        "You gave Dorothy Palmer 1 hour 30 minutes for gardening. Dorothy Palmer needs to "
        "confirm it."
    )
    transfer = session.scalars(sa.select(Transfer)).one()
    assert (transfer.phase, transfer.amount, transfer.skill_category) == (
        "pending",
        90,
        "Gardening",
    )
    assert transfer.recorded_by_id == joyce.id
    sent = app.extensions["timebank_sms"].last_to(dorothy.mobile_e164)
    assert sent.body.startswith("Joyce Campbell logged 1 hour 30 minutes for gardening")
    assert session.scalars(sa.select(ExchangeCode.code)).one() == code_in(sent.body)


def test_gave_to_a_mobile_number_finds_the_member(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer", mobile="07508 128486")
    reply = text(client, app, joyce, "gave 45 mins to 07508 128486 shopping")
    assert reply.startswith("You gave Dorothy Palmer 45 minutes for shopping.")
    assert balance_summary(session, bank.id, dorothy.id).waiting_to_go_out == 45


def test_gave_to_someone_not_in_the_bank_says_so_and_records_nothing(client, app, session, bank):
    joyce = MemberFactory(bank=bank)
    other_bank_member = MemberFactory(display_name="Sam Elsewhere")
    reply = text(client, app, joyce, f"GAVE 1h TO {other_bank_member.id}")
    assert reply.startswith(f"Sorry, we could not find member {other_bank_member.id}.")
    assert phases(session) == []


def test_gave_over_the_receivers_limit_is_refused_in_the_ledgers_words(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    for _ in range(2):
        text(client, app, joyce, f"GAVE 5h TO {dorothy.id}")
    reply = text(client, app, joyce, f"GAVE 1h TO {dorothy.id}")
    assert reply == (
        "This exchange is more than Dorothy Palmer can receive right now. Please ask your broker."
    )
    assert phases(session) == ["pending", "pending"]


def test_gave_that_cannot_be_read_explains_the_format(client, app, session, bank):
    joyce = MemberFactory(bank=bank)
    assert text(client, app, joyce, "GAVE lots TO Dorothy").startswith("To log help you gave")


def test_yes_with_the_code_confirms_and_the_hours_move(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    text(client, app, joyce, f"GAVE 2h TO {dorothy.id}")
    code = code_in(app.extensions["timebank_sms"].last_to(dorothy.mobile_e164).body)
    assert text(client, app, dorothy, f"yes {code}") == (
        "Thank you. You confirmed 2 hours from Joyce Campbell."
    )
    assert balance_summary(session, bank.id, joyce.id).balance == 120
    assert balance_summary(session, bank.id, dorothy.id).balance == -120


def test_no_with_the_code_declines_and_nothing_moves(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    text(client, app, joyce, f"GAVE 2h TO {dorothy.id}")
    code = code_in(app.extensions["timebank_sms"].last_to(dorothy.mobile_e164).body)
    assert text(client, app, dorothy, f"NO {code}").startswith(
        "Thank you. You declined the 2 hours Joyce Campbell logged."
    )
    assert phases(session) == ["pending", "void_pending"]
    assert balance_summary(session, bank.id, joyce.id).balance == 0


def test_an_answer_twice_with_the_same_message_sid_is_one_confirmation(client, app, session, bank):
    joyce = MemberFactory(bank=bank)
    dorothy = MemberFactory(bank=bank)
    text(client, app, joyce, f"GAVE 1h TO {dorothy.id}")
    code = code_in(app.extensions["timebank_sms"].last_to(dorothy.mobile_e164).body)
    sid = new_sid()
    first = text(client, app, dorothy, f"YES {code}", sid)
    assert text(client, app, dorothy, f"YES {code}", sid) == first
    assert phases(session) == ["pending", "post_pending"]


def test_answering_again_with_a_new_text_gets_a_kind_reply(client, app, session, bank):
    joyce = MemberFactory(bank=bank)
    dorothy = MemberFactory(bank=bank)
    text(client, app, joyce, f"GAVE 1h TO {dorothy.id}")
    code = code_in(app.extensions["timebank_sms"].last_to(dorothy.mobile_e164).body)
    text(client, app, dorothy, f"YES {code}")
    assert text(client, app, dorothy, f"NO {code}") == (
        f"Exchange {code} has already been answered, so nothing changed. Thank you."
    )
    assert phases(session) == ["pending", "post_pending"]


def test_a_code_that_belongs_to_someone_else_changes_nothing(client, app, session, bank):
    joyce = MemberFactory(bank=bank)
    dorothy = MemberFactory(bank=bank)
    text(client, app, joyce, f"GAVE 1h TO {dorothy.id}")
    code = code_in(app.extensions["timebank_sms"].last_to(dorothy.mobile_e164).body)
    assert text(client, app, joyce, f"YES {code}").startswith(
        f"Sorry, we could not find exchange {code} waiting for you."
    )
    assert phases(session) == ["pending"]


def test_a_bare_yes_from_a_member_with_no_invitation_asks_for_the_code(client, app, session, bank):
    dorothy = MemberFactory(bank=bank)
    assert text(client, app, dorothy, "Yes").startswith("Please add the number from our text")


def test_member_texts_are_kept_with_their_words_and_reply(client, app, session, bank):
    dorothy = MemberFactory(bank=bank)
    reply = text(client, app, dorothy, "bal")
    row = session.scalars(sa.select(InboundMessage)).one()
    assert (row.kind, row.body, row.reply, row.member_id) == ("balance", "bal", reply, dorothy.id)
