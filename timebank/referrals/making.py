"""Making a referral: the one way a practice refers a patient, by text or through the API.

`make_referral` holds the rules (a practice that takes referrals, a mobile the bank can
text, one open referral per patient, no NHS numbers or dates in the reason), records the
referral, queues the patient's invitation and tells the brokers. It works in the caller's
transaction, as the text handlers do (the `/sms/inbound` webhook commits once per text);
`refer_patient` is the use case that commits, for the API. Each edge maps the errors to
its own form: a problem+json answer, or the practice's reply text (`referrals/sms.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import Conflict, InvalidInput, NotAllowed
from timebank.phones import InvalidPhoneNumber, allowed_mobile, mobiles_allowed
from timebank.referrals.grammar import redact_identifiers, reference, tidy_first_name
from timebank.referrals.models import Referral, ReferralPartner
from timebank.referrals.services import move, open_referral_for, tell_brokers
from timebank.sms import replies
from timebank.sms.outbox import queue_sms
from timebank.tenancy.models import TimeBank


class ReferralsPaused(NotAllowed):
    """The practice does not take referrals now (paused, or not this bank's)."""

    code = "referrals_paused"

    def __init__(self) -> None:
        super().__init__("This practice's referrals are paused. Please call the time bank.")


class NotTextableMobile(InvalidInput):
    """The patient's number is not a mobile of a country the bank texts."""

    code = "not_a_mobile"

    def __init__(self, message: str, mobile: str, wanted: str) -> None:
        super().__init__(message)
        self.mobile, self.wanted = mobile, wanted


class AlreadyReferred(Conflict):
    """The patient already has an open referral; `reference` names it (R-0042)."""

    code = "already_referred"

    def __init__(self, existing: str) -> None:
        super().__init__(
            f"That patient already has an open referral, {existing}. No new referral was made."
        )
        self.reference = existing


@dataclass(frozen=True)
class ReferralRequest:
    """What a practice sends: the patient's mobile, first name and a few words of need."""

    mobile: str
    first_name: str
    reason: str = ""


@dataclass(frozen=True)
class MadeReferral:
    """A new referral, and whether a number or date was removed from its reason."""

    referral: Referral
    reason_redacted: bool


def textable_mobile(raw: str, bank: TimeBank) -> str:
    """Return the patient's number in E.164 if it is a mobile the bank can text, else raise.

    Only mobiles of the countries the bank allows (UK by default): never a landline, a
    premium or personal number, or a satellite phone.
    """
    try:
        return allowed_mobile(raw, bank.allowed_mobile_regions)
    except InvalidPhoneNumber as error:
        wanted = mobiles_allowed(bank.allowed_mobile_regions)
        raise NotTextableMobile(error.message, raw, wanted) from error


def new_referral(
    session: so.Session,
    bank: TimeBank,
    partner_id: int | None,
    e164: str,
    first_name: str,
    reason: str,
    now: dt.datetime,
) -> Referral:
    """Add a referral as received, with its first step; flushed, so its id is known."""
    referral = Referral(
        bank_id=bank.id,
        partner_id=partner_id,
        patient_e164=e164,
        first_name=first_name,
        reason=reason,
        status="received",
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()  # the reference quoted in texts is the id
    move(session, referral, "received", now)
    return referral


def _referring_partner(session: so.Session, bank_id: int, partner_id: int) -> ReferralPartner:
    partner = session.get(ReferralPartner, partner_id)
    if partner is None or partner.bank_id != bank_id or not partner.active:
        raise ReferralsPaused()
    return partner


def make_referral(
    session: so.Session,
    bank_id: int,
    partner_id: int,
    request: ReferralRequest,
    now: dt.datetime,
) -> MadeReferral:
    """Refer a patient for a practice, invite them by text and tell the brokers.

    Works in the caller's transaction and does not commit.
    """
    partner = _referring_partner(session, bank_id, partner_id)
    bank = session.get(TimeBank, bank_id)
    assert bank is not None  # the partner's foreign key guarantees the bank
    e164 = textable_mobile(request.mobile, bank)
    existing = open_referral_for(session, bank.id, e164)
    if existing is not None:
        raise AlreadyReferred(reference(existing.id))
    reason, removed = redact_identifiers(request.reason)
    first_name = tidy_first_name(request.first_name)
    referral = new_referral(session, bank, partner.id, e164, first_name, reason, now)
    invitation = replies.referral_invitation(first_name, partner.name, bank.name)
    text = queue_sms(session, bank.id, e164, invitation, "referral_invitation", now=lambda: now)
    text.referral_id = referral.id
    referral.invited_at = now
    move(session, referral, "invited", now)
    tell_brokers(session, bank.id, referral, partner.name)
    return MadeReferral(referral, removed)


@use_case
def refer_patient(
    session: so.Session,
    bank_id: int,
    partner_id: int,
    request: ReferralRequest,
    now: Callable[[], dt.datetime] = utcnow,
) -> MadeReferral:
    """Make a referral for a practice (see `make_referral`) and commit it."""
    made = make_referral(session, bank_id, partner_id, request, now())
    session.commit()
    return made
