"""A GP referral end to end, through Twilio's signed webhook, the broker's pages and the CLI."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, sign_in_as
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.models import Member
from timebank.referrals.models import Referral, ReferralEvent
from timebank.sms import replies
from timebank.sms.models import OutboxMessage

PRACTICE_PHONE = "+447400000111"
PATIENT = "+447812345678"


@pytest.fixture
def admin(bank):
    """Return an admin of `bank` (who takes no texts, to keep the outbox simple)."""
    return MemberFactory(bank=bank, display_name="Ada Admin", role="admin", mobile=None)


def outbox_to(session, e164: str) -> list[str]:
    return list(
        session.scalars(
            sa.select(OutboxMessage.body)
            .where(OutboxMessage.to_e164 == e164)
            .order_by(OutboxMessage.id)
        )
    )


def test_a_practice_refers_a_patient_who_joins_and_makes_a_first_exchange(
    app, client, session, bank, broker, practice
):
    sent = app.extensions["timebank_sms"].sent

    # The practice texts a referral, untidily typed.
    receipt = reply_of(
        text_bank(client, app, PRACTICE_PHONE, "refer 07812-345-678 jane lonely since op")
    )
    referral = session.scalars(sa.select(Referral)).one()
    ref = f"R-{referral.id:04d}"
    assert receipt == replies.referral_received(ref)
    [invitation] = [text.body for text in sent if text.to == PATIENT]
    assert "Ravensbourne Health Centre" in invitation and "Reply YES or NO" in invitation
    assert [text.body for text in sent if text.to == broker.mobile_e164] == [
        f"New referral {ref} from Ravensbourne Health Centre. See the referral queue."
    ]

    # The patient says yes.
    assert reply_of(text_bank(client, app, PATIENT, "Yes")) == replies.invitation_accepted(
        bank.name
    )

    # A broker finds them in the queue and signs them up from the referral.
    sign_in_as(client, broker)
    assert ref in client.get("/broker/referrals").get_data(as_text=True)
    client.post(
        f"/broker/sign-up?referral={referral.id}",
        data={"name": "Jane Doe", "mobile": "07812 345678", "consent": "y"},
    )
    jane = session.scalars(sa.select(Member).where(Member.mobile_e164 == PATIENT)).one()

    # Jane's first exchange, then the scheduler's follow-up.
    helper = MemberFactory(bank=bank, display_name="Harold Jenkins")
    record_exchange(
        session, ExchangeRequest(uuid.uuid4(), bank.id, helper.id, jane.id, 90, jane.id)
    )
    runner = app.test_cli_runner()
    first = runner.invoke(args=["referrals", "follow-up"])
    again = runner.invoke(args=["referrals", "follow-up"])

    assert "Practices told of 1 first exchange." in first.output
    assert "Practices told of 0 first exchanges." in again.output
    session.refresh(referral)
    assert (referral.status, referral.member_id) == ("first_exchange", jane.id)
    assert outbox_to(session, PRACTICE_PHONE) == [
        replies.patient_joined(ref),
        replies.patient_first_exchange(ref),
    ]
    every_text = " ".join(session.scalars(sa.select(OutboxMessage.body)))
    assert "lonely" not in every_text and " op" not in every_text
    statuses = session.scalars(
        sa.select(ReferralEvent.status)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.id)
    ).all()
    assert statuses == ["received", "invited", "consented", "joined", "first_exchange"]


def test_help_from_a_practice_gives_the_referral_format(app, client, bank, practice):
    reply = reply_of(text_bank(client, app, PRACTICE_PHONE, "help"))

    assert reply == replies.partner_help(bank.name)


def test_a_number_we_do_not_know_gets_the_stranger_reply(app, client, session, bank, practice):
    reply = reply_of(text_bank(client, app, "+447812999000", "REFER 07812 345678 Jane lonely"))

    assert reply == replies.stranger_reply(bank.name)
    assert session.scalars(sa.select(Referral)).all() == []


def test_an_nhs_number_in_a_referral_text_is_never_stored(app, client, session, bank, practice):
    reply = reply_of(
        text_bank(client, app, PRACTICE_PHONE, "REFER 07812 345678 Jane 943 476 5919 lonely")
    )

    [referral] = session.scalars(sa.select(Referral)).all()
    assert "943" not in referral.reason and "never text NHS numbers" in reply


def test_no_ends_the_conversation_politely(app, client, session, bank, practice):
    text_bank(client, app, PRACTICE_PHONE, "REFER 07812 345678 Jane lonely")

    reply = reply_of(text_bank(client, app, PATIENT, "no"))

    assert reply == replies.invitation_declined(bank.name)
    assert session.scalars(sa.select(Referral.status)).one() == "declined"


def test_purge_command_purges_old_unconverted_referrals_in_every_bank(
    app, client, session, bank, practice
):
    text_bank(client, app, PRACTICE_PHONE, "REFER 07812 345678 Jane lonely")
    referral = session.scalars(sa.select(Referral)).one()
    referral.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(
        days=bank.referral_retention_days + 1
    )
    session.commit()

    result = app.test_cli_runner().invoke(args=["referrals", "purge"])

    assert result.exit_code == 0
    assert "Purged 1 referral (" in result.output
    session.expire_all()
    kept = session.scalars(sa.select(Referral)).one()
    assert (kept.patient_e164, kept.first_name, kept.reason) == ("", "", "")
    assert outbox_to(session, PATIENT) == []
