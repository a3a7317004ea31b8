"""Queue the texts that are due: the one consent question, and each period's first question.

Run by `flask outcomes ask` (every hour from the scheduler). Texts that ask are queued
only between 9:00 and 20:00 in the bank's time zone; outside those hours the run queues
nothing and the next run in hours does it. Nobody is texted who opted out (STOP), turned
texts off, said no, has no mobile, is not an active member, or is staff; nobody is asked
twice in a period, since a period's round is made when its first question is queued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.errors import NotFound
from timebank.members.models import Member
from timebank.outcomes import questions
from timebank.outcomes.answers import round_for, start_by_text_in
from timebank.outcomes.models import OutcomeConsent
from timebank.sms.models import OptOut
from timebank.sms.outbox import queue_sms
from timebank.tenancy.models import TimeBank

BATCH_SIZE = 200


@dataclass
class AskSummary:
    """What one run did (or, with --dry-run, would do) for a time bank."""

    consent_asked: int = 0
    questions_asked: int = 0
    quiet_hours: bool = False
    # Another run asked the same member at the same moment: the database kept one.
    overlapped: bool = False

    def words(self) -> str:
        """Return the counts as one line for the command's output."""
        if self.quiet_hours:
            return "outside 9:00 to 20:00 in the bank's time zone: nothing queued"
        words = (
            f"asked {self.consent_asked} to agree, "
            f"asked {self.questions_asked} the loneliness question"
        )
        if self.overlapped:
            words += " (stopped: another run was asking at the same time; run again to finish)"
        return words


def _reachable(bank_id: int) -> sa.Select[Any]:
    """Members who may be texted at all: active, not staff, a mobile, texts on, no STOP."""
    opted_out = sa.select(OptOut.e164).where(OptOut.bank_id == bank_id, OptOut.opted_out)
    return (
        sa.select(Member, OutcomeConsent)
        .outerjoin(OutcomeConsent, OutcomeConsent.member_id == Member.id)
        .where(
            Member.bank_id == bank_id,
            Member.role == "member",
            Member.status == "active",
            Member.erased_at.is_(None),
            Member.mobile_e164.is_not(None),
            Member.sms_notifications.is_(True),
            Member.mobile_e164.not_in(opted_out),
            OutcomeConsent.refused_at.is_(None),
        )
        .order_by(Member.id)
    )


def _candidates(
    session: so.Session, bank_id: int
) -> Iterator[tuple[Member, OutcomeConsent | None]]:
    after = 0
    while True:
        rows = session.execute(_reachable(bank_id).where(Member.id > after).limit(BATCH_SIZE)).all()
        if not rows:
            return
        yield from ((row[0], row[1]) for row in rows)
        after = rows[-1][0].id


def _ask_one(
    session: so.Session,
    bank: TimeBank,
    member: Member,
    consent: OutcomeConsent | None,
    stamp: dt.datetime,
    summary: AskSummary,
) -> None:
    assert member.mobile_e164 is not None
    if consent is None or (consent.agreed_at is None and consent.asked_at is None):
        if consent is None:
            consent = OutcomeConsent(bank_id=bank.id, member_id=member.id)
            session.add(consent)
        consent.asked_at = stamp
        body = questions.consent_question(bank.name)
        queue_sms(
            session, bank.id, member.mobile_e164, body, "outcome_consent", member.id, lambda: stamp
        )
        summary.consent_asked += 1
        return
    if consent.agreed_at is None or round_for(session, member, stamp) is not None:
        return  # asked to agree and no answer yet, or asked (or answered) in this period
    start_by_text_in(session, member, stamp)
    body = questions.lonely_question(bank.name)
    queue_sms(
        session, bank.id, member.mobile_e164, body, "outcome_question", member.id, lambda: stamp
    )
    summary.questions_asked += 1


def ask_due(
    session: so.Session,
    bank_id: int,
    dry_run: bool = False,
    now: Callable[[], dt.datetime] = utcnow,
    progress: Callable[[int], None] = lambda done: None,
) -> AskSummary:
    """Queue the outcome texts due in a time bank, committing every batch; return the counts.

    With `dry_run` nothing is kept: the counts say what a real run would queue.
    """
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise NotFound("There is no such time bank.")
    stamp, summary = as_utc(now()), AskSummary()
    if not questions.may_ask_now(stamp, bank.timezone):
        summary.quiet_hours = True
        return summary
    seen = 0
    try:
        for member, consent in _candidates(session, bank.id):
            _ask_one(session, bank, member, consent, stamp, summary)
            seen += 1
            if seen % BATCH_SIZE == 0:
                _end_batch(session, dry_run)
                progress(seen)
        _end_batch(session, dry_run)
        progress(seen)
        if dry_run:
            session.rollback()
    except sa.exc.IntegrityError:
        # UNIQUE (member, round) and the consent's key: an overlapping run got there first.
        session.rollback()
        summary.overlapped = True
    except BaseException:
        session.rollback()
        raise
    return summary


def _end_batch(session: so.Session, dry_run: bool) -> None:
    if dry_run:
        session.flush()  # what was added counts as done for the rest of this run
    else:
        session.commit()
