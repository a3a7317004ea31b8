"""What an import would create, whatever the source: planned rows, problems and notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# Accounts every bank has, which exchanges and balances may name instead of a member.
POT = "pot"
BANK = "bank"
BANK_ACCOUNTS = (POT, BANK)


@dataclass(frozen=True)
class Where:
    """The file and row a planned row came from, for messages."""

    file: str
    row: int

    def __str__(self) -> str:
        return f"{self.file} row {self.row}"


@dataclass
class PlannedMember:
    """A member (or an organisation, when `kind` is not "member") to create."""

    where: Where
    source_id: str
    name: str
    kind: str = "member"
    mobile: str | None = None
    email: str | None = None
    role: str = "member"
    status: str = "active"
    area: str | None = None
    joined_at: dt.datetime | None = None
    left_at: dt.datetime | None = None
    skills: str = ""
    help_wanted: str = ""
    availability: str = ""


@dataclass
class PlannedListing:
    """An offer or request to create for a member."""

    where: Where
    source_id: str
    member: str
    kind: str
    category: str
    title: str
    description: str = ""
    availability: str = ""
    area: str = ""
    travel: str = "nearby"
    needs_check: bool = False
    slots: int = 0
    status: str = "open"
    created_at: dt.datetime | None = None


@dataclass
class PlannedExchange:
    """A historic transfer: posted at once with its own date, never waiting to be confirmed."""

    where: Where
    source_id: str
    day: dt.date
    giver: str
    receiver: str
    minutes: int
    code: str = "exchange"
    group: str | None = None
    description: str = ""
    category: str | None = None
    reverses: str | None = None
    reason: str | None = None
    recorded_at: dt.datetime | None = None


@dataclass
class PlannedBalance:
    """The balance an account had in the source system, in minutes."""

    where: Where
    account: str
    minutes: int


@dataclass
class ImportPlan:
    """Everything the files ask for, with every problem found, before anything is written."""

    source: str
    members: list[PlannedMember] = field(default_factory=list)
    listings: list[PlannedListing] = field(default_factory=list)
    exchanges: list[PlannedExchange] = field(default_factory=list)
    balances: list[PlannedBalance] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def problem(self, where: Where, words: str) -> None:
        """Note a problem with one row."""
        self.problems.append(f"{where}: {words}")
