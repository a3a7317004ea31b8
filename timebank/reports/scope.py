"""What one report is about: the session, the bank, the days and who will read it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy.orm as so

from timebank.reports.period import Period
from timebank.reports.suppression import Guard
from timebank.reports.tables import Column


@dataclass(frozen=True)
class Scope:
    """One report's session, bank, period and audience rules."""

    session: so.Session
    bank_id: int
    period: Period
    guard: Guard
    # Read the kept summaries of the ledger (whole months) instead of the transfer log.
    summaries: bool = False


def month_column() -> Column:
    """Return the first column of a table by month."""
    return Column("month", "Month", "month")
