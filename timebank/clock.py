"""The clock behind a small interface, so tests and rules can fix 'now'."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Return the current time in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)
