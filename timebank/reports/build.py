"""Build a time bank's evidence report for a period, for brokers, funders or a GP practice.

Every figure comes from what members and brokers already do; see `definitions` for what
each counts and `suppression` for what reports leaving the time bank hide.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.errors import NotFound
from timebank.referrals.models import ReferralPartner
from timebank.reports.definitions import DEFINITIONS
from timebank.reports.exchanges import exchanges_section, tallies, totals
from timebank.reports.membership import membership_section
from timebank.reports.networks import networks_section
from timebank.reports.outreach_figures import outreach_section
from timebank.reports.pairs import sum_accounts, sum_pairs
from timebank.reports.period import Period, checked
from timebank.reports.referral_outcomes import referrals_section
from timebank.reports.scope import Scope
from timebank.reports.scratch import prepare
from timebank.reports.supply import supply_section
from timebank.reports.suppression import Guard
from timebank.reports.tables import Report
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


def _scope(
    session: so.Session, bank_id: int, start: dt.date, end: dt.date, audience: str
) -> tuple[Scope, str]:
    name = session.scalar(sa.select(TimeBank.name).where(TimeBank.id == bank_id))
    if name is None:
        raise NotFound("There is no such time bank.")
    period = checked(Period(start, end))
    prepare(session)
    return Scope(session, bank_id, period, Guard(audience)), name


def build_report(
    session: so.Session, bank_id: int, start: dt.date, end: dt.date, audience: str = "broker"
) -> Report:
    """Return the bank's report for the days `start` to `end`, both included."""
    scope, name = _scope(session, bank_id, start, end, audience)
    found = totals(tallies(scope))
    pairs = sum_pairs(scope)
    activity = sum_accounts(scope, pairs)
    sections = (
        exchanges_section(scope, found),
        membership_section(scope, activity),
        networks_section(scope, pairs, activity),
        supply_section(scope),
        referrals_section(scope),
        outreach_section(scope),
        value_section(scope, found.minutes, found.exchanges),
    )
    return Report(
        bank_name=name,
        start=start,
        end=end,
        audience=audience,
        sections=sections,
        definitions=dict(DEFINITIONS),
        title=TITLES.get(audience, TITLES["broker"]),
    )


def build_practice_report(
    session: so.Session, bank_id: int, partner_id: int, start: dt.date, end: dt.date
) -> Report:
    """Return what became of one partner's referrals in the period, small numbers hidden."""
    practice = session.scalar(
        sa.select(ReferralPartner.name).where(
            ReferralPartner.bank_id == bank_id, ReferralPartner.id == partner_id
        )
    )
    if practice is None:
        raise NotFound("There is no such referral partner in this time bank.")
    scope, name = _scope(session, bank_id, start, end, "practice")
    return Report(
        bank_name=name,
        start=start,
        end=end,
        audience="practice",
        sections=(referrals_section(scope, partner_id),),
        definitions={key: DEFINITIONS[key] for key in PRACTICE_DEFINITIONS},
        title=f"{TITLES['practice']} for {practice}",
    )
