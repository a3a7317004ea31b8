"""An estimate of what the hours exchanged are worth, by the usual volunteering method."""

from __future__ import annotations

import sqlalchemy as sa

from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope
from timebank.reports.tables import Figure, Section
from timebank.tenancy.models import TimeBank

METHOD = (
    "Hours exchanged times the hourly value. Every hour counts the same, whoever gives it, "
    "as in the time bank itself."
)


def estimated_pence(minutes: int, hourly_pence: int) -> int:
    """Return the value of `minutes` of help at `hourly_pence` an hour, to the nearest penny."""
    return (minutes * hourly_pence + 30) // 60


def value_section(scope: Scope, minutes: int, exchanges: int) -> Section:
    """Build the report's section on the estimated value of the hours exchanged."""
    hourly = scope.session.scalar(
        sa.select(TimeBank.hourly_value_pence).where(TimeBank.id == scope.bank_id)
    )
    rate = int(hourly or 0)
    figures = (
        Figure(
            "estimated_value",
            "Estimated value of the help given",
            scope.guard.derived(estimated_pence(minutes, rate), exchanges),
            "pence",
            DEFINITIONS["estimated_value"],
        ),
        Figure("hourly_value", "Value of one hour", rate, "pence", DEFINITIONS["hourly_value"]),
    )
    return Section("value", "Estimated value", figures, note=METHOD)
