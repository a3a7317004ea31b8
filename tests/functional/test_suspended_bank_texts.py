"""Texts to a suspended time bank do nothing but say so; STOP still stops texts."""

from __future__ import annotations

import sqlalchemy as sa

from tests.factories import MemberFactory
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.ledger.models import Transfer
from timebank.operators.access import add_operator
from timebank.operators.banks import lift_suspension, suspend_bank
from timebank.sms.models import InboundMessage
from timebank.sms.optouts import is_opted_out


def test_a_suspended_banks_member_cannot_text_commands(client, app, session, bank):
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    dorothy = MemberFactory(bank=bank, display_name="Dorothy Palmer")
    operator = add_operator(session, "Olu Operator", "olu@example.org", "lantern harbour quietly")
    suspend_bank(session, operator, bank.id, "Unpaid hosting")

    for body in ("BAL", f"GAVE 1h TO {dorothy.id} gardening", "JOIN Sam"):
        reply = reply_of(text_bank(client, app, joyce.mobile_e164, body))
        assert reply is not None and "is suspended for now, so texts to it do nothing" in reply
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 0

    assert reply_of(text_bank(client, app, joyce.mobile_e164, "STOP")) is None
    assert is_opted_out(session, bank.id, joyce.mobile_e164)

    lift_suspension(session, operator, bank.id)
    reply = reply_of(text_bank(client, app, joyce.mobile_e164, "START"))
    assert reply is None
    assert "balance is 0:00" in reply_of(text_bank(client, app, joyce.mobile_e164, "BAL"))
