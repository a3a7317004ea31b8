"""Minutes, the ledger's unit, written for people: in words or as hours and minutes.

Pages, texts, reports and error messages all show durations the same way, so these live
below every package that shows one.
"""

from __future__ import annotations


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
