"""Supply and demand by kind of help: offers, unmet requests, and how quickly requests match.

Listings are few next to exchanges, so one grouped query counts them by kind of help and a
second reads the posting and matching times of the period's matched requests.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from timebank.clock import as_utc
from timebank.offers.models import Listing
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.scope import Scope
from timebank.reports.scratch import day_start, median, stamp_on_days
from timebank.reports.tables import Column, Figure, Section, Table


@dataclass
class KindOfHelp:
    """One kind of help's offers and requests."""

    open_offers: int = 0
    unmet_requests: int = 0
    requests_posted: int = 0
    requests_matched: int = 0
    days_to_match: list[float] = field(default_factory=list)


def _counts(scope: Scope, by_end: dt.datetime) -> sa.Select[Any]:
    posted_by_end = Listing.created_at < by_end
    is_open = sa.and_(Listing.status == "open", posted_by_end)
    in_period = stamp_on_days(Listing.created_at, scope.period.start, scope.period.end)
    request = Listing.kind == "request"
    matched = sa.and_(Listing.matched_at.is_not(None), Listing.matched_at < by_end)
    return (
        sa.select(
            Listing.skill_category,
            sa.func.count(sa.case((sa.and_(Listing.kind == "offer", is_open), 1))),
            sa.func.count(sa.case((sa.and_(request, is_open, ~matched), 1))),
            sa.func.count(sa.case((sa.and_(request, in_period), 1))),
            sa.func.count(sa.case((sa.and_(request, in_period, matched), 1))),
        )
        .where(Listing.bank_id == scope.bank_id)
        .group_by(Listing.skill_category)
    )


def kinds_of_help(scope: Scope) -> dict[str, KindOfHelp]:
    """Return each kind of help's offers, requests and days to match in the period."""
    by_end = day_start(scope.period.end + dt.timedelta(days=1))
    found: dict[str, KindOfHelp] = defaultdict(KindOfHelp)
    for category, offers, unmet, posted, matched in scope.session.execute(_counts(scope, by_end)):
        found[category] = KindOfHelp(int(offers), int(unmet), int(posted), int(matched))
    times = sa.select(Listing.skill_category, Listing.created_at, Listing.matched_at).where(
        Listing.bank_id == scope.bank_id,
        Listing.kind == "request",
        stamp_on_days(Listing.created_at, scope.period.start, scope.period.end),
        Listing.matched_at.is_not(None),
        Listing.matched_at < by_end,
    )
    for category, created_at, matched_at in scope.session.execute(times):
        days = (as_utc(matched_at) - as_utc(created_at)).total_seconds() / 86400
        found[category].days_to_match.append(round(max(days, 0.0), 1))
    return dict(found)


def supply_section(scope: Scope) -> Section:
    """Build the report's section on supply and demand by kind of help."""
    kinds = kinds_of_help(scope)
    guard = scope.guard
    posted = sum(kind.requests_posted for kind in kinds.values())
    matched = sum(kind.requests_matched for kind in kinds.values())
    waits = [days for kind in kinds.values() for days in kind.days_to_match]
    figures = (
        Figure("requests_posted", "Requests posted", guard.count(posted), "count",
               DEFINITIONS["requests_posted"]),
        Figure("requests_matched", "Requests matched", guard.count(matched), "count",
               DEFINITIONS["requests_matched"]),
        Figure("median_days_to_match", "Days from request to match (middle value)",
               guard.derived(median(waits), len(waits)), "days",
               DEFINITIONS["median_days_to_match"]),
    )  # fmt: skip
    rows = tuple(
        (
            name,
            guard.count(kind.open_offers),
            guard.count(kind.unmet_requests),
            guard.count(kind.requests_posted),
            guard.count(kind.requests_matched),
            guard.derived(median(kind.days_to_match), len(kind.days_to_match)),
        )
        for name, kind in sorted(kinds.items())
    )
    table = Table(
        "supply_by_category",
        "Offers and requests by kind of help",
        DEFINITIONS["supply_by_category"],
        (
            Column("category", "Kind of help", "text"),
            Column("open_offers", "Open offers"),
            Column("unmet_requests", "Requests not yet met"),
            Column("requests_posted", "Requests posted"),
            Column("requests_matched", "Requests matched"),
            Column("median_days_to_match", "Days to match (middle value)", "days"),
        ),
        rows,
        chart="bars",
        chart_columns=("open_offers", "unmet_requests"),
    )
    return Section("supply", "Offers and requests", figures, (table,))
