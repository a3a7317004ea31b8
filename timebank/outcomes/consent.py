"""A member's consent to the outcome questions: agreed (when, how), or no once and for all.

The functions ending in `_in` work in the caller's transaction (a text's); the others are
use cases that commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.members.profile import member_of_bank
from timebank.outcomes.models import OutcomeConsent, OutcomeRound


def consent_of(session: so.Session, bank_id: int, member_id: int) -> OutcomeConsent | None:
    """Return what a member said about the outcome questions, if anything."""
    return session.scalar(
        sa.select(OutcomeConsent).where(
            OutcomeConsent.bank_id == bank_id, OutcomeConsent.member_id == member_id
        )
    )


def has_agreed(consent: OutcomeConsent | None) -> bool:
    """Say whether the member agreed to be asked and has not said no since."""
    return consent is not None and consent.agreed_at is not None and consent.refused_at is None


def _row(session: so.Session, bank_id: int, member_id: int) -> OutcomeConsent:
    found = consent_of(session, bank_id, member_id)
    if found is None:
        found = OutcomeConsent(bank_id=bank_id, member_id=member_id)
        session.add(found)
    return found


def agree_in(
    session: so.Session, bank_id: int, member_id: int, via: str, now: dt.datetime
) -> OutcomeConsent:
    """Record that the member agreed to be asked (no commit); a first agreement is kept."""
    consent = _row(session, bank_id, member_id)
    if consent.agreed_at is None or consent.refused_at is not None:
        consent.agreed_at, consent.agreed_via = now, via
    consent.refused_at = None
    return consent


def refuse_in(session: so.Session, bank_id: int, member_id: int, now: dt.datetime) -> None:
    """Record that the member said no (no commit): they are never asked again."""
    consent = _row(session, bank_id, member_id)
    if consent.refused_at is None:
        consent.refused_at = now
    session.execute(
        sa.update(OutcomeRound)
        .where(OutcomeRound.bank_id == bank_id, OutcomeRound.member_id == member_id)
        .values(waiting_for=None)
        .execution_options(synchronize_session="fetch")
    )


@use_case
def agree(
    session: so.Session,
    bank_id: int,
    member_id: int,
    via: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> OutcomeConsent:
    """Record that a member agreed to the outcome questions, and commit.

    A member may change their own mind on the web; a broker cannot overrule their no.
    """
    member = member_of_bank(session, bank_id, member_id)
    consent = consent_of(session, bank_id, member_id)
    if via == "broker" and consent is not None and consent.refused_at is not None:
        raise InvalidInput(
            f"{member.first_name} said no to the questions about how they feel. Only they"
            " can change that, on their profile page."
        )
    consent = agree_in(session, bank_id, member_id, via, now())
    session.commit()
    return consent


@use_case
def refuse(
    session: so.Session, bank_id: int, member_id: int, now: Callable[[], dt.datetime] = utcnow
) -> None:
    """Record that a member does not want the outcome questions, ever, and commit."""
    member_of_bank(session, bank_id, member_id)
    refuse_in(session, bank_id, member_id, now())
    session.commit()
