"""One make_referral for both edges: a practice's REFER text and its API token.

Whichever edge a referral comes in by, the same service decides (a mobile the bank can
text, one open referral per patient, a practice that takes referrals) and each edge says
its refusal in its own form: a problem+json answer, or the practice's reply text.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import TimeBankFactory
from timebank.membership.tokens import create_token
from timebank.referrals import partners
from timebank.referrals.making import (
    AlreadyReferred,
    NotTextableMobile,
    ReferralRequest,
    ReferralsPaused,
    make_referral,
    refer_patient,
)
from timebank.referrals.models import Referral
from timebank.sms import replies
from timebank.sms.models import InboundMessage, OutboxMessage
from timebank.texting.inbound import IncomingText, receive_text

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
BANK_NUMBER = "+447700900100"


@pytest.fixture
def bank(session):
    """Return a time bank that texts from its own number."""
    return TimeBankFactory(sms_number=BANK_NUMBER)


@pytest.fixture
def practice_token(session, bank, admin, practice) -> str:
    return create_token(session, bank.id, admin.id, "Surgery", partner_id=practice.id)[1]


def by_api(client, token: str, mobile: str, first_name: str = "Mary"):
    return client.post(
        "/api/v1/referrals",
        json={"mobile": mobile, "first_name": first_name, "reason": "lonely"},
        headers={"Authorization": f"Bearer {token}"},
    )


def by_text(session, body: str) -> str | None:
    text = IncomingText(str(uuid.uuid4()), "+447400000111", BANK_NUMBER, body)
    return receive_text(session, text, now=lambda: NOW)


def count(session, model) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_referral_made_by_text_is_already_open_for_the_api_with_the_same_reference(
    client, session, practice_token
):
    reply = by_text(session, "REFER 07812 999888 Mary lonely")
    made = session.scalars(sa.select(Referral)).one()
    reference = f"R-{made.id:04d}"

    answer = by_api(client, practice_token, "07812 999888")

    assert reply == replies.referral_received(reference)
    assert answer.status_code == 409 and answer.get_json()["code"] == "already_referred"
    assert reference in answer.get_json()["detail"]
    assert count(session, Referral) == 1


def test_a_referral_made_through_the_api_is_already_open_for_a_text(
    client, session, practice_token
):
    answer = by_api(client, practice_token, "07812 999888")
    reference = answer.get_json()["reference"]

    reply = by_text(session, "REFER 07812 999888 Mary lonely")

    assert answer.status_code == 201 and answer.get_json()["status"] == "invited"
    assert reply == replies.referral_already_open(reference)
    assert count(session, Referral) == 1
    # The API's referral invited the patient and was committed once, by the service.
    invitations = session.scalars(
        sa.select(OutboxMessage.purpose).where(OutboxMessage.to_e164 == "+447812999888")
    ).all()
    assert invitations == ["referral_invitation"]


def test_a_landline_is_refused_by_both_edges_from_the_one_rule(client, session, practice_token):
    answer = by_api(client, practice_token, "020 7946 0000")
    reply = by_text(session, "REFER 020 7946 0000 Mary lonely")

    assert answer.status_code == 422 and answer.get_json()["code"] == "not_a_mobile"
    assert "020 7946 0000 is not a mobile number we can text" in answer.get_json()["detail"]
    assert reply == replies.referral_bad_number("020 7946 0000", "a UK mobile number")
    assert count(session, Referral) == 0
    # The text itself is kept (a known flow), the referral is not.
    assert count(session, InboundMessage) == 1


def test_the_service_refuses_a_paused_practice_and_another_banks(session, bank, admin, practice):
    request = ReferralRequest("07812 999888", "Mary", "lonely")
    partners.set_partner_active(session, bank.id, admin.id, practice.id, False)
    with pytest.raises(ReferralsPaused):
        make_referral(session, bank.id, practice.id, request, NOW)
    other_bank = TimeBankFactory()
    with pytest.raises(ReferralsPaused):
        refer_patient(session, other_bank.id, practice.id, request)
    assert count(session, Referral) == 0


def test_the_service_says_which_referral_is_open_and_which_numbers_it_takes(
    session, bank, practice
):
    request = ReferralRequest("07812 999888", "mary", "lonely, NHS 943 476 5919")
    made = refer_patient(session, bank.id, practice.id, request, now=lambda: NOW)
    with pytest.raises(AlreadyReferred) as again:
        refer_patient(session, bank.id, practice.id, request, now=lambda: NOW)
    with pytest.raises(NotTextableMobile) as landline:
        refer_patient(
            session, bank.id, practice.id, ReferralRequest("020 7946 0000", "Mary"), now=lambda: NOW
        )

    assert made.reason_redacted and "943" not in made.referral.reason
    assert made.referral.first_name == "Mary" and made.referral.status == "invited"
    assert again.value.reference == f"R-{made.referral.id:04d}"
    assert (landline.value.mobile, landline.value.wanted) == ("020 7946 0000", "a UK mobile number")
