"""Creating and configuring time banks."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.ledger.models import Account
from timebank.members.models import Organisation
from timebank.tenancy.models import TimeBank

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$")
SETTINGS = (
    "overdraft_minutes",
    "max_balance_minutes",
    "max_exchange_minutes",
    "confirm_days",
    "on_expiry",
    "hourly_value_pence",
    "timezone",
    "sms_number",
    "sms_sender",
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
    bank = TimeBank(name=name.strip(), slug=slug, **settings)
    session.add(bank)
    session.flush()
    for org_name, kind in (("Community pot", "community_pot"), (bank.name, "bank")):
        org = Organisation(bank_id=bank.id, name=org_name, kind=kind)
        session.add(org)
        session.flush()
        session.add(Account(bank_id=bank.id, organisation_id=org.id))
    session.commit()
    return bank


def community_pot_account(session: so.Session, bank_id: int) -> Account:
    """Return the account of a bank's community pot."""
    return session.scalars(
        sa.select(Account)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.bank_id == bank_id, Organisation.kind == "community_pot")
    ).one()
