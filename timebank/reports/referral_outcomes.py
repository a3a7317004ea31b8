"""What became of the people referral partners (GP practices) sent in a period.

Referrals are a few thousand at most, so they are read row by row; the referred members'
exchange days come from the ledger in one query, so "first exchange" and "still active"
are what the ledger says, not what anyone had to record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from timebank.clock import as_utc
from timebank.ledger.models import Account
from timebank.referrals.models import Referral, ReferralEvent, ReferralPartner
from timebank.reports.definitions import ACTIVE_DAYS, DEFINITIONS
from timebank.reports.models import AccountMonth
from timebank.reports.period import add_months
from timebank.reports.scope import Scope
from timebank.reports.scratch import counted_trades, day_start, median, stamp_on_days, transfers
from timebank.reports.tables import Column, Section, Table, Value

SELF_REFERRED = "Referred themselves"
ACTIVE_AFTER_MONTHS = 3
# A referral past these has had the person's yes, whatever happened next.
SAID_YES = ("consented", "contacted", "joined", "first_exchange")


@dataclass
class Outcomes:
    """How far one partner's referrals in the period got."""

    referred: int = 0
    consented: int = 0
    joined: int = 0
    first_exchange: int = 0
    old_enough: int = 0
    active_at_3_months: int = 0
    days_to_first_exchange: list[float] = field(default_factory=list)

    def add(self, other: Outcomes) -> None:
        """Add another partner's outcomes to these."""
        for name in ("referred", "consented", "joined", "first_exchange", "old_enough",
                     "active_at_3_months"):  # fmt: skip
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.days_to_first_exchange.extend(other.days_to_first_exchange)


def _referrals(scope: Scope, partner_id: int | None) -> sa.Select[Any]:
    by_end = day_start(scope.period.end + dt.timedelta(days=1))
    said_yes = (
        sa.exists()
        .where(
            ReferralEvent.referral_id == Referral.id,
            ReferralEvent.status == "consented",
            ReferralEvent.at < by_end,
        )
        .correlate(Referral)
    )
    query = sa.select(
        Referral.partner_id,
        Referral.created_at,
        sa.case((Referral.joined_at < by_end, Referral.joined_at)),
        Referral.member_id,
        sa.or_(said_yes, Referral.status.in_(SAID_YES), Referral.joined_at < by_end),
    ).where(
        Referral.bank_id == scope.bank_id,
        stamp_on_days(Referral.created_at, scope.period.start, scope.period.end),
    )
    if partner_id is not None:
        query = query.where(Referral.partner_id == partner_id)
    return query


def _trading_days(scope: Scope, referred: sa.Select[Any]) -> dict[int, list[dt.date]]:
    """Return each referred member's exchange days up to the period's end, in order."""
    members = referred.with_only_columns(Referral.member_id).where(Referral.member_id.is_not(None))
    sides = _summed_days(scope, members) if scope.summaries else _counted_days(scope, members)
    days: dict[int, set[dt.date]] = defaultdict(set)
    for member_id, day in scope.session.execute(sa.union_all(*sides)):
        days[member_id].add(day)
    return {member_id: sorted(found) for member_id, found in days.items()}


def _counted_days(scope: Scope, members: sa.Select[Any]) -> list[sa.Select[Any]]:
    """Select the members' exchange days up to the period's end, from the ledger."""
    transfer = transfers()
    return [
        counted_trades(scope.bank_id, None, scope.period.end)
        .add_columns(Account.member_id, transfer.c.happened_on)
        .join(Account, Account.id == side)
        .where(Account.member_id.in_(members))
        for side in (transfer.c.credit_account_id, transfer.c.debit_account_id)
    ]


def _summed_days(scope: Scope, members: sa.Select[Any]) -> list[sa.Select[Any]]:
    """Select the first and last trading day of each of the members' months, from summaries.

    They answer the same questions as every day would: the first exchange is the earliest
    first day, and a member traded in a span of 90 days exactly when a first or last day
    of some month falls in it (the span reaches into its first month from that month's end
    and into its last month from that month's start).
    """
    kept = AccountMonth
    return [
        sa.select(Account.member_id, day)
        .join(Account, Account.id == kept.account_id)
        .where(
            kept.bank_id == scope.bank_id,
            kept.month <= scope.period.end,
            # A period may end inside a month: the spans asked about end by then, and reach
            # into that month from its start, so its first day answers for them.
            day <= scope.period.end,
            Account.member_id.in_(members),
        )
        for day in (kept.first_day, kept.last_day)
    ]


