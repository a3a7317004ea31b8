"""Members' answers, period by period: on the web, or by text one question at a time.

A text asks the loneliness question; the number texted back answers it and the reply asks
the life satisfaction question; the next number answers that. A bare number counts as an
answer only while a question is open for that member, in its period; otherwise the text
means what it always meant. The functions ending in `_in` work in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import InvalidDetail, InvalidInput, NotAllowed
from timebank.members.models import Member
from timebank.members.profile import member_of_bank
from timebank.outcomes import questions
from timebank.outcomes.consent import agree_in, consent_of, has_agreed, refuse_in
from timebank.outcomes.models import OutcomeRound
from timebank.tenancy.models import TimeBank


def round_for(
    session: so.Session, member: Member, now: dt.datetime, create: bool = False
) -> OutcomeRound | None:
    """Return the member's round for the period `now` falls in (made when `create`)."""
    period = questions.current_period(as_utc(member.joined_at), now)
    found = session.scalar(
        sa.select(OutcomeRound).where(
            OutcomeRound.member_id == member.id, OutcomeRound.round == period.round
        )
    )
    if found is None and create:
        found = OutcomeRound(
            bank_id=member.bank_id,
            member_id=member.id,
            round=period.round,
            opens_at=period.opens_at,
            closes_at=period.closes_at,
        )
        session.add(found)
    return found


def is_complete(row: OutcomeRound | None) -> bool:
    """Say whether both questions of a round are answered."""
    return row is not None and row.lonely is not None and row.satisfied is not None


def start_by_text_in(session: so.Session, member: Member, now: dt.datetime) -> OutcomeRound:
    """Open this period's round for a text answer to the loneliness question (no commit)."""
    row = round_for(session, member, now, create=True)
    assert row is not None
    row.texted_at = now
    row.waiting_for = "lonely" if row.lonely is None else "satisfied"
    return row


def _open_round(session: so.Session, member: Member, now: dt.datetime) -> OutcomeRound | None:
    return session.scalar(
        sa.select(OutcomeRound).where(
            OutcomeRound.bank_id == member.bank_id,
            OutcomeRound.member_id == member.id,
            OutcomeRound.waiting_for.is_not(None),
            OutcomeRound.closes_at > now,
        )
    )


def may_answer(member: Member) -> bool:
    """Say whether a member's answers are taken at all (active, not erased)."""
    return member.status == "active" and member.erased_at is None


# --- By text ------------------------------------------------------------------------------


def number_by_text_in(
    session: so.Session, bank: TimeBank, member: Member, value: int | None, now: dt.datetime
) -> str | None:
    """Take a number a member texted as an answer, if a question is open; return the reply.

    `value` None is a number written in words ("three"). None back: no question is open,
    and the text keeps its usual meaning.
    """
    if not may_answer(member):
        return None
    row = _open_round(session, member, now)
    if row is None or not has_agreed(consent_of(session, member.bank_id, member.id)):
        done = round_for(session, member, now)
        if value is not None and is_complete(done) and done is not None and done.texted_at:
            return questions.already_answered()
        return None
    question = row.waiting_for or "lonely"
    if value is None or not questions.in_range(question, value):
        return questions.out_of_range(question)
    _record(row, question, value, now)
    if row.waiting_for == "satisfied":
        return questions.satisfied_question()
    return questions.thanks(bank.name)


def _record(row: OutcomeRound, question: str, value: int, now: dt.datetime) -> None:
    if question == "lonely":
        row.lonely, row.lonely_at = value, now
    else:
        row.satisfied, row.satisfied_at = value, now
    row.waiting_for = "satisfied" if row.satisfied is None else None
    if row.lonely is None:
        row.waiting_for = "lonely"


def yes_or_no_by_text_in(
    session: so.Session, bank: TimeBank, member: Member, yes: bool, now: dt.datetime
) -> str | None:
    """Take YES or NO as an answer to the consent text or an open question; return the reply.

    NO while a question is open, or to the consent text, means never ask again. YES to the
    consent text starts this period's questions. None back: the text is about something else.
    """
    if not may_answer(member):
        return None
    consent = consent_of(session, member.bank_id, member.id)
    undecided = (
        consent is not None
        and consent.asked_at is not None
        and consent.agreed_at is None
        and consent.refused_at is None
    )
    if not yes and (undecided or _open_round(session, member, now) is not None):
        refuse_in(session, member.bank_id, member.id, now)
        return questions.refused()
    if yes and undecided:
        agree_in(session, member.bank_id, member.id, "text", now)
        row = start_by_text_in(session, member, now)
        if is_complete(row):
            row.waiting_for = None
            return questions.already_answered()
        if row.waiting_for == "satisfied":
            return questions.satisfied_question()
        return questions.lonely_question(bank.name)
    return None


# --- On the web ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WebState:
    """What the member's outcome page shows: consent, and the questions still unanswered."""

    agreed: bool
    refused: bool
    asks_lonely: bool
    asks_satisfied: bool

    @property
    def done(self) -> bool:
        return self.agreed and not (self.asks_lonely or self.asks_satisfied)


def web_state(session: so.Session, member: Member, now: dt.datetime) -> WebState:
    """Return what the member's outcome page should show today."""
    consent = consent_of(session, member.bank_id, member.id)
    row = round_for(session, member, now)
    return WebState(
        agreed=has_agreed(consent),
        refused=consent is not None and consent.refused_at is not None,
        asks_lonely=row is None or row.lonely is None,
        asks_satisfied=row is None or row.satisfied is None,
    )


def _checked(question: str, value: int | None, wanted: bool) -> int | None:
    if not wanted:
        return None
    if value is None or not questions.in_range(question, value):
        if question == "lonely":
            raise InvalidDetail("lonely", "Please choose how often you feel lonely.")
        raise InvalidDetail(
            "satisfied", "Please choose a number from 0 to 10 for how satisfied you are."
        )
    return value


@use_case
def answer_on_web(
    session: so.Session,
    bank_id: int,
    member_id: int,
    lonely: int | None,
    satisfied: int | None,
    now: Callable[[], dt.datetime] = utcnow,
) -> OutcomeRound:
    """Record a member's answers to this period's questions still unanswered, and commit."""
    member = member_of_bank(session, bank_id, member_id)
    stamp = now()
    if not may_answer(member):
        raise NotAllowed("Only active members can answer these questions.")
    if not has_agreed(consent_of(session, bank_id, member_id)):
        raise InvalidInput("Please say first whether you are happy to answer these questions.")
    row = round_for(session, member, stamp, create=True)
    assert row is not None
    if is_complete(row):
        raise InvalidInput("You have already answered for these six months. Thank you.")
    wanted_lonely = _checked("lonely", lonely, row.lonely is None)
    wanted_satisfied = _checked("satisfied", satisfied, row.satisfied is None)
    if wanted_lonely is not None:
        row.lonely, row.lonely_at = wanted_lonely, stamp
    if wanted_satisfied is not None:
        row.satisfied, row.satisfied_at = wanted_satisfied, stamp
    row.waiting_for = None
    session.commit()
    return row
