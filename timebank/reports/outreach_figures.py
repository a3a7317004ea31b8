"""Outreach in a period: members flagged as needing a call, contacted, and back in touch.

Flags and contacts are what brokers already record while working their worklist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from timebank.broker.models import OutreachContact, OutreachFlag
from timebank.clock import as_utc
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope
from timebank.reports.scratch import day_start, stamp_on_days
from timebank.reports.tables import Figure, Section

RE_ENGAGED = "re_engaged"


@dataclass(frozen=True)
class OutreachCounts:
    """Members flagged in the period, and how many of them were contacted and re-engaged."""

    flagged: int
    contacted: int
    re_engaged: int


def outreach_counts(scope: Scope) -> OutreachCounts:
    """Count the period's flagged members, and those contacted and re-engaged by its end."""
    by_end = day_start(scope.period.end + dt.timedelta(days=1))
    in_period = stamp_on_days(OutreachFlag.raised_at, scope.period.start, scope.period.end)
    flags = scope.session.execute(
        sa.select(
            OutreachFlag.member_id, OutreachFlag.raised_at, OutreachFlag.outcome,
            OutreachFlag.resolved_at,
        ).where(OutreachFlag.bank_id == scope.bank_id, in_period)
    ).all()  # fmt: skip
    first: dict[int, dt.datetime] = {}
    back: set[int] = set()
    for member_id, raised_at, outcome, resolved_at in flags:
        first[member_id] = min(first.get(member_id, as_utc(raised_at)), as_utc(raised_at))
        if outcome == RE_ENGAGED and resolved_at is not None and as_utc(resolved_at) < by_end:
            back.add(member_id)
    contacted: set[int] = set()
    for member_id, created_at, outcome in _contacts(scope, by_end, in_period):
        if as_utc(created_at) >= first[member_id]:
            contacted.add(member_id)
            if outcome == RE_ENGAGED:
                back.add(member_id)
    return OutreachCounts(len(first), len(contacted), len(back))


def _contacts(
    scope: Scope, by_end: dt.datetime, flagged_in_period: sa.ColumnElement[bool]
) -> list[sa.Row[Any]]:
    """Return the contacts made by the period's end with members flagged in the period."""
    flagged = sa.select(OutreachFlag.member_id).where(
        OutreachFlag.bank_id == scope.bank_id, flagged_in_period
    )
    query = sa.select(
        OutreachContact.member_id, OutreachContact.created_at, OutreachContact.outcome
    ).where(
        OutreachContact.bank_id == scope.bank_id,
        OutreachContact.created_at >= day_start(scope.period.start),
        OutreachContact.created_at < by_end,
        OutreachContact.member_id.in_(flagged),
    )
    return list(scope.session.execute(query).all())


def outreach_section(scope: Scope) -> Section:
    """Build the report's section on outreach to members who drifted away."""
    counts = outreach_counts(scope)
    figures = tuple(
        Figure(key, label, scope.guard.count(getattr(counts, key)), "people", DEFINITIONS[key])
        for key, label in (
            ("flagged", "Members flagged for a call"),
            ("contacted", "Of those, contacted"),
            ("re_engaged", "Of those, back in touch"),
        )
    )
    return Section("outreach", "Outreach", figures)
