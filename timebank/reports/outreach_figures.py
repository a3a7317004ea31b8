"""Outreach in a period: members flagged as needing a call, contacted, and back in touch.

Flags and contacts are what brokers already record while working their worklist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from timebank.broker.models import OutreachContact, OutreachFlag
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
    flagged = (
        sa.select(OutreachFlag.member_id, sa.func.min(OutreachFlag.raised_at).label("first"))
        .where(
            OutreachFlag.bank_id == scope.bank_id,
            stamp_on_days(OutreachFlag.raised_at, scope.period.start, scope.period.end),
        )
        .group_by(OutreachFlag.member_id)
        .subquery("flagged")
    )
    contact = sa.exists().where(
        OutreachContact.bank_id == scope.bank_id,
        OutreachContact.member_id == flagged.c.member_id,
        OutreachContact.created_at >= flagged.c.first,
        OutreachContact.created_at < by_end,
    )
    closed_back = sa.exists().where(
        OutreachFlag.bank_id == scope.bank_id,
        OutreachFlag.member_id == flagged.c.member_id,
        OutreachFlag.raised_at >= flagged.c.first,
        OutreachFlag.outcome == RE_ENGAGED,
        OutreachFlag.resolved_at < by_end,
    )
    back = sa.or_(contact.where(OutreachContact.outcome == RE_ENGAGED), closed_back)
    query = sa.select(
        sa.func.count(),
        sa.func.count(sa.case((contact, 1))),
        sa.func.count(sa.case((back, 1))),
    ).select_from(flagged)
    found = scope.session.execute(query).one()
    return OutreachCounts(int(found[0]), int(found[1]), int(found[2]))


def outreach_section(scope: Scope) -> Section:
    """Build the report's section on outreach to members who drifted away."""
    counts = outreach_counts(scope)
    figures = tuple(
        Figure(key, label, scope.guard.count(getattr(counts, key)), "count", DEFINITIONS[key])
        for key, label in (
            ("flagged", "Members flagged for a call"),
            ("contacted", "Of those, contacted"),
            ("re_engaged", "Of those, back in touch"),
        )
    )
    return Section("outreach", "Outreach", figures)
