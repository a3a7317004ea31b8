"""Hiding small numbers from reports that leave the time bank (funders and GP practices).

A count of one to four people or exchanges could point to someone, so those reports show it
as SUPPRESSED; so is any figure worked out from fewer than five people or exchanges (a median,
a share, the minutes of a handful of exchanges). Zero is shown: it points to nobody.
Brokers and admins see every number.
"""

from __future__ import annotations

from dataclasses import dataclass

from timebank.errors import InvalidInput
from timebank.reports.tables import AUDIENCES, SUPPRESSED, Value

# Counts below this (and above zero) are hidden outside the time bank.
SMALLEST_SHOWN = 5


@dataclass(frozen=True)
class Guard:
    """Decides, for one audience, which values a report may show."""

    audience: str

    def __post_init__(self) -> None:
        if self.audience not in AUDIENCES:
            raise InvalidInput(
                "A report is for brokers, funders or a GP practice; please choose one of those."
            )

    @property
    def hides_small_numbers(self) -> bool:
        """Return True for reports that leave the time bank."""
        return self.audience != "broker"

    def count(self, value: int) -> Value:
        """Return a count of people or exchanges, or SUPPRESSED if it is one to four."""
        if self.hides_small_numbers and 0 < value < SMALLEST_SHOWN:
            return SUPPRESSED
        return value

    def derived(self, value: Value, people: int) -> Value:
        """Return a figure worked out from `people` people, or SUPPRESSED if under five."""
        if value is None:
            return None
        if self.hides_small_numbers and 0 < people < SMALLEST_SHOWN:
            return SUPPRESSED
        return value
