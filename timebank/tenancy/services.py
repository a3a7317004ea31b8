"""Creating and configuring time banks."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidDetail, InvalidInput, NotAllowed, NotFound
from timebank.ledger.models import Account
from timebank.members.models import Organisation
from timebank.members.profile import member_of_bank
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank

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
        from timebank.phones import parse_regions

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


def community_pot_account(session: so.Session, bank_id: int) -> Account:
    """Return the account of a bank's community pot."""
    return session.scalars(
        sa.select(Account)
        .join(Organisation, Organisation.id == Account.organisation_id)
        .where(Account.bank_id == bank_id, Organisation.kind == "community_pot")
    ).one()


MESSAGING_SERVICE = re.compile(r"^MG[0-9a-fA-F]{32}$")


@use_case
def set_sms_settings(
    session: so.Session,
    slug: str,
    number: str | None = None,
    sender: str | None = None,
    reply_days: int | None = None,
    retention_days: int | None = None,
    mobile_countries: str | None = None,
) -> TimeBank:
    """Set a time bank's SMS number and sender, referral days and members' mobile countries."""
    from timebank.phones import normalise_mobile, parse_regions

    bank = session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        raise InvalidInput(f"There is no time bank called {slug}.")
    if number is not None:
        e164 = normalise_mobile(number)
        taken = session.scalar(
            sa.select(TimeBank.slug).where(TimeBank.sms_number == e164, TimeBank.id != bank.id)
        )
        if taken:
            raise InvalidInput(f"{number} is already the number of the time bank {taken}.")
        bank.sms_number = e164
    if sender is not None:
        if sender and not MESSAGING_SERVICE.match(sender):
            sender = normalise_mobile(sender)
        bank.sms_sender = sender or None
    for name, days in (
        ("referral_reply_days", reply_days),
        ("referral_retention_days", retention_days),
    ):
        if days is not None:
            if not 0 < days <= 3650:
                raise InvalidInput("Days must be a whole number from 1 to 3650.")
            setattr(bank, name, days)
    if mobile_countries is not None:
        bank.mobile_regions = ",".join(parse_regions(mobile_countries))
    session.commit()
    return bank


# The highest hourly value a bank may set: well above any wage, low enough to catch a slip
# such as 1390 typed for 13.90.
MOST_HOURLY_PENCE = 100_000
SOURCE_LIMIT = 200
_POUNDS = re.compile(r"^(\d{1,7})(?:\.(\d{1,2}))?$", re.ASCII)


def parse_pounds(text: str) -> int:
    """Return an amount written in pounds ("13.90", "£14", "15.5") in pence."""
    cleaned = (text or "").strip().removeprefix("£").replace(",", "").strip()
    if not cleaned:
        raise InvalidDetail("pounds", "Enter the value of one hour of help, for example 13.90.")
    found = _POUNDS.match(cleaned)
    if found is None:
        raise InvalidDetail(
            "pounds",
            "Write the value in pounds and pence, for example 13.90 (no more than two "
            "numbers after the point).",
        )
    pounds, pence = found.group(1), (found.group(2) or "0").ljust(2, "0")
    return int(pounds) * 100 + int(pence)


def pounds_in_words(pence: int) -> str:
    """Return pence as pounds, such as "£13.90"."""
    return f"£{pence // 100:,}.{pence % 100:02d}"


@use_case
def set_hourly_value(
    session: so.Session, bank_id: int, admin_id: int, pounds: str, source: str
) -> TimeBank:
    """Set what reports value one hour of help at, and where that figure comes from."""
    if not member_of_bank(session, bank_id, admin_id).has_role("admin"):
        raise NotAllowed("Only an admin can change the value of an hour.")
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
