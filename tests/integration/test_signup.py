"""The sign-up meeting: one transaction adds an active member with consent and a welcome."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory
from timebank.errors import InvalidDetail, NotAllowed
from timebank.members.models import Member
from timebank.membership.services import account_of
from timebank.membership.signup import SignUp, sign_up_member, welcome_text
from timebank.sms.gsm import segment_count
from timebank.sms.models import OutboxMessage

URL = "https://timebank.example/sign-in/code"


def jane(**changes) -> SignUp:
    fields = dict(name="Jane Doe", mobile="07812 345678", area="Catford",
                  skills="Baking", help_wanted="A lift to the shops", consent=True)  # fmt: skip
    return SignUp(**{**fields, **changes})


def test_sign_up_adds_an_active_member_with_consent_account_and_welcome(session, bank, broker):
    member = sign_up_member(session, bank.id, broker.id, jane(), URL)

    assert (member.status, member.role, member.mobile_e164) == ("active", "member", "+447812345678")
    assert (member.area, member.skills, member.help_wanted) == (
        "Catford",
        "Baking",
        "A lift to the shops",
    )
    assert member.consent_at is not None
    assert account_of(session, bank.id, member.id).is_open
    text = session.scalars(sa.select(OutboxMessage)).one()
    assert (text.to_e164, text.member_id, text.purpose) == ("+447812345678", member.id, "welcome")
    assert text.body.startswith(f"Welcome to {bank.name}, Jane!") and URL in text.body


def test_sign_up_without_consent_saves_nothing(session, bank, broker):
    with pytest.raises(InvalidDetail, match="Ask Jane if they agree") as caught:
        sign_up_member(session, bank.id, broker.id, jane(consent=False), URL)

    assert caught.value.field == "consent"
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0
    assert session.scalar(sa.select(Member.id).where(Member.display_name == "Jane Doe")) is None


def test_sign_up_refuses_a_mobile_already_in_the_bank(session, bank, broker):
    MemberFactory(bank=bank, mobile="07812 345678")

    with pytest.raises(InvalidDetail, match="already has that mobile number") as caught:
        sign_up_member(session, bank.id, broker.id, jane(), URL)

    assert caught.value.field == "mobile"


def test_sign_up_without_a_mobile_sends_no_text(session, bank, broker):
    member = sign_up_member(session, bank.id, broker.id, jane(mobile=""), URL)

    assert member.mobile_e164 is None
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_only_brokers_sign_people_up(session, bank):
    member = MemberFactory(bank=bank)

    with pytest.raises(NotAllowed):
        sign_up_member(session, bank.id, member.id, jane(), URL)


def test_welcome_fits_one_text_message():
    body = welcome_text(
        "Bernadette", "Ravensbourne Time Bank", "https://ravensbourne.example/sign-in/code"
    )

    assert segment_count(body) == 1
