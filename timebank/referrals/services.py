"""The referral pipeline: partners and their numbers, each step of a referral, follow-ups.

Every step of a referral is recorded as a ReferralEvent (who, when, to what), so brokers
and funders can see the whole story. The reason a practice gives is special category data:
it is shown to brokers only and never put in a text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.ledger.models import Account, Transfer, trade_condition
from timebank.members.acting import acting_member
from timebank.members.models import Member, roles_from
from timebank.members.profile import member_of_bank
from timebank.referrals.grammar import reference
from timebank.referrals.models import Referral, ReferralEvent, ReferralPartner
from timebank.referrals.partners import partner_numbers
from timebank.sms import replies
from timebank.sms.models import InboundMessage, OutboxMessage
from timebank.sms.outbox import queue_sms
from timebank.tenancy.models import TimeBank

# Referrals nobody needs to act on: the patient said no, never answered, or it is finished.
ENDED_STATUSES = ("declined", "no_reply", "closed")
OPEN_STATUSES = ("received", "invited", "consented", "contacted", "joined", "first_exchange")
MAX_OUTCOME = 200


class InvalidOutcome(InvalidInput):
    """A closing outcome that cannot be saved; shown beside the outcome field."""

    field = "outcome"


# --- Steps of a referral (in the caller's transaction) ---------------------------------


def move(
    session: so.Session,
    referral: Referral,
    status: str,
    now: dt.datetime,
    actor_id: int | None = None,
    note: str = "",
) -> ReferralEvent:
    """Move a referral to `status` and record who did it and when (no commit)."""
    referral.status = status
    referral.updated_at = now
    event = ReferralEvent(
        bank_id=referral.bank_id,
        referral_id=referral.id,
        status=status,
        actor_id=actor_id,
        note=note[:300],
        at=now,
    )
    session.add(event)
    return event


def open_referral_for(session: so.Session, bank_id: int, e164: str) -> Referral | None:
    """Return the newest referral of this number that is still open, if any."""
    return session.scalar(
        sa.select(Referral)
        .where(
            Referral.bank_id == bank_id,
            Referral.patient_e164 == e164,
            Referral.status.in_(OPEN_STATUSES),
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )


def tell_brokers(
    session: so.Session, bank_id: int, referral: Referral, practice: str | None
) -> None:
    """Queue a short alert (reference and practice only) to each broker who takes texts."""
    stamp = referral.updated_at
    brokers = session.scalars(
        sa.select(Member).where(
            Member.bank_id == bank_id,
            Member.role.in_(roles_from("broker")),
            Member.status == "active",
            Member.mobile_e164.is_not(None),
            Member.sms_notifications.is_(True),
        )
    )
    body = replies.referral_for_brokers(reference(referral.id), practice)
    for broker in brokers:
        assert broker.mobile_e164 is not None
        queue_sms(
            session, bank_id, broker.mobile_e164, body, "referral_alert", broker.id, lambda: stamp
        )


def tell_partner(session: so.Session, referral: Referral, body: str, purpose: str) -> int:
    """Queue a feedback text to every number of the referral's partner; return how many."""
    if referral.partner_id is None:
        return 0
    numbers = partner_numbers(session, referral.bank_id, referral.partner_id)
    stamp = referral.updated_at
    for number in numbers:
        queue_sms(session, referral.bank_id, number.e164, body, purpose, now=lambda: stamp)
    return len(numbers)


# --- What brokers do --------------------------------------------------------------------


