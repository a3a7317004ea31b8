"""Build a time bank's evidence report for a period, for brokers, funders or a GP practice.

Every figure comes from what members and brokers already do; see `definitions` for what
each counts and `suppression` for what reports leaving the time bank hide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.errors import NotFound
from timebank.referrals.models import ReferralPartner
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.exchanges import (
    ExchangeTotals,
    GroupSession,
    exchanges_section,
    group_sessions,
    tallies,
    totals,
)
from timebank.reports.membership import membership_section, membership_summary
from timebank.reports.networks import networks_section, networks_summary
from timebank.reports.outcome_answers import outcomes_section
from timebank.reports.outreach_figures import outreach_section
from timebank.reports.pairs import sum_accounts, sum_pairs
from timebank.reports.period import Period, checked, funder_period
from timebank.reports.referral_outcomes import referrals_section
from timebank.reports.scope import Scope
from timebank.reports.scratch import prepare
from timebank.reports.summaries import bring_up_to_date
from timebank.reports.supply import supply_section
from timebank.reports.suppression import Guard, protect
from timebank.reports.tables import Report, Section
from timebank.reports.value import value_section
from timebank.tenancy.models import TimeBank

PRACTICE_DEFINITIONS = (
    "referred",
    "consented",
    "joined",
    "first_exchange",
    "active_at_3_months",
    "median_days_to_first_exchange",
    "referral_funnel",
    "suppression",
)
TITLES = {
    "broker": "Time bank report",
    "funder": "Time bank report for funders",
    "practice": "Referral outcomes",
}


@dataclass(frozen=True)
class _Bank:
    name: str
    # Everything recorded up to this time is in the figures (in the bank's time zone).
    recorded_up_to: dt.datetime


def _scope(
    session: so.Session,
    bank_id: int,
    period: Period,
    audience: str,
    direct: bool = False,
) -> tuple[Scope, _Bank]:
    found = session.execute(
        sa.select(TimeBank.name, TimeBank.timezone).where(TimeBank.id == bank_id)
    ).one_or_none()
    if found is None:
        raise NotFound("There is no such time bank.")
    period = funder_period(period) if audience == "funder" else checked(period)
    # Everything committed by now is in the figures, whichever way they are worked out.
    up_to = utcnow()
    summarised = not direct and bring_up_to_date(session, bank_id) is not None
    prepare(session)
    bank = _Bank(found.name, up_to.astimezone(ZoneInfo(found.timezone)))
    return Scope(session, bank_id, period, Guard(audience), summarised), bank


def _basics(scope: Scope) -> tuple[list[GroupSession], ExchangeTotals, sa.Table, sa.Table]:
    """Work out what every figure starts from: group sessions, totals, pairs and accounts."""
    groups = group_sessions(scope)
    found = totals(tallies(scope), groups)
    pairs = sum_pairs(scope)
    return groups, found, pairs, sum_accounts(scope, pairs)


def build_report(
    session: so.Session,
    bank_id: int,
    start: dt.date,
    end: dt.date,
    audience: str = "broker",
    direct: bool = False,
) -> Report:
    """Return the bank's report for the days `start` to `end`, both included.

    The figures come from the kept summaries, first brought up to date with every transfer
    written so far; with `direct`, from the transfer log itself (the same figures). The
    funder view covers fixed calendar periods only, its counts of people protected.
    """
    scope, bank = _scope(session, bank_id, Period(start, end), audience, direct)
    groups, found, pairs, activity = _basics(scope)
    sections = (
        exchanges_section(scope, found, groups, activity),
        membership_section(scope, activity),
        networks_section(scope, pairs, activity),
        supply_section(scope),
        referrals_section(scope),
        outreach_section(scope),
        outcomes_section(scope),
        value_section(scope, found.minutes, found.exchanges),
    )
    return _report(bank, Period(start, end), audience, sections)


def build_summary_figures(
    session: so.Session,
    bank_id: int,
    start: dt.date,
    end: dt.date,
    audience: str = "broker",
    direct: bool = False,
) -> Report:
    """Return the bank's report for the period with only the figures a summary page shows.

    Each figure it has is worked out exactly as `build_report` works it out (and protected
    the same way); the rest (members' circles, retention, offers, outreach, outcomes) are
    left out, so the previous period a summary compares with costs less than a whole report.
    """
    scope, bank = _scope(session, bank_id, Period(start, end), audience, direct)
    groups, found, pairs, activity = _basics(scope)
    sections = (
        exchanges_section(scope, found, groups, activity),
        membership_summary(scope, activity),
        networks_summary(scope, pairs),
        referrals_section(scope),
        value_section(scope, found.minutes, found.exchanges),
    )
    return _report(bank, Period(start, end), audience, sections)


def _report(bank: _Bank, period: Period, audience: str, sections: tuple[Section, ...]) -> Report:
    """Return the report of these sections as its audience may see it."""
    report = Report(
        bank_name=bank.name,
        start=period.start,
        end=period.end,
        audience=audience,
        sections=sections,
        definitions=dict(DEFINITIONS),
        title=TITLES.get(audience, TITLES["broker"]),
        recorded_up_to=bank.recorded_up_to,
    )
    return protect(report)


def build_practice_report(
    session: so.Session, bank_id: int, partner_id: int, start: dt.date, end: dt.date
) -> Report:
    """Return what became of one partner's referrals in the period, exactly.

    The practice made each of these referrals and already knows each person, so nothing is
    hidden from it; the report still names nobody and says nothing of anyone's health.
    """
    practice = session.scalar(
        sa.select(ReferralPartner.name).where(
            ReferralPartner.bank_id == bank_id, ReferralPartner.id == partner_id
        )
    )
    if practice is None:
        raise NotFound("There is no such referral partner in this time bank.")
    scope, bank = _scope(session, bank_id, Period(start, end), "practice")
    return Report(
        bank_name=bank.name,
        start=start,
        end=end,
        audience="practice",
        sections=(referrals_section(scope, partner_id),),
        definitions={key: DEFINITIONS[key] for key in PRACTICE_DEFINITIONS},
        title=f"{TITLES['practice']} for {practice}",
        recorded_up_to=bank.recorded_up_to,
    )
