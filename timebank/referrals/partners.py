"""Referral partners (GP practices) and the mobile numbers they text referrals from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.members.acting import acting_member
from timebank.members.models import Organisation
from timebank.phones import InvalidPhoneNumber, normalise_mobile
from timebank.referrals.models import PartnerNumber, ReferralPartner
from timebank.tenancy.audit import record_action


class PartnerDetailError(InvalidInput):
    """A partner's detail that cannot be saved; `field` names the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def partner_in_bank(session: so.Session, bank_id: int, partner_id: int) -> ReferralPartner:
    """Return a referral partner of this bank or raise NotFound."""
    partner = session.get(ReferralPartner, partner_id)
    if partner is None or partner.bank_id != bank_id:
        raise NotFound("There is no such referral partner in this time bank.")
    return partner


def list_partners(session: so.Session, bank_id: int) -> list[ReferralPartner]:
    """Return the bank's referral partners by name."""
    return list(
        session.scalars(
            sa.select(ReferralPartner)
            .where(ReferralPartner.bank_id == bank_id)
            .order_by(ReferralPartner.name)
        )
    )


def partner_numbers(session: so.Session, bank_id: int, partner_id: int) -> list[PartnerNumber]:
    """Return the numbers a partner texts from, oldest first."""
    return list(
        session.scalars(
            sa.select(PartnerNumber)
            .where(PartnerNumber.bank_id == bank_id, PartnerNumber.partner_id == partner_id)
            .order_by(PartnerNumber.id)
        )
    )


def gp_practices(session: so.Session, bank_id: int) -> list[Organisation]:
    """Return the bank's GP practice organisations, which a partner may be linked to."""
    return list(
        session.scalars(
            sa.select(Organisation)
            .where(Organisation.bank_id == bank_id, Organisation.kind == "gp_practice")
            .order_by(Organisation.name)
        )
    )


def _clean_partner_name(session: so.Session, bank_id: int, name: str) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise PartnerDetailError("name", "Enter the practice's name.")
    if len(text) > 120:
        raise PartnerDetailError("name", "The name can have at most 120 characters.")
    taken = session.scalar(
        sa.select(ReferralPartner.id).where(
            ReferralPartner.bank_id == bank_id, sa.func.lower(ReferralPartner.name) == text.lower()
        )
    )
    if taken is not None:
        raise PartnerDetailError("name", f"There is already a referral partner called {text}.")
    return text


def _check_organisation(session: so.Session, bank_id: int, organisation_id: int | None) -> None:
    if organisation_id is None:
        return
    org = session.get(Organisation, organisation_id)
    if org is None or org.bank_id != bank_id or org.kind != "gp_practice":
        raise PartnerDetailError("organisation", "Choose one of this time bank's GP practices.")


def _require_admin(session: so.Session, bank_id: int, admin_id: int) -> None:
    acting_member(session, bank_id, admin_id, "admin", "change referral partners")


@use_case
def add_partner(
    session: so.Session,
    bank_id: int,
    admin_id: int,
    name: str,
    organisation_id: int | None = None,
    now: Callable[[], dt.datetime] = utcnow,
) -> ReferralPartner:
    """Register a referral partner (a GP practice), optionally linked to its organisation."""
    _require_admin(session, bank_id, admin_id)
    clean = _clean_partner_name(session, bank_id, name)
    _check_organisation(session, bank_id, organisation_id)
    partner = ReferralPartner(
        bank_id=bank_id, name=clean, organisation_id=organisation_id, created_at=now()
    )
    session.add(partner)
    session.commit()
    return partner


@use_case
def add_partner_number(
    session: so.Session,
    bank_id: int,
    admin_id: int,
    partner_id: int,
    raw: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> PartnerNumber:
    """Add a mobile number a partner texts from; each number belongs to one partner."""
    _require_admin(session, bank_id, admin_id)
    partner_in_bank(session, bank_id, partner_id)
    try:
        e164 = normalise_mobile(raw)
    except InvalidPhoneNumber as error:
        raise PartnerDetailError("mobile", error.message) from None
    if _number_taken(session, bank_id, e164):
        raise PartnerDetailError("mobile", "That number is already a referral partner's number.")
    number = PartnerNumber(bank_id=bank_id, partner_id=partner_id, e164=e164, created_at=now())
    session.add(number)
    session.commit()
    return number


def _number_taken(session: so.Session, bank_id: int, e164: str) -> bool:
    found = session.scalar(
        sa.select(PartnerNumber.id).where(
            PartnerNumber.bank_id == bank_id, PartnerNumber.e164 == e164
        )
    )
    return found is not None


@use_case
def remove_partner_number(
    session: so.Session, bank_id: int, admin_id: int, partner_id: int, number_id: int
) -> str:
    """Stop taking referrals from one of a partner's numbers; return the number removed."""
    _require_admin(session, bank_id, admin_id)
    number = session.get(PartnerNumber, number_id)
    if number is None or number.bank_id != bank_id or number.partner_id != partner_id:
        raise NotFound("There is no such number for this partner.")
    e164 = number.e164
    session.delete(number)
    session.commit()
    return e164


@use_case
def set_partner_active(
    session: so.Session, bank_id: int, admin_id: int, partner_id: int, active: bool
) -> ReferralPartner:
    """Pause or resume taking referrals from a partner."""
    _require_admin(session, bank_id, admin_id)
    partner = partner_in_bank(session, bank_id, partner_id)
    partner.active = active
    session.commit()
    return partner


@use_case
def link_partner_account(
    session: so.Session, bank_id: int, admin_id: int, partner_id: int, organisation_id: int | None
) -> ReferralPartner:
    """Link a referral partner to its GP practice's hour account, or unlink it (None)."""
    _require_admin(session, bank_id, admin_id)
    partner = partner_in_bank(session, bank_id, partner_id)
    _check_organisation(session, bank_id, organisation_id)
    if partner.organisation_id != organisation_id:
        partner.organisation_id = organisation_id
        detail = f"organisation:{organisation_id}" if organisation_id else "unlinked"
        record_action(session, bank_id, admin_id, "partner_account_linked",
                      subject=f"partner:{partner.id}", detail=detail)  # fmt: skip
    session.commit()
    return partner
