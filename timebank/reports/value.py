"""An estimate of what the hours of help given are worth, by the usual volunteering method.

The value of an hour and where it comes from are the bank's settings, which admins change
on the hourly value page (`tenancy.services.set_hourly_value`).
"""

from __future__ import annotations

import sqlalchemy as sa

from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope
from timebank.reports.tables import Figure, Section
from timebank.tenancy.models import TimeBank

METHOD = (
    "Hours of help given times the hourly value. Every hour counts the same, whoever gives "
    "it, as in the time bank itself; a group exchange counts once for each giver."
)


def estimated_pence(minutes: int, hourly_pence: int) -> int:
    """Return the value of `minutes` of help at `hourly_pence` an hour, to the nearest penny."""
    return (minutes * hourly_pence + 30) // 60


def value_section(scope: Scope, minutes: int, exchanges: int) -> Section:
    """Build the report's section on the estimated value of the hours exchanged."""
    hourly, source = scope.session.execute(
        sa.select(TimeBank.hourly_value_pence, TimeBank.hourly_value_source).where(
            TimeBank.id == scope.bank_id
        )
    ).one()
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
        Figure(
            "hourly_value_source",
            "Where the value of an hour comes from",
            source,
            "text",
            DEFINITIONS["hourly_value_source"],
        ),
    )
    return Section("value", "Estimated value", figures, note=METHOD)