def referral_in_bank(session: so.Session, bank_id: int, referral_id: int) -> Referral:
    """Return a referral of this bank or raise NotFound."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.bank_id != bank_id or referral.purged_at is not None:
        raise NotFound("There is no such referral in this time bank.")
    return referral


def _broker_referral(
    session: so.Session, bank_id: int, referral_id: int, broker_id: int
) -> Referral:
    acting_member(session, bank_id, broker_id, "broker", "work on referrals")
    return referral_in_bank(session, bank_id, referral_id)


def _not_ended(referral: Referral) -> None:
    if referral.status == "closed":
        raise InvalidInput(f"Referral {reference(referral.id)} is closed.")


@use_case
def mark_contacted(
    session: so.Session,
    bank_id: int,
    referral_id: int,
    broker_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Referral:
    """Record that a broker got in touch with the person referred."""
    referral = _broker_referral(session, bank_id, referral_id, broker_id)
    _not_ended(referral)
    if referral.status != "consented":
        # Only the patient's own YES (or JOIN) lets a broker get in touch.
        raise InvalidInput(
            f"Referral {reference(referral.id)} is not waiting for a call: only someone who "
            "said yes can be contacted."
        )
    move(session, referral, "contacted", now(), broker_id)
    session.commit()
    return referral


@use_case
def link_member(
    session: so.Session,
    bank_id: int,
    referral_id: int,
    member_id: int,
    broker_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Referral:
    """Link the member the referral led to, mark it joined and tell the practice."""
    referral = _broker_referral(session, bank_id, referral_id, broker_id)
    _not_ended(referral)
    if referral.member_id is not None:
        raise InvalidInput(f"Referral {reference(referral.id)} is already linked to a member.")
    member = member_of_bank(session, bank_id, member_id)
    stamp = now()
    referral.member_id, referral.joined_at = member.id, stamp
    move(session, referral, "joined", stamp, broker_id, note=f"Member {member.id}")
    tell_partner(
        session, referral, replies.patient_joined(reference(referral.id)), "referral_joined"
    )
    session.commit()
    return referral


@use_case
def close_referral(
    session: so.Session,
    bank_id: int,
    referral_id: int,
    broker_id: int,
    outcome: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Referral:
    """Close a referral with a short outcome in the broker's words."""
    referral = _broker_referral(session, bank_id, referral_id, broker_id)
    _not_ended(referral)
    text = " ".join((outcome or "").split())
    if not text:
        raise InvalidOutcome("Say in a few words how the referral ended.")
    if len(text) > MAX_OUTCOME:
        raise InvalidOutcome(f"The outcome can have at most {MAX_OUTCOME} characters.")
    stamp = now()
    referral.outcome, referral.closed_at = text, stamp
    move(session, referral, "closed", stamp, broker_id, note=text)
    session.commit()
    return referral


# --- What brokers see -------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    referral: Referral
    partner: str | None


def referral_queue(session: so.Session, bank_id: int, status: str | None = None) -> list[QueueRow]:
    """Return referrals oldest first: the open ones, or those with `status`."""
    statuses = (status,) if status else OPEN_STATUSES
    rows = session.execute(
        sa.select(Referral, ReferralPartner.name)
        .outerjoin(
            ReferralPartner,
            sa.and_(
                ReferralPartner.id == Referral.partner_id,
                ReferralPartner.bank_id == Referral.bank_id,
            ),
        )
        .where(
            Referral.bank_id == bank_id,
            Referral.status.in_(statuses),
            Referral.purged_at.is_(None),
        )
        .order_by(Referral.created_at, Referral.id)
    )
    return [QueueRow(referral, name) for referral, name in rows]


@dataclass(frozen=True)
class Step:
    status: str
    at: dt.datetime
    actor: str | None
    note: str


def referral_history(session: so.Session, bank_id: int, referral_id: int) -> list[Step]:
    """Return the steps of a referral, oldest first, with the name of who took each."""
    rows = session.execute(
        sa.select(ReferralEvent, Member.display_name)
        .outerjoin(
            Member,
            sa.and_(Member.id == ReferralEvent.actor_id, Member.bank_id == ReferralEvent.bank_id),
        )
        .where(ReferralEvent.bank_id == bank_id, ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.at, ReferralEvent.id)
    )
    return [Step(event.status, event.at, name, event.note) for event, name in rows]


def member_with_mobile(session: so.Session, bank_id: int, e164: str) -> Member | None:
    """Return the bank's member with this mobile number, if there is one."""
    return session.scalar(
        sa.select(Member).where(Member.bank_id == bank_id, Member.mobile_e164 == e164)
    )


# --- The scheduled follow-up and purge ---------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    no_reply: int
    first_exchange: int


