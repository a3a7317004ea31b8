"""The time bank's own day: what "today" means for every date rule of a bank.

A date a person gives (the day of an exchange, a join date, the date of a safeguarding
check) is a day in the bank's time zone, so "not in the future" means not after today
there, whatever the server's zone or UTC say. Each service asks here, never an edge.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.errors import NotFound
from timebank.tenancy.models import TimeBank


def today_in_zone(timezone: str | None, now: Callable[[], dt.datetime] = utcnow) -> dt.date:
    """Return today's date in a time zone such as 'Europe/London' (UTC when there is none)."""
    return now().astimezone(zoneinfo.ZoneInfo(timezone or "UTC")).date()


def bank_today(
    session: so.Session, bank_id: int, now: Callable[[], dt.datetime] = utcnow
) -> dt.date:
    """Return today's date in the time bank's own time zone."""
    timezone = session.scalar(sa.select(TimeBank.timezone).where(TimeBank.id == bank_id))
    if timezone is None:
        raise NotFound("There is no such time bank.")
    return today_in_zone(timezone, now)
