"""A member's real join date, set by a broker when moving members over from paper records.

The reports count new members and retention by members.joined_at, which is the day the
member was added to this service unless a broker says otherwise. The change is audited with
the old date and the reason, like every other broker action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.members.acting import acting_member
from timebank.members.models import Member
from timebank.tenancy.audit import record_action
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

# Before this no time bank in the UK kept records we could move over: a mistyped year.
EARLIEST_JOIN_DATE = dt.date(1990, 1, 1)
# The audit line holds the old date, the new one and the reason in 300 characters.
JOIN_REASON_LIMIT = 200
# A join date is stored at midday UTC, so it falls on the same day whichever way it is read.
_MIDDAY = dt.time(12, 0, tzinfo=dt.UTC)


class JoinDateError(InvalidInput):
    """A join date a broker cannot set, with what to do instead."""

    code = "join_date_not_allowed"
    field = "joined_on"


class JoinReasonError(InvalidInput):
    code = "join_reason_needed"
    field = "reason"


def long_date(day: dt.date) -> str:
    """Format a day as people write it: 7 March 2019."""
    return f"{day.day} {day:%B} {day.year}"


def check_join_date(day: dt.date, today: dt.date, reason: str) -> str:
    """Return the reason, trimmed, if `day` may be a member's join date; else raise."""
    if day > today:
        raise JoinDateError(
            f"{long_date(day)} is in the future. A join date is today ({long_date(today)}) "
            "or earlier."
        )
    if day < EARLIEST_JOIN_DATE:
        raise JoinDateError(
            f"{long_date(day)} is before {long_date(EARLIEST_JOIN_DATE)}, earlier than any "
            "records this service takes. Check the year."
        )
    reason = (reason or "").strip()
    if not reason:
        raise JoinReasonError(
            "Say why the join date changes, for example: joined in 2019, on paper records."
        )
    if len(reason) > JOIN_REASON_LIMIT:
        raise JoinReasonError(f"Keep the reason to {JOIN_REASON_LIMIT} characters or fewer.")
    return reason


@use_case
def set_join_date(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    member_id: int,
    day: dt.date,
    reason: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Set the day a member really joined the time bank, keeping the old one and why."""
    acting_member(session, bank_id, broker_id, "broker", "change a join date")
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise NotFound(f"There is no member {member_id} in this time bank.")
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    today = today_in_zone(bank.timezone, now)
    reason = check_join_date(day, today, reason)
    old = joined_on(member)
    member.joined_at = dt.datetime.combine(day, _MIDDAY)
    record_action(
        session,
        bank_id,
        broker_id,
        "join_date_set",
        member_id=member.id,
        subject=f"member:{member.id}",
        detail=f"from {old.isoformat()} to {day.isoformat()}: {reason}",
    )
    session.commit()
    return member


def joined_on(member: Member) -> dt.date:
    """Return the day a member joined, as the reports read it (UTC)."""
    stamp = member.joined_at
    return as_utc(stamp).date()
