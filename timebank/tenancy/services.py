"""A time bank's own settings: its SMS number and sender, and the value of an hour in pounds."""

from __future__ import annotations

import re

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidDetail, InvalidInput
from timebank.phones import normalise_mobile, parse_regions
from timebank.tenancy.models import TimeBank

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
    bank = session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        raise InvalidInput(f"There is no time bank called {slug}.")
    if number is not None:
        bank.sms_number = free_sms_number(session, number, bank.id)
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


def free_sms_number(session: so.Session, number: str, bank_id: int | None = None) -> str:
    """Return `number` in E.164 if no other time bank is texted at it, else raise."""
    e164 = normalise_mobile(number)
    taken = session.scalar(
        sa.select(TimeBank.slug).where(TimeBank.sms_number == e164, TimeBank.id != bank_id)
    )
    if taken:
        raise InvalidInput(f"{number} is already the number of the time bank {taken}.")
    return e164


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
