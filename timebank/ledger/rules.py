"""Pure ledger rules: no Flask, no session. Values in, values or typed errors out."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from timebank.ledger import errors

# Whose rights an actor has (their own role, or a token's lesser one) is the members' rule.
from timebank.members.acting import broker_rights as broker_rights

# Minutes in words belong to the ledger's rules; they are written in `timebank.minutes`,
# below every package, so that texts and pages can say them too. Named here as well.
from timebank.minutes import format_clock as format_clock
from timebank.minutes import format_duration as format_duration

# A single exchange is never more than this, whatever a bank sets: a guard against
# nonsense such as a phone number typed into the hours box.
ABSOLUTE_MAX_MINUTES = 24 * 60 * 31


def check_minutes(value: object) -> int:
    """Return `value` as a whole, positive number of minutes or raise InvalidAmount."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise errors.InvalidAmount("Hours must be a whole number of minutes, such as 30 or 90.")
    if value <= 0:
        raise errors.InvalidAmount("Hours must be more than zero.")
    if value > ABSOLUTE_MAX_MINUTES:
        raise errors.InvalidAmount(f"{format_duration(value)} is far too many for one exchange.")
    return value


# How many days back an exchange may be dated unless the bank sets otherwise, and the most
# any bank or broker may go back: a guard against a mistyped year such as 1990 or 0001.
DEFAULT_PAST_DAYS = 90
OLDEST_PAST_DAYS = 3660
REASON_LIMIT = 500


def check_exchange_date(
    day: dt.date, today: dt.date, past_days: int, *, by_broker: bool, reason: str = ""
) -> dt.date:
    """Return `day` if an exchange may be dated on it, else raise a date error.

    `today` is today in the bank's own time zone. Members may go back `past_days` days (the
    bank's setting); a broker may go further, up to OLDEST_PAST_DAYS, only with a reason.
    """
    if day > today:
        raise errors.ExchangeDateInFuture(today)
    days_back = (today - day).days
    if len(reason) > REASON_LIMIT:
        raise errors.ExchangeDateReasonTooLong(REASON_LIMIT)
    if days_back <= past_days:
        return day
    if days_back > max(past_days, OLDEST_PAST_DAYS):
        raise errors.ExchangeDateTooLongAgo(day)
    if not by_broker:
        raise errors.ExchangeDateTooEarly(past_days)
    if not reason.strip():
        raise errors.ExchangeDateNeedsReason(past_days)
    return day


def request_digest(fields: dict[str, Any]) -> str:
    """Return a stable fingerprint of a write request, to tell a replay from a conflict."""
    canonical = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def lowest_possible_balance(credits_posted: int, debits_posted: int, debits_pending: int) -> int:
    """Return the balance if every pending debit were posted (what the overdraft limit guards)."""
    return credits_posted - debits_posted - debits_pending


def highest_possible_balance(credits_posted: int, debits_posted: int, credits_pending: int) -> int:
    """Return the balance if every pending credit were posted (what the maximum guards)."""
    return credits_posted + credits_pending - debits_posted


def posts_at_once(actor_is_giver: bool) -> bool:
    """Say whether an exchange posts at once: not when the giver logs it, else yes.

    The receiver's word, or a broker's for two other members, moves the hours at once; a
    giver's own claim (a broker's too) waits for the receiver to confirm.
    """
    return not actor_is_giver
