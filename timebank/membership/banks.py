"""Founding a time bank with its accounts, and the bank settings only an admin may change."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidDetail, InvalidInput, NotFound
from timebank.ledger.models import Account
from timebank.members.acting import acting_member
from timebank.members.models import Organisation
from timebank.phones import parse_regions
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank
from timebank.tenancy.services import (
    MOST_HOURLY_PENCE,
    SOURCE_LIMIT,
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
    session.commit()
    return bank


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