def outcomes_by_partner(scope: Scope, partner_id: int | None = None) -> dict[int | None, Outcomes]:
    """Return the outcomes of the period's referrals, by referral partner (None: self)."""
    referred = _referrals(scope, partner_id)
    days = _trading_days(scope, referred)
    found: dict[int | None, Outcomes] = defaultdict(Outcomes)
    for partner, created_at, joined_at, member_id, consented in scope.session.execute(referred):
        outcome = found[partner]
        outcome.referred += 1
        outcome.consented += bool(consented)
        if joined_at is None or member_id is None:
            continue
        outcome.joined += 1
        _follow(scope, outcome, as_utc(created_at).date(), as_utc(joined_at).date(),
                days.get(member_id, []))  # fmt: skip
    return dict(found)


def _follow(
    scope: Scope, outcome: Outcomes, referred_on: dt.date, joined_on: dt.date, days: list[dt.date]
) -> None:
    if days:
        outcome.first_exchange += 1
        outcome.days_to_first_exchange.append(float(max((days[0] - referred_on).days, 0)))
    mark = add_months(joined_on, ACTIVE_AFTER_MONTHS)
    if mark > scope.period.end:
        return
    outcome.old_enough += 1
    since = mark - dt.timedelta(days=ACTIVE_DAYS - 1)
    outcome.active_at_3_months += any(since <= day <= mark for day in days)


def _partners(scope: Scope) -> tuple[dict[int | None, str], set[int]]:
    """Return every partner's name (None: people who referred themselves), and the active."""
    query = sa.select(ReferralPartner.id, ReferralPartner.name, ReferralPartner.active).where(
        ReferralPartner.bank_id == scope.bank_id
    )
    names: dict[int | None, str] = {None: SELF_REFERRED}
    active = set()
    for partner_id, name, is_active in scope.session.execute(query):
        names[partner_id] = name
        if is_active:
            active.add(partner_id)
    return names, active


def _row(scope: Scope, name: str, outcome: Outcomes) -> tuple[Value, ...]:
    guard = scope.guard
    active: Value = None
    if outcome.old_enough:
        active = guard.count(outcome.active_at_3_months)
    waits = outcome.days_to_first_exchange
    return (
        name,
        guard.count(outcome.referred),
        guard.count(outcome.consented),
        guard.count(outcome.joined),
        guard.count(outcome.first_exchange),
        active,
        guard.derived(median(waits), len(waits)),
    )


COLUMNS = (
    Column("partner", "Referred by", "text"),
    Column("referred", "Referred", "people"),
    Column("consented", "Said yes", "people"),
    Column("joined", "Joined", "people"),
    Column("first_exchange", "First exchange", "people"),
    Column("active_at_3_months", "Active at 3 months", "people"),
    Column("median_days_to_first_exchange", "Days to first exchange (middle value)", "days"),
)


def referrals_section(scope: Scope, partner_id: int | None = None) -> Section:
    """Build the section on referral outcomes: by partner, and the funnel overall."""
    found = outcomes_by_partner(scope, partner_id)
    names, active = _partners(scope)
    # Every active partner has a row, so a practice that referred nobody shows as 0.
    for key in {partner_id} if partner_id is not None else active:
        found.setdefault(key, Outcomes())
    rows = sorted(
        ((names.get(key, SELF_REFERRED), outcome) for key, outcome in found.items()),
        key=lambda row: row[0],
    )
    overall = Outcomes()
    for _name, outcome in rows:
        overall.add(outcome)
    by_partner = Table(
        "referrals_by_practice",
        "Referrals by practice",
        " ".join(DEFINITIONS[column.key] for column in COLUMNS[1:]),
        COLUMNS,
        tuple(_row(scope, name, outcome) for name, outcome in rows),
    )
    return Section("referrals", "Referrals", tables=(by_partner, _funnel(scope, overall)))


def _funnel(scope: Scope, overall: Outcomes) -> Table:
    guard = scope.guard
    stages = (
        ("Referred", overall.referred),
        ("Said yes", overall.consented),
        ("Joined", overall.joined),
        ("First exchange", overall.first_exchange),
    )
    rows: list[tuple[Value, ...]] = [(label, guard.count(count)) for label, count in stages]
    if overall.old_enough:
        rows.append(("Active at 3 months", guard.count(overall.active_at_3_months)))
    return Table(
        "referral_funnel",
        "From referral to active member",
        DEFINITIONS["referral_funnel"],
        (Column("stage", "Stage", "text"), Column("people", "People", "people")),
        tuple(rows),
        chart="funnel",
        chart_columns=("people",),
    )
