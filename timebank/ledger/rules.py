"""Pure ledger rules: no Flask, no session. Values in, values or typed errors out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

# A single exchange is never more than this, whatever a bank sets: a guard against
# nonsense such as a phone number typed into the hours box.
ABSOLUTE_MAX_MINUTES = 24 * 60 * 31


def format_clock(minutes: int) -> str:
    """Format minutes as signed hours and minutes: -690 -> '-11:30', 90 -> '1:30'."""
    sign = "-" if minutes < 0 else ""
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{mins:02d}"


def format_duration(minutes: int) -> str:
    """Format minutes in words: 90 -> '1 hour 30 minutes', 120 -> '2 hours'."""
    hours, mins = divmod(abs(minutes), 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour" + ("s" if hours != 1 else ""))
    if mins or not hours:
        parts.append(f"{mins} minute" + ("s" if mins != 1 else ""))
    return ("minus " if minutes < 0 else "") + " ".join(parts)


def check_minutes(value: Any) -> int:
    """Return `value` as a whole, positive number of minutes or raise InvalidAmount."""
    from timebank.ledger.errors import InvalidAmount

    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidAmount("Hours must be a whole number of minutes, such as 30 or 90.")
    if value <= 0:
        raise InvalidAmount("Hours must be more than zero.")
    if value > ABSOLUTE_MAX_MINUTES:
        raise InvalidAmount(f"{format_duration(value)} is far too many for one exchange.")
    return value


def request_digest(fields: dict[str, Any]) -> str:
    """Return a stable fingerprint of a write request, to tell a replay from a conflict."""
    canonical = json.dumps(fields, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Limits:
    """An account's limits in minutes; None means no limit."""

    min_balance: int | None
    max_balance: int | None


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
