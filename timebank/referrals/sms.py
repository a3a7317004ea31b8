"""What a referral partner's or a would-be member's text does.

The `/sms/inbound` webhook calls these with the parsed command. They add rows and queue
texts in the webhook's transaction and return the reply; the webhook commits once.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.referrals.grammar import reference, tidy_first_name
from timebank.referrals.making import (
    AlreadyReferred,
    NotTextableMobile,
    ReferralRequest,
    make_referral,
    new_referral,
    textable_mobile,
)
from timebank.referrals.models import PartnerNumber, Referral, ReferralPartner
from timebank.referrals.services import move, open_referral_for, tell_brokers
from timebank.sms import replies
from timebank.sms.commands import Command, Join, Refer
from timebank.tenancy.models import TimeBank


def partner_for_number(session: so.Session, bank_id: int, e164: str) -> ReferralPartner | None:
    """Return the active partner that texts from `e164`, if any."""
    return session.scalar(
        sa.select(ReferralPartner)
        .join(
            PartnerNumber,
            sa.and_(
                PartnerNumber.partner_id == ReferralPartner.id,
                PartnerNumber.bank_id == ReferralPartner.bank_id,
            ),
        )
        .where(
            PartnerNumber.bank_id == bank_id,
            PartnerNumber.e164 == e164,
            ReferralPartner.active.is_(True),
        )
    )


def handle_refer(
    session: so.Session,
    bank: TimeBank,
    partner: ReferralPartner,
    command: Refer,
    now: dt.datetime,
) -> str:
    """Make a partner's referral (`make_referral`) and return the practice's reply."""
    request = ReferralRequest(command.mobile, command.first_name, command.reason)
    try:
        made = make_referral(session, bank.id, partner.id, request, now)
    except (NotTextableMobile, AlreadyReferred) as refusal:
        return refusal_reply(refusal)
    ref = reference(made.referral.id)
    if made.reason_redacted:
        return replies.referral_received_redacted(ref)
    return replies.referral_received(ref)


def refusal_reply(refusal: NotTextableMobile | AlreadyReferred) -> str:
    """Return the practice's reply text for a referral that was refused."""
    if isinstance(refusal, AlreadyReferred):
        return replies.referral_already_open(refusal.reference)
    return replies.referral_bad_number(refusal.mobile, refusal.wanted)


def _patient_number(session: so.Session, bank_id: int, raw: str) -> str | None:
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        return None
    try:
        return textable_mobile(raw, bank)
    except NotTextableMobile:
        return None


def referral_about(session: so.Session, bank_id: int, sender: str, command: Command) -> int | None:
    """Return the referral a text is about: the patient's for a REFER, else the sender's."""
    if isinstance(command, Refer):
        e164 = _patient_number(session, bank_id, command.mobile)
    else:
        e164 = sender
    if e164 is None:
        return None
    return session.scalar(
        sa.select(Referral.id)
        .where(
            Referral.bank_id == bank_id,
            Referral.patient_e164 == e164,
            Referral.purged_at.is_(None),
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )


def handle_join(
    session: so.Session, bank: TimeBank, from_e164: str, command: Join, now: dt.datetime
) -> str:
    """Record a self-referral from `from_e164`; return the reply."""
    first_name = tidy_first_name(command.first_name) if command.first_name else ""
    existing = open_referral_for(session, bank.id, from_e164)
    if existing is not None:
        if existing.status == "invited":
            # Texting JOIN after a practice's invitation is as clear a yes as YES.
            _answer(session, existing, True, now)
        return replies.join_thanks(first_name or existing.first_name, bank.name)
    referral = new_referral(session, bank, None, from_e164, first_name, "", now)
    referral.answered_at = now
    move(session, referral, "consented", now, note="Texted JOIN")
    tell_brokers(session, bank.id, referral, None)
    return replies.join_thanks(first_name, bank.name)


def _answer(session: so.Session, referral: Referral, yes: bool, now: dt.datetime) -> None:
    referral.answered_at = now
    move(session, referral, "consented" if yes else "declined", now)


def handle_invitation_answer(
    session: so.Session, bank: TimeBank, from_e164: str, yes: bool, now: dt.datetime
) -> str | None:
    """Apply a YES or NO to an open invitation for `from_e164`; None if there is none."""
    referral = session.scalar(
        sa.select(Referral)
        .where(
            Referral.bank_id == bank.id,
            Referral.patient_e164 == from_e164,
            Referral.status == "invited",
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )
    if referral is None:
        return None
    _answer(session, referral, yes, now)
    return replies.invitation_accepted(bank.name) if yes else replies.invitation_declined(bank.name)
