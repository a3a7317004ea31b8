"""What a referral partner's or a would-be member's text does (being built)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy.orm as so

from timebank.referrals.models import ReferralPartner
from timebank.sms.commands import Join, Refer
from timebank.tenancy.models import TimeBank


def partner_for_number(session: so.Session, bank_id: int, e164: str) -> ReferralPartner | None:
    """Return the active partner that texts from `e164`, if any."""
    raise NotImplementedError


def handle_refer(
    session: so.Session,
    bank: TimeBank,
    partner: ReferralPartner,
    command: Refer,
    now: dt.datetime,
) -> str:
    """Record a partner's referral, invite the patient, tell brokers; return the reply."""
    raise NotImplementedError


def handle_join(
    session: so.Session, bank: TimeBank, from_e164: str, command: Join, now: dt.datetime
) -> str:
    """Record a self-referral from `from_e164`; return the reply."""
    raise NotImplementedError


def handle_invitation_answer(
    session: so.Session, bank: TimeBank, from_e164: str, yes: bool, now: dt.datetime
) -> str | None:
    """Apply a YES or NO to an open invitation for `from_e164`; None if there is none."""
    raise NotImplementedError
