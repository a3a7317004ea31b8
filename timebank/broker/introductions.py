"""The steps after a helper says yes: introduce the two, mark the request matched, withdraw.

A broker can withdraw a proposal at any step before it is matched (see `proposals` for the
whole way a proposal goes).

Every function here is one use case: it checks the time bank and the step, writes an audit
line (who, when) and commits. Texts go through the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.models import Proposal
from timebank.broker.proposal_checks import (
    broker_in_bank,
    open_request_in_bank,
    proposal_in_bank,
    request_in_bank,
    require_step,
    takes_texts,
    time_bank,
)
from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.members.models import Member
from timebank.members.profile import member_of_bank
from timebank.offers.skills import skill_in_sentence
from timebank.phones import format_national
from timebank.sms import replies
from timebank.sms.outbox import queue_sms
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank

PLACE_LIMIT = 200


# --- Introducing, matching, withdrawing ---------------------------------------------------


def meeting_words(meeting_at: dt.datetime | None, place: str, timezone: str) -> str:
    """Return the first meeting in words: 'Tue 3 Mar at 10:00, Catford library'."""
    when = ""
    if meeting_at is not None:
        local = as_utc(meeting_at).astimezone(ZoneInfo(timezone))
        when = f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"
    return ", ".join(part for part in (when, place.strip()) if part)


def _reach_broker(session: so.Session, broker: Member, bank: TimeBank) -> str:
    if broker.mobile_e164:
        return f"{broker.first_name} {format_national(broker.mobile_e164)}"
    if bank.sms_number:
        return f"{broker.first_name} {format_national(bank.sms_number)}"
    return f"ask {broker.first_name}"


@use_case
def introduce(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    proposal_id: int,
    meeting_at: dt.datetime | None = None,
    meeting_place: str = "",
    note: str = "",
    now: Callable[[], dt.datetime] = utcnow,
) -> Proposal:
    """Tell the requester and an accepted helper about each other and the first meeting.

    Each gets a text if they take texts; both see the introduction on their home page.
    """
    broker = broker_in_bank(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    require_step(proposal, "accepted")
    place = " ".join((meeting_place or "").split())
    if len(place) > PLACE_LIMIT:
        raise InvalidInput(f"The meeting place can have at most {PLACE_LIMIT} characters.")
    stamp = now()
    proposal.status = "introduced"
    proposal.introduced_at = proposal.updated_at = stamp
    proposal.meeting_at, proposal.meeting_place = meeting_at, place
    listing = request_in_bank(session, bank_id, proposal.request_id)
    helper = member_of_bank(session, bank_id, proposal.helper_id)
    requester = member_of_bank(session, bank_id, listing.member_id)
    bank = time_bank(session, bank_id)
    meeting = meeting_words(meeting_at, place, bank.timezone)
    contact = _reach_broker(session, broker, bank)
    skill = skill_in_sentence(listing.skill_category)
    told = []
    for member, other, to_helper in ((helper, requester, True), (requester, helper, False)):
        if takes_texts(session, member):
            assert member.mobile_e164 is not None
            body = replies.introduction(
                bank.name, other.first_name, skill, to_helper, meeting, contact
            )
            queue_sms(session, bank_id, member.mobile_e164, body, "introduction", member.id)
            told.append(member.first_name)
    detail = f"meeting: {meeting or 'not set'}; texted: {', '.join(told) or 'no one'}"
    if note.strip():
        detail += f"; note: {note.strip()}"
    record_action(
        session,
        bank_id,
        broker.id,
        "proposal_introduced",
        member_id=helper.id,
        subject=f"proposal:{proposal.id}",
        detail=detail,
    )
    session.commit()
    return proposal


def _withdraw_one(
    session: so.Session, proposal: Proposal, broker_id: int, stamp: dt.datetime, why: str
) -> None:
    """Withdraw a proposal, telling its helper by text when they were asked by text."""
    was_waiting = proposal.status == "sent"
    proposal.status, proposal.updated_at = "withdrawn", stamp
    helper = member_of_bank(session, proposal.bank_id, proposal.helper_id)
    if was_waiting and proposal.channel == "sms" and proposal.sms_code is not None:
        if takes_texts(session, helper):
            listing = request_in_bank(session, proposal.bank_id, proposal.request_id)
            requester = member_of_bank(session, proposal.bank_id, listing.member_id)
            body = replies.proposal_no_longer_needed(
                time_bank(session, proposal.bank_id).name, requester.first_name, proposal.sms_code
            )
            assert helper.mobile_e164 is not None
            queue_sms(session, proposal.bank_id, helper.mobile_e164, body, "proposal", helper.id)
    record_action(
        session,
        proposal.bank_id,
        broker_id,
        "proposal_withdrawn",
        member_id=helper.id,
        subject=f"proposal:{proposal.id}",
        detail=why,
    )


@use_case
def mark_matched(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    proposal_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Proposal:
    """Mark a request matched with this helper and close it; withdraw unanswered proposals."""
    broker = broker_in_bank(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    require_step(proposal, "accepted", "introduced")
    listing = open_request_in_bank(session, bank_id, proposal.request_id)
    stamp = now()
    proposal.status = "matched"
    proposal.matched_at = proposal.updated_at = stamp
    listing.matched_at = listing.updated_at = stamp
    listing.status = "closed"
    waiting = session.scalars(
        sa.select(Proposal)
        .where(Proposal.request_id == listing.id, Proposal.status == "sent")
        .order_by(Proposal.id)
    )
    for other in waiting:
        _withdraw_one(session, other, broker.id, stamp, "the request was matched with someone else")
    record_action(
        session,
        bank_id,
        broker.id,
        "proposal_matched",
        member_id=proposal.helper_id,
        subject=f"proposal:{proposal.id}",
        detail=f"request:{listing.id} closed",
    )
    session.commit()
    return proposal


@use_case
def withdraw(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    proposal_id: int,
    reason: str = "",
    now: Callable[[], dt.datetime] = utcnow,
) -> Proposal:
    """Withdraw a proposal that is not yet matched (the helper is told if asked by text)."""
    broker = broker_in_bank(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    require_step(proposal, "sent", "accepted", "introduced")
    _withdraw_one(session, proposal, broker.id, now(), reason.strip() or "withdrawn by the broker")
    session.commit()
    return proposal
