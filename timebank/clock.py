"""The clock behind a small interface, so tests and rules can fix 'now'."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def as_utc(stamp: dt.datetime) -> dt.datetime:
    """Return a stored time as aware UTC: SQLite hands times back without a zone, all UTC."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
