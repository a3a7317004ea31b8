"""The settings page's use case: an admin changes their bank's settings, every change audited.

The member limits live on each account too (CHECK constraints), so a new overdraft or
maximum balance is written to every member's account in the same transaction, and refused
when someone is already beyond it.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidDetail, InvalidInput, NotFound
from timebank.ledger.models import Account
from timebank.members.acting import acting_member
from timebank.phones import country_name, normalise_mobile, parse_regions
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import EXPIRY_ACTIONS, TimeBank
from timebank.tenancy.services import MESSAGING_SERVICE, free_sms_number


@dataclass(frozen=True)
class SettingsForm:
    """What the admin typed on the settings page, as text."""

    name: str
    overdraft_hours: str
    max_balance_hours: str
    largest_exchange_hours: str
    confirm_days: str
    exchange_past_days: str
    on_expiry: str
    timezone: str
    sms_number: str
    sms_sender: str
    reply_days: str
    retention_days: str
    mobile_countries: str


# Each setting's words in the audit trail and in errors.
LABELS = {
    "name": "name",
    "overdraft_minutes": "overdraft",
    "max_balance_minutes": "maximum balance",
    "max_exchange_minutes": "largest exchange",
    "confirm_days": "days to confirm",
    "exchange_past_days": "days back an exchange may be dated",
    "on_expiry": "when nobody confirms",
    "timezone": "time zone",
    "sms_number": "number members text",
    "sms_sender": "texts come from",
    "referral_reply_days": "days for a referred patient to answer",
    "referral_retention_days": "days to keep referrals that never led to a member",
    "mobile_regions": "countries of members' mobiles",
}


def _whole(field: str, text: str, lowest: int, highest: int, what: str) -> int:
    cleaned = (text or "").strip()
    if not cleaned.isdigit() or not lowest <= int(cleaned) <= highest:
        raise InvalidDetail(field, f"{what} must be a whole number from {lowest} to {highest}.")
    return int(cleaned)


def _timezone(text: str) -> str:
    name = (text or "").strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        name = ""
    if not name or name not in zoneinfo.available_timezones():
        raise InvalidDetail(
            "timezone",
            f"{text.strip() or 'An empty name'} is not a time zone we know. Use a name such as"
            " Europe/London or Europe/Dublin.",
        )
    return name


def _sender(text: str) -> str | None:
    cleaned = (text or "").strip()
    if not cleaned or MESSAGING_SERVICE.match(cleaned):
        return cleaned or None
    try:
        return normalise_mobile(cleaned)
    except InvalidInput as error:
        raise InvalidDetail("sms_sender", error.message) from None


def _number(session: so.Session, text: str, bank_id: int) -> str | None:
    if not (text or "").strip():
        return None
    try:
        return free_sms_number(session, text, bank_id)
    except InvalidInput as error:
        raise InvalidDetail("sms_number", error.message) from None


def _regions(text: str) -> str:
    try:
        return ",".join(parse_regions(text or ""))
    except InvalidInput as error:
        raise InvalidDetail("mobile_countries", error.message) from None


def parse_settings(session: so.Session, bank_id: int, form: SettingsForm) -> dict[str, object]:
    """Return the form's settings as the bank's columns, or raise for the first wrong one."""
    name = " ".join((form.name or "").split())
    if not name or len(name) > 120:
        raise InvalidDetail("name", "Give the time bank a name of 1 to 120 characters.")
    on_expiry = (form.on_expiry or "").strip()
    if on_expiry not in EXPIRY_ACTIONS:
        raise InvalidDetail("on_expiry", "Choose whether to confirm or to hand it to a broker.")
    most = (form.max_balance_hours or "").strip()
    return {
        "name": name,
        "overdraft_minutes": -60
        * _whole("overdraft_hours", form.overdraft_hours, 0, 1000, "The overdraft"),
        "max_balance_minutes": 60
        * _whole("max_balance_hours", most, 1, 100000, "The maximum balance")
        if most
        else None,
        "max_exchange_minutes": 60
        * _whole(
            "largest_exchange_hours", form.largest_exchange_hours, 1, 168, "The largest exchange"
        ),
        "confirm_days": _whole("confirm_days", form.confirm_days, 1, 365, "Days to confirm"),
        "exchange_past_days": _whole(
            "exchange_past_days", form.exchange_past_days, 1, 3660, "Days back"
        ),
        "on_expiry": on_expiry,
        "timezone": _timezone(form.timezone),
        "sms_number": _number(session, form.sms_number, bank_id),
        "sms_sender": _sender(form.sms_sender),
        "referral_reply_days": _whole("reply_days", form.reply_days, 1, 3650, "Days to answer"),
        "referral_retention_days": _whole(
            "retention_days", form.retention_days, 1, 3650, "Days to keep referrals"
        ),
        "mobile_regions": _regions(form.mobile_countries),
    }


def _members_beyond(session: so.Session, bank_id: int, condition: sa.ColumnElement[bool]) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(Account)
        .where(Account.bank_id == bank_id, Account.member_id.is_not(None), condition)
    )
    return session.scalar(query) or 0


def _apply_limits(session: so.Session, bank: TimeBank, wanted: dict[str, object]) -> None:
    """Write a new overdraft or maximum balance to every member account, if all fit it."""
    low, high = wanted["overdraft_minutes"], wanted["max_balance_minutes"]
    assert isinstance(low, int) and (high is None or isinstance(high, int))
    if low != bank.overdraft_minutes:
        lowest = Account.credits_posted - Account.debits_posted - Account.debits_pending
        owing = _members_beyond(session, bank.id, lowest < low)
        if owing:
            raise InvalidDetail(
                "overdraft_hours",
                f"{owing} member(s) already owe more than {-low // 60} hours (counting exchanges"
                " waiting for confirmation). Choose an overdraft at least as large as that.",
            )
    if high is not None and high != bank.max_balance_minutes:
        highest = Account.credits_posted + Account.credits_pending - Account.debits_posted
        over = _members_beyond(session, bank.id, highest > high)
        if over:
            raise InvalidDetail(
                "max_balance_hours",
                f"{over} member(s) already have more than {high // 60} hours (counting exchanges"
                " waiting for confirmation). Choose a larger maximum, or none.",
            )
    session.execute(
        sa.update(Account)
        .where(Account.bank_id == bank.id, Account.member_id.is_not(None))
        .values(min_balance=low, max_balance=high)
        .execution_options(synchronize_session=False)
    )


def _words(column: str, value: object) -> str:
    if value is None:
        return "none"
    if column in ("overdraft_minutes", "max_balance_minutes", "max_exchange_minutes"):
        assert isinstance(value, int)
        return f"{abs(value) // 60} hours"
    if column == "mobile_regions":
        return ", ".join(country_name(code) for code in str(value).split(","))
    return str(value)


@use_case
def change_bank_settings(
    session: so.Session, bank_id: int, admin_id: int, form: SettingsForm
) -> list[str]:
    """Save the settings an admin changed, all or none, and return each change in words."""
    acting_member(session, bank_id, admin_id, "admin", "change the time bank's settings")
    bank = session.get(TimeBank, bank_id, with_for_update=True)
    if bank is None:
        raise NotFound("There is no such time bank.")
    wanted = parse_settings(session, bank_id, form)
    _apply_limits(session, bank, wanted)
    changes = []
    for column, value in wanted.items():
        before = getattr(bank, column)
        if before == value:
            continue
        line = f"{LABELS[column]}: {_words(column, before)} to {_words(column, value)}"
        record_action(session, bank_id, admin_id, "setting_changed", subject=f"bank:{bank_id}",
                      detail=line)  # fmt: skip
        setattr(bank, column, value)
        changes.append(line)
    session.commit()
    return changes
