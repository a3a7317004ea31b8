"""Founding a time bank with its accounts, and the bank settings only an admin may change."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidDetail, InvalidInput, NotFound
from timebank.ledger.models import Account
from timebank.members.acting import acting_member
from timebank.members.models import Member, Organisation
from timebank.members.sign_in_links import Invitation, stage_sign_in_link, stage_texted_code
from timebank.membership.services import stage_member
from timebank.phones import allowed_mobile, parse_regions
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank
from timebank.tenancy.services import (
    MOST_HOURLY_PENCE,
    SOURCE_LIMIT,
    free_sms_number,
    parse_pounds,
    pounds_in_words,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
SETTINGS = (
    "overdraft_minutes",
    "max_balance_minutes",
    "max_exchange_minutes",
    "exchange_past_days",
    "confirm_days",
    "on_expiry",
    "hourly_value_pence",
    "timezone",
    "sms_number",
    "sms_sender",
    "mobile_regions",
    "referral_reply_days",
    "referral_retention_days",
)


@use_case
def create_time_bank(session: so.Session, name: str, slug: str, **settings: Any) -> TimeBank:
    """Create a time bank with its community pot and its own account."""
    bank = stage_time_bank(session, name, slug, **settings)
    session.commit()
    return bank


def stage_time_bank(session: so.Session, name: str, slug: str, **settings: Any) -> TimeBank:
    """Add a time bank with its pot and own account in the caller's transaction."""
    if not SLUG.match(slug or ""):
        raise InvalidInput("A short name uses 3 to 60 lower-case letters, digits and dashes.")
    if not (name or "").strip():
        raise InvalidInput("Please give the time bank a name.")
    if session.scalar(sa.select(TimeBank.id).where(TimeBank.slug == slug)) is not None:
        raise InvalidInput(f"There is already a time bank called {slug}.")
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise InvalidInput(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if "mobile_regions" in settings:
        settings["mobile_regions"] = ",".join(parse_regions(settings["mobile_regions"]))
    bank = TimeBank(name=name.strip(), slug=slug, **settings)
    session.add(bank)
    session.flush()
    for org_name, kind in (("Community pot", "community_pot"), (bank.name, "bank")):
        org = Organisation(bank_id=bank.id, name=org_name, kind=kind)
        session.add(org)
        session.flush()
        # The pot gives only what members gave it; the bank's own account has no limit.
        floor = 0 if kind == "community_pot" else None
        session.add(Account(bank_id=bank.id, organisation_id=org.id, min_balance=floor))
    return bank


@dataclass(frozen=True)
class InvitationPlan:
    """How this install lets a new admin in.

    `can_text`: the install sends real texts (not only to a log). `code_page` turns a code
    request's token into the full address of the page where the code is typed.
    """

    can_text: bool
    hours: int
    code_page: Callable[[str], str]

    @classmethod
    def from_config(cls, config: Mapping[str, Any], code_page: Callable[[str], str]) -> Self:
        """Read SMS_BACKEND and INVITATION_HOURS."""
        can_text = config.get("SMS_BACKEND") not in (None, "console")
        return cls(can_text, int(config["INVITATION_HOURS"]), code_page)


@dataclass(frozen=True)
class StartedBank:
    """A new time bank, its first admin, and how that admin gets in."""

    bank: TimeBank
    admin: Member
    invitation: Invitation


@use_case
def start_time_bank(
    session: so.Session,
    name: str,
    slug: str,
    admin_name: str,
    admin_mobile: str,
    plan: InvitationPlan,
    by: str,
    **settings: Any,
) -> StartedBank:
    """Create a time bank with its first admin, and invite the admin: all or nothing.

    `by` says who did it, for the bank's audit trail ("flask bank create", an operator).
    """
    if not (admin_mobile or "").strip():
        raise InvalidDetail("admin_mobile", "Give the first admin's mobile number.")
    if settings.get("sms_number"):
        settings["sms_number"] = free_sms_number(session, settings["sms_number"])
    bank = stage_time_bank(session, name, slug, **settings)
    admin = stage_member(session, bank.id, admin_name, admin_mobile, role="admin")
    invitation = _stage_invitation(session, bank, admin, plan)
    detail = f"{by}; first admin {admin.display_name}"
    record_action(session, bank.id, None, "bank_created", member_id=admin.id,
                  subject=f"bank:{bank.id}", detail=detail)  # fmt: skip
    session.commit()
    return StartedBank(bank, admin, invitation)


@use_case
def invite_admin(
    session: so.Session, slug: str, plan: InvitationPlan, by: str, mobile: str | None = None
) -> StartedBank:
    """Give an admin of the bank a new one-time way in: the admin with `mobile`, or the first."""
    bank = session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        raise NotFound(f"There is no time bank called {slug}.")
    query = sa.select(Member).where(
        Member.bank_id == bank.id, Member.role == "admin", Member.status == "active"
    )
    if mobile:
        query = query.where(
            Member.mobile_e164 == allowed_mobile(mobile, bank.allowed_mobile_regions)
        )
    admin = session.scalar(query.order_by(Member.id).limit(1))
    if admin is None or admin.mobile_e164 is None:
        raise NotFound(f"{bank.name} has no active admin with that mobile number.")
    invitation = _stage_invitation(session, bank, admin, plan)
    how = "texted a code" if invitation.texted else "made a sign-in link"
    record_action(session, bank.id, None, "admin_invited", member_id=admin.id,
                  subject=f"bank:{bank.id}", detail=f"{by}; {how}")  # fmt: skip
    session.commit()
    return StartedBank(bank, admin, invitation)


def _stage_invitation(
    session: so.Session, bank: TimeBank, admin: Member, plan: InvitationPlan
) -> Invitation:
    """Text the admin a code when texts reach people from this bank; else make a link."""
    if plan.can_text and (bank.sms_sender or bank.sms_number):
        return stage_texted_code(session, admin, bank.name, plan.code_page, plan.hours)
    return stage_sign_in_link(session, admin, plan.hours)


@use_case
def set_hourly_value(
    session: so.Session, bank_id: int, admin_id: int, pounds: str, source: str
) -> TimeBank:
    """Set what reports value one hour of help at, and where that figure comes from."""
    acting_member(session, bank_id, admin_id, "admin", "change the value of an hour")
    pence = parse_pounds(pounds)
    if pence <= 0:
        raise InvalidDetail("pounds", "The value of an hour must be more than £0.")
    if pence > MOST_HOURLY_PENCE:
        raise InvalidDetail(
            "pounds",
            f"The value of an hour can be at most {pounds_in_words(MOST_HOURLY_PENCE)}. "
            "Please check it.",
        )
    words = " ".join((source or "").split())
    if not words:
        raise InvalidDetail("source", "Say where the figure comes from, for example a wage survey.")
    if len(words) > SOURCE_LIMIT:
        raise InvalidDetail(
            "source", f"Please describe the source in at most {SOURCE_LIMIT} characters."
        )
    bank = session.get(TimeBank, bank_id, with_for_update=True)
    if bank is None:
        raise NotFound("There is no such time bank.")
    before = pounds_in_words(bank.hourly_value_pence)
    bank.hourly_value_pence, bank.hourly_value_source = pence, words
    detail = f"{before} to {pounds_in_words(pence)}; source: {words}"
    record_action(session, bank_id, admin_id, "hourly_value_set", subject=f"bank:{bank_id}",
                  detail=detail)  # fmt: skip
    session.commit()
    return bank
