"""The clock behind a small interface, so tests and rules can fix 'now'."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


def as_utc(stamp: dt.datetime) -> dt.datetime:
    """Return a time as aware UTC: a time without a zone is taken as UTC already.

    SQLite hands stored times back without a zone, and they are all UTC. A time with another
    zone becomes the same moment in UTC.
    """
    if stamp.tzinfo is None:
        return stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC)
