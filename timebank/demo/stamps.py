"""Times in the demo's story: a day at an hour, and a clock stopped at one moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """Return the moment `day` at `hour`:`minute`, in UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def fixed_clock(stamp: dt.datetime) -> Callable[[], dt.datetime]:
    """Return a clock that always says `stamp`, for services that take `now`."""
    return lambda: stamp
