"""A small world for the API's cross-cutting tests: bank A with a bit of everything, and bank B."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.broker.models import OutreachFlag
from timebank.broker.outreach import refresh_flags
from timebank.ledger.pot import PotDonation, donate_to_pot
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.membership.tokens import create_token
from timebank.referrals import partners
from timebank.referrals.models import Referral
from timebank.referrals.sms import handle_refer
from timebank.sms.commands import parse_text

LONG_AGO = dt.datetime(2024, 1, 10, 12, 0, tzinfo=dt.UTC)
# Words only bank A's records contain: no answer to bank B may show them.
BANK_A_WORDS = ("Joyce Campbell", "Sam Okafor", "Ravensbourne", "Zinnia")


@dataclass
class World:
    """Bank A's people, tokens and records, and bank B's admin."""

    tokens: dict[str, str]
    other_admin_token: str
    ids: dict[str, Any]


def build_world(session) -> World:
    """Make bank A (people, a practice, a referral, a request, exchanges, a flag) and bank B."""
    bank = TimeBankFactory()
    ada = MemberFactory(bank=bank, display_name="Ada Admin", role="admin")
    bea = MemberFactory(bank=bank, display_name="Bea Broker", role="broker")
    joyce = MemberFactory(bank=bank, display_name="Joyce Campbell")
    sam_ = MemberFactory(bank=bank, display_name="Sam Okafor")
    kim = MemberFactory(bank=bank, display_name="Kim Lee")
    lee = MemberFactory(bank=bank, display_name="Lee Park")
    MemberFactory(bank=bank, display_name="Ola Quiet", now=lambda: LONG_AGO)
    partner = partners.add_partner(session, bank.id, ada.id, "Ravensbourne Health Centre")
    partners.add_partner_number(session, bank.id, ada.id, partner.id, "07400 000111")
    handle_refer(session, bank, partner, parse_text("REFER 07812 345678 Zinnia lonely"), LONG_AGO)
    session.commit()
    request = ListingFactory(member=sam_, kind="request", title="Weeding the Zinnia bed")

    def exchange(giver, receiver, by) -> uuid.UUID:
        return record_exchange(
            session,
            ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, by.id),
        ).id

    group_id = uuid.uuid4()
    record_group_exchange(
        session, GroupExchangeRequest(group_id, bank.id, [kim.id], [sam_.id, lee.id], 30, bea.id)
    )
    # Something in the community pot, so that a grant from it can succeed.
    donate_to_pot(session, PotDonation(uuid.uuid4(), bank.id, lee.id, 60, bea.id))
    refresh_flags(session, bank.id, dt.date.today())
    other = TimeBankFactory()
    other_admin = MemberFactory(bank=other, display_name="Otto Other", role="admin")
    ids = {
        "sam": sam_.id,
        "kim": kim.id,
        "lee": lee.id,
        "listing": request.id,
        "referral": session.scalar(sa.select(Referral.id).where(Referral.bank_id == bank.id)),
        "partner": partner.id,
        "pending": exchange(sam_, kim, by=sam_),
        "posted": exchange(kim, sam_, by=sam_),
        "group": group_id,
        "flag": session.scalar(
            sa.select(OutreachFlag.id).where(OutreachFlag.bank_id == bank.id).limit(1)
        ),
    }
    assert ids["flag"] is not None and ids["referral"] is not None

    def token(member, **extra) -> str:
        return create_token(session, bank.id, member.id, "Matrix", **extra)[1]

    tokens = {
        "practice": token(ada, partner_id=partner.id),
        "member": token(joyce),
        "broker": token(bea),
        "admin": token(ada),
    }
    other_token = create_token(session, other.id, other_admin.id, "Other bank")[1]
    session.commit()
    return World(tokens, other_token, ids)
