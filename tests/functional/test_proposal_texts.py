"""Members answer a broker's "could you help?" text with YES 12 or NO 12."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory
from tests.functional.sms_texting import (  # noqa: F401  (the app and bank fixtures)
    reply_of,
    text_bank,
    texting_app,
    texting_bank,
)
from timebank.broker import introductions, proposals
from timebank.broker.models import Proposal
from timebank.sms.models import OutboxMessage
from timebank.tenancy.models import BrokerAction


def text(client, app, member, body: str) -> str | None:
    return reply_of(text_bank(client, app, member.mobile_e164, body))


def asked_by_text(session, bank, broker, helpers):
    jane = MemberFactory(bank=bank, display_name="Jane Doe")
    request = ListingFactory(member=jane, kind="request", title="Help in my garden")
    return proposals.send_proposals(
        session, bank.id, broker.id, request.id, [h.id for h in helpers], "sms"
    )


def code_texted_to(session, member) -> int:
    body = session.scalars(
        sa.select(OutboxMessage.body).where(OutboxMessage.to_e164 == member.mobile_e164)
    ).first()
    return int(re.search(r"Reply YES (\d+)", body).group(1))


def status_of(session, proposal_id) -> str:
    session.rollback()
    return session.get(Proposal, proposal_id).status


def test_yes_with_the_code_accepts_the_proposal_and_thanks_the_helper(
    client, app, session, bank, broker
):
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    (proposal,) = asked_by_text(session, bank, broker, [sam])
    code = code_texted_to(session, sam)

    reply = text(client, app, sam, f"YES {code}")

    assert reply == (
        "Thank you for saying yes to helping Jane. We will be in touch soon to introduce you."
    )
    assert status_of(session, proposal.id) == "accepted"
    line = session.scalars(
        sa.select(BrokerAction).where(BrokerAction.action == "proposal_accepted")
    ).one()
    assert (line.broker_id, line.detail) == (sam.id, "answered by text")


def test_no_with_the_code_declines_and_a_second_answer_changes_nothing(
    client, app, session, bank, broker
):
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    (proposal,) = asked_by_text(session, bank, broker, [sam])
    code = code_texted_to(session, sam)

    assert text(client, app, sam, f"no {code}").startswith("Thank you for letting us know.")
    assert text(client, app, sam, f"YES {code}") == (
        f"You already answered request {code}, so nothing changed. Thank you."
    )
    assert status_of(session, proposal.id) == "declined"


def test_someone_elses_code_is_not_found(client, app, session, bank, broker):
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    ola = MemberFactory(bank=bank, display_name="Ola Smith")
    (proposal,) = asked_by_text(session, bank, broker, [sam])
    code = code_texted_to(session, sam)

    assert text(client, app, ola, f"YES {code}").startswith("Sorry, we could not find")
    assert status_of(session, proposal.id) == "sent"


def test_a_withdrawn_proposal_answered_by_text_says_it_is_no_longer_needed(
    client, app, session, bank, broker
):
    sam = MemberFactory(bank=bank, display_name="Sam Green")
    (proposal,) = asked_by_text(session, bank, broker, [sam])
    code = code_texted_to(session, sam)
    introductions.withdraw(session, bank.id, broker.id, proposal.id)

    assert text(client, app, sam, f"YES {code}").startswith(f"Request {code} is no longer needed")
    assert status_of(session, proposal.id) == "withdrawn"