def _guarded_move(session: so.Session, referral: Referral, old: str, new: str) -> bool:
    """Claim a status change only if nobody else made it first (schedulers may overlap)."""
    result = session.execute(
        sa.update(Referral)
        .where(Referral.id == referral.id, Referral.status == old)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    return cast(sa.CursorResult[Any], result).rowcount == 1


def _expire_invitations(session: so.Session, bank: TimeBank, now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(days=bank.referral_reply_days)
    waiting = session.scalars(
        sa.select(Referral).where(
            Referral.bank_id == bank.id,
            Referral.status == "invited",
            Referral.invited_at < cutoff,
            Referral.purged_at.is_(None),
        )
    ).all()
    moved = 0
    for referral in waiting:
        if _guarded_move(session, referral, "invited", "no_reply"):
            move(session, referral, "no_reply", now, note="No answer to the invitation")
            moved += 1
    return moved


def _has_posted_exchange(session: so.Session, bank_id: int, member_id: int) -> bool:
    account = sa.select(Account.id).where(
        Account.bank_id == bank_id, Account.member_id == member_id
    )
    found = session.scalar(
        sa.select(Transfer.id)
        .where(
            Transfer.bank_id == bank_id,
            trade_condition(Transfer.__table__),
            sa.or_(
                Transfer.debit_account_id.in_(account.scalar_subquery()),
                Transfer.credit_account_id.in_(account.scalar_subquery()),
            ),
        )
        .limit(1)
    )
    return found is not None


def _note_first_exchanges(session: so.Session, bank: TimeBank, now: dt.datetime) -> int:
    joined = session.scalars(
        sa.select(Referral).where(
            Referral.bank_id == bank.id,
            Referral.status == "joined",
            Referral.member_id.is_not(None),
        )
    ).all()
    moved = 0
    for referral in joined:
        assert referral.member_id is not None
        if not _has_posted_exchange(session, bank.id, referral.member_id):
            continue
        if _guarded_move(session, referral, "joined", "first_exchange"):
            referral.first_exchange_at = now
            move(session, referral, "first_exchange", now)
            body = replies.patient_first_exchange(reference(referral.id))
            tell_partner(session, referral, body, "referral_first_exchange")
            moved += 1
    return moved


@use_case
def follow_up_referrals(session: so.Session, now: dt.datetime | None = None) -> FollowUp:
    """In every bank: mark unanswered invitations, and tell practices of first exchanges."""
    stamp = now or utcnow()
    no_reply = first = 0
    for bank in session.scalars(sa.select(TimeBank).order_by(TimeBank.id)).all():
        no_reply += _expire_invitations(session, bank, stamp)
        first += _note_first_exchanges(session, bank, stamp)
    session.commit()
    return FollowUp(no_reply, first)


def _purge(session: so.Session, bank_id: int, ids: list[int], stamp: dt.datetime) -> None:
    """Remove every personal detail tied to these referrals; keep what reports count."""
    numbers = sa.select(Referral.patient_e164).where(
        Referral.bank_id == bank_id, Referral.id.in_(ids)
    )
    # The texts about them: the practice's REFER, the patient's answers, the invitation.
    # Texts from the number before they were linked to a referral go too, never a member's.
    for model, number in (
        (InboundMessage, InboundMessage.from_e164),
        (OutboxMessage, OutboxMessage.to_e164),
    ):
        session.execute(
            sa.delete(model).where(
                model.bank_id == bank_id,
                sa.or_(
                    model.referral_id.in_(ids),
                    sa.and_(
                        model.referral_id.is_(None),
                        model.member_id.is_(None),
                        number.in_(numbers),
                    ),
                ),
            )
        )
    # Each step stays (reports count who said yes, and when); its words go.
    session.execute(
        sa.update(ReferralEvent)
        .where(ReferralEvent.bank_id == bank_id, ReferralEvent.referral_id.in_(ids))
        .values(note="")
    )
    session.execute(
        sa.update(Referral)
        .where(Referral.bank_id == bank_id, Referral.id.in_(ids))
        .values(patient_e164="", first_name="", reason="", outcome=None, purged_at=stamp)
    )


@use_case
def purge_unconverted(session: so.Session, now: dt.datetime | None = None) -> int:
    """In every bank, purge referrals that never led to a member once past retention.

    Referrals that led to a member whose details were since erased are purged too. The
    person's number, name, reason and outcome go, with every text about the referral
    and the words of its steps, in one transaction. The row stays with its status and
    dates only, so reports of past periods keep their counts. Texts from non-members
    that no referral holds (a REFER for a number we could not text) go after the same days.
    """
    stamp = now or utcnow()
    purged = 0
    for bank in session.scalars(sa.select(TimeBank).order_by(TimeBank.id)).all():
        cutoff = stamp - dt.timedelta(days=bank.referral_retention_days)
        erased = sa.select(Member.id).where(
            Member.bank_id == bank.id, Member.erased_at.is_not(None)
        )
        stale = session.scalars(
            sa.select(Referral.id).where(
                Referral.bank_id == bank.id,
                Referral.purged_at.is_(None),
                sa.or_(
                    sa.and_(Referral.member_id.is_(None), Referral.created_at < cutoff),
                    # The member it led to has had their details erased: theirs go too.
                    Referral.member_id.in_(erased),
                ),
            )
        ).all()
        if stale:
            _purge(session, bank.id, list(stale), stamp)
            purged += len(stale)
        _forget_stray_texts(session, bank.id, cutoff)
    session.commit()
    return purged


def _forget_stray_texts(session: so.Session, bank_id: int, cutoff: dt.datetime) -> None:
    """Delete old texts from non-members that no referral holds (a REFER that failed)."""
    session.execute(
        sa.delete(InboundMessage).where(
            InboundMessage.bank_id == bank_id,
            InboundMessage.referral_id.is_(None),
            InboundMessage.member_id.is_(None),
            InboundMessage.received_at < cutoff,
        )
    )
