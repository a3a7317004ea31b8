"""Proposals: a broker (or the requester) asks a member whether they can help with a request.

A proposal goes `sent` -> `accepted` or `declined` (the helper answers on the web, by text
with "YES 12" / "NO 12", or on the phone to the broker) -> `introduced` (both members are
told of each other and of the first meeting) -> `matched` (the request is closed). A broker
can withdraw one that is not yet matched; when a request is matched, the proposals for it
still waiting for an answer are withdrawn. A matched proposal is linked to the exchange the
two members log afterwards.

Every function here is one use case: it checks the time bank and the step, writes an audit
line (who, when) and commits. Texts go through the outbox in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable, Iterable, Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.audit import record_action
from timebank.broker.candidates import suggest_helpers
from timebank.broker.models import PROPOSAL_CHANNELS, MemberBlock, MemberCheck, Proposal
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.ledger.models import Account, Transfer
from timebank.ledger.queries import today_in
from timebank.members.models import Member
from timebank.members.phones import format_national
from timebank.offers.models import Listing
from timebank.sms import replies
from timebank.sms.models import ExchangeCode
from timebank.sms.optouts import is_opted_out
from timebank.sms.outbox import queue_sms
from timebank.tenancy.models import TimeBank
from timebank.tenancy.skills import category_needs_check, skill_in_sentence

MESSAGE_LIMIT = 500
PLACE_LIMIT = 200
# How many ranked suggestions are read to find the reasons for the members a broker picked.
WHY_POOL = 500
# How many helpers a requester is shown for their own request.
REQUESTER_SUGGESTIONS = 5
# Two digits first ("YES 12"): exchange codes start at three, so these never meet one. Then
# wider codes, each checked against both tables (see `code_taken`).
_CODE_WIDTHS = (2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7)
_random = random.SystemRandom()
_STEP_WORDS = {
    "sent": "is still waiting for an answer",
    "accepted": "was accepted",
    "declined": "was declined",
    "withdrawn": "was withdrawn",
    "introduced": "has already been introduced",
    "matched": "is already matched",
}


class WrongStep(InvalidInput):
    """The proposal is not at the step this action needs."""

    code = "proposal_wrong_step"


class HelperRefused(InvalidInput):
    """This member cannot be asked to help with this request."""

    code = "helper_refused"


# --- Looking things up --------------------------------------------------------------


def as_utc(stamp: dt.datetime) -> dt.datetime:
    """Return a stored time as aware UTC (SQLite hands back naive datetimes)."""
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def proposal_in_bank(session: so.Session, bank_id: int, proposal_id: int) -> Proposal:
    """Return a proposal of this bank or raise NotFound."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.bank_id != bank_id:
        raise NotFound("There is no such proposal in this time bank.")
    return proposal


def _member(session: so.Session, bank_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise NotFound("There is no such member in this time bank.")
    return member


def _broker(session: so.Session, bank_id: int, broker_id: int) -> Member:
    broker = _member(session, bank_id, broker_id)
    if not (broker.is_active and broker.has_role("broker")):
        raise NotAllowed("Only a broker of this time bank can do that.")
    return broker


def _request(session: so.Session, bank_id: int, request_id: int) -> Listing:
    listing = session.get(Listing, request_id)
    if listing is None or listing.bank_id != bank_id or listing.kind != "request":
        raise NotFound("There is no such request in this time bank.")
    return listing


def _open_request(session: so.Session, bank_id: int, request_id: int) -> Listing:
    listing = _request(session, bank_id, request_id)
    if listing.matched_at is not None:
        raise InvalidInput("This request is already matched with a helper.")
    if listing.status != "open":
        raise InvalidInput("This request is closed, so no one can be asked about it.")
    return listing


def _at_step(proposal: Proposal, *steps: str) -> None:
    if proposal.status not in steps:
        raise WrongStep(f"This proposal {_STEP_WORDS[proposal.status]}, so that cannot be done.")


def takes_texts(session: so.Session, member: Member) -> bool:
    """Return True when the member has a mobile, wants texts and has not texted STOP."""
    return bool(
        member.mobile_e164
        and member.sms_notifications
        and member.is_active
        and not is_opted_out(session, member.bank_id, member.mobile_e164)
    )


def _bank(session: so.Session, bank_id: int) -> TimeBank:
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    return bank


# --- Codes ---------------------------------------------------------------------------


def code_taken(session: so.Session, bank_id: int, code: int) -> bool:
    """Return True when an exchange or a proposal of the bank already uses `code`."""
    exchange = sa.select(ExchangeCode.code).where(
        ExchangeCode.bank_id == bank_id, ExchangeCode.code == code
    )
    proposal = sa.select(Proposal.id).where(Proposal.bank_id == bank_id, Proposal.sms_code == code)
    return bool(session.scalar(sa.select(sa.or_(exchange.exists(), proposal.exists()))))


def _give_code(session: so.Session, proposal: Proposal) -> int:
    """Give a flushed proposal a code no exchange or proposal of its bank has had."""
    for width in _CODE_WIDTHS:
        code = _random.randint(10 ** (width - 1), 10**width - 1)
        if code_taken(session, proposal.bank_id, code):
            continue
        try:
            # A savepoint: if another transaction took the code meanwhile, try another.
            with session.begin_nested():
                proposal.sms_code = code
                session.flush()
        except sa.exc.IntegrityError:
            continue
        return code
    raise RuntimeError("Could not find a free proposal code.")


# --- Who may be asked ------------------------------------------------------------------


def _blocked(session: so.Session, bank_id: int, one: int, other: int) -> bool:
    either_way = sa.or_(
        sa.and_(MemberBlock.member_id == one, MemberBlock.blocked_member_id == other),
        sa.and_(MemberBlock.member_id == other, MemberBlock.blocked_member_id == one),
    )
    found = session.scalar(
        sa.select(MemberBlock.id).where(MemberBlock.bank_id == bank_id, either_way).limit(1)
    )
    return found is not None


def has_current_check(session: so.Session, bank_id: int, member_id: int, today: dt.date) -> bool:
    """Return True when the member has a DBS check that is not withdrawn or out of date."""
    found = session.scalar(
        sa.select(MemberCheck.id)
        .where(
            MemberCheck.bank_id == bank_id,
            MemberCheck.member_id == member_id,
            MemberCheck.kind == "dbs",
            MemberCheck.withdrawn_at.is_(None),
            sa.or_(MemberCheck.expires_on.is_(None), MemberCheck.expires_on >= today),
        )
        .limit(1)
    )
    return found is not None


def needs_check(session: so.Session, listing: Listing) -> bool:
    """Return True when helping with this request needs a checked helper."""
    return listing.needs_check or category_needs_check(
        session, listing.bank_id, listing.skill_category
    )


def why_not_ask(
    session: so.Session, listing: Listing, helper: Member, channel: str, today: dt.date
) -> str | None:
    """Return, in plain words, why `helper` cannot be asked about `listing`, or None."""
    name = helper.display_name
    if helper.id == listing.member_id:
        return f"{name} asked for this help, so they cannot be asked to give it."
    if not helper.is_active:
        return f"{name} is not an active member, so they cannot be asked."
    if helper.do_not_contact:
        return f"{name} asked not to be contacted, so they cannot be asked."
    if _blocked(session, listing.bank_id, listing.member_id, helper.id):
        return f"{name} and the member who asked should not be matched with each other."
    if needs_check(session, listing) and not has_current_check(
        session, listing.bank_id, helper.id, today
    ):
        return f"This help needs a checked helper, and {name} has no current DBS check."
    if channel == "sms" and not takes_texts(session, helper):
        return (
            f"{name} has no mobile we can text, or does not want texts, so they can only be"
            " asked on the web: choose 'On the web'."
        )
    asked = session.scalar(
        sa.select(Proposal.status).where(
            Proposal.request_id == listing.id, Proposal.helper_id == helper.id
        )
    )
    if asked is not None:
        return f"{name} was already asked about this request (that proposal {_STEP_WORDS[asked]})."
    return None


# --- Sending -------------------------------------------------------------------------


def _details(listing: Listing) -> str:
    return ", ".join(part.strip() for part in (listing.availability, listing.area) if part.strip())


def _ask_by_text(
    session: so.Session, proposal: Proposal, sender: Member, listing: Listing, helper: Member
) -> None:
    code = _give_code(session, proposal)
    requester = _member(session, listing.bank_id, listing.member_id)
    body = replies.proposal_ask(
        sender.first_name,
        _bank(session, listing.bank_id).name,
        requester.first_name,
        skill_in_sentence(listing.skill_category),
        _details(listing),
        code,
    )
    assert helper.mobile_e164 is not None
    queue_sms(session, listing.bank_id, helper.mobile_e164, body, "proposal", helper.id)


def _add_proposals(
    session: so.Session,
    listing: Listing,
    sender: Member,
    helper_ids: Sequence[int],
    channel: str,
    message: str,
    why: dict[int, str],
    stamp: dt.datetime,
) -> list[Proposal]:
    if channel not in PROPOSAL_CHANNELS:
        raise InvalidInput("Choose how to ask: by text or on the web.")
    wanted = list(dict.fromkeys(helper_ids))
    if not wanted:
        raise InvalidInput("Choose at least one member to ask.")
    text = (message or "").strip()
    if len(text) > MESSAGE_LIMIT:
        raise InvalidInput(f"The message can have at most {MESSAGE_LIMIT} characters.")
    today = today_in(_bank(session, listing.bank_id).timezone, lambda: stamp)
    helpers = [_member(session, listing.bank_id, helper_id) for helper_id in wanted]
    refusals = [why_not_ask(session, listing, helper, channel, today) for helper in helpers]
    if any(refusals):
        raise HelperRefused(" ".join(r for r in refusals if r) + " No one was asked.")
    made = []
    for helper in helpers:
        proposal = Proposal(
            bank_id=listing.bank_id,
            request_id=listing.id,
            helper_id=helper.id,
            proposed_by_id=sender.id,
            channel=channel,
            status="sent",
            why=why.get(helper.id, "")[:400],
            message=text,
            created_at=stamp,
            updated_at=stamp,
        )
        session.add(proposal)
        session.flush()
        if channel == "sms":
            _ask_by_text(session, proposal, sender, listing, helper)
        made.append(proposal)
    return made


@use_case
def send_proposals(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    request_id: int,
    helper_ids: Sequence[int],
    channel: str,
    message: str = "",
    now: Callable[[], dt.datetime] = utcnow,
) -> list[Proposal]:
    """Ask each chosen member whether they can help with an open request, by text or web.

    All or nothing: if any chosen member cannot be asked, no one is, and the error says
    why for each of them.
    """
    broker = _broker(session, bank_id, broker_id)
    listing = _open_request(session, bank_id, request_id)
    stamp = now()
    suggestions = suggest_helpers(session, bank_id, request_id, WHY_POOL, now=lambda: stamp)
    why = {suggestion.member_id: suggestion.why for suggestion in suggestions}
    made = _add_proposals(session, listing, broker, helper_ids, channel, message, why, stamp)
    for proposal in made:
        record_action(
            session,
            bank_id,
            broker.id,
            "proposal_sent",
            member_id=proposal.helper_id,
            subject=f"proposal:{proposal.id}",
            detail=f"request:{listing.id} by {'text' if channel == 'sms' else 'web'}",
        )
    session.commit()
    return made


def requester_suggestions(
    session: so.Session,
    bank_id: int,
    member_id: int,
    request_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> list:
    """Return up to five helpers for the member's own open request, worded for them.

    Members already asked about the request are left out.
    """
    listing = _request(session, bank_id, request_id)
    if listing.member_id != member_id:
        raise NotFound("There is no such request in this time bank.")
    asked = set(
        session.scalars(sa.select(Proposal.helper_id).where(Proposal.request_id == request_id))
    )
    suggestions = suggest_helpers(
        session, bank_id, request_id, REQUESTER_SUGGESTIONS + len(asked), now, for_requester=True
    )
    return [s for s in suggestions if s.member_id not in asked][:REQUESTER_SUGGESTIONS]


@use_case
def ask_suggested_helper(
    session: so.Session,
    bank_id: int,
    member_id: int,
    request_id: int,
    helper_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Proposal:
    """Let a member ask one of the helpers suggested for their own request, on the web."""
    requester = _member(session, bank_id, member_id)
    suggestions = requester_suggestions(session, bank_id, member_id, request_id, now)
    chosen = [s for s in suggestions if s.member_id == helper_id]
    if not chosen:
        raise NotFound("That member is not one of the helpers suggested for your request.")
    listing = _open_request(session, bank_id, request_id)
    stamp = now()
    why = {helper_id: chosen[0].why}
    (proposal,) = _add_proposals(session, listing, requester, [helper_id], "web", "", why, stamp)
    record_action(
        session,
        bank_id,
        requester.id,
        "proposal_sent_by_requester",
        member_id=helper_id,
        subject=f"proposal:{proposal.id}",
        detail=f"request:{listing.id} by web",
    )
    session.commit()
    return proposal


# --- Answers -------------------------------------------------------------------------


def _answer(proposal: Proposal, yes: bool, stamp: dt.datetime) -> None:
    if proposal.status == "withdrawn":
        raise WrongStep("This request for help was withdrawn, so there is nothing to answer.")
    if proposal.status != "sent":
        raise WrongStep("You already answered this request for help, so nothing changed.")
    proposal.status = "accepted" if yes else "declined"
    proposal.answered_at = proposal.updated_at = stamp


@use_case
def answer_proposal(
    session: so.Session,
    bank_id: int,
    proposal_id: int,
    member_id: int,
    yes: bool,
    now: Callable[[], dt.datetime] = utcnow,
    how: str = "web",
) -> Proposal:
    """Record the helper's own yes or no to a proposal (only the helper may answer)."""
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    if proposal.helper_id != member_id:
        raise NotFound("There is no such proposal in this time bank.")
    _answer(proposal, yes, now())
    record_action(
        session,
        bank_id,
        member_id,
        "proposal_accepted" if yes else "proposal_declined",
        member_id=member_id,
        subject=f"proposal:{proposal.id}",
        detail=f"answered by {how}",
    )
    session.commit()
    return proposal


@use_case
def record_reply(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    proposal_id: int,
    yes: bool,
    note: str = "",
    now: Callable[[], dt.datetime] = utcnow,
) -> Proposal:
    """Record a helper's yes or no that a broker took by phone or in person."""
    _broker(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    _answer(proposal, yes, now())
    record_action(
        session,
        bank_id,
        broker_id,
        "proposal_reply_recorded",
        member_id=proposal.helper_id,
        subject=f"proposal:{proposal.id}",
        detail=("yes" if yes else "no") + (f": {note.strip()}" if note.strip() else ""),
    )
    session.commit()
    return proposal


def proposal_for_code(
    session: so.Session, bank_id: int, member_id: int, code: int
) -> Proposal | None:
    """Return the member's proposal with this text code, if any."""
    return session.scalar(
        sa.select(Proposal).where(
            Proposal.bank_id == bank_id,
            Proposal.helper_id == member_id,
            Proposal.sms_code == code,
        )
    )


def answer_by_text(
    session: so.Session, member: Member, code: int, yes: bool, now: dt.datetime
) -> str | None:
    """Answer the member's proposal with this code; return the reply, or None if none."""
    proposal = proposal_for_code(session, member.bank_id, member.id, code)
    if proposal is None:
        return None
    if proposal.status == "withdrawn":
        return replies.proposal_closed(code)
    if proposal.status != "sent":
        return replies.proposal_already_answered(code)
    listing = _request(session, member.bank_id, proposal.request_id)
    requester = _member(session, member.bank_id, listing.member_id)
    answer_proposal(session, member.bank_id, proposal.id, member.id, yes, lambda: now, "text")
    done = replies.proposal_accepted if yes else replies.proposal_declined
    return done(requester.first_name)


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
    broker = _broker(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    _at_step(proposal, "accepted")
    place = " ".join((meeting_place or "").split())
    if len(place) > PLACE_LIMIT:
        raise InvalidInput(f"The meeting place can have at most {PLACE_LIMIT} characters.")
    stamp = now()
    proposal.status = "introduced"
    proposal.introduced_at = proposal.updated_at = stamp
    proposal.meeting_at, proposal.meeting_place = meeting_at, place
    listing = _request(session, bank_id, proposal.request_id)
    helper = _member(session, bank_id, proposal.helper_id)
    requester = _member(session, bank_id, listing.member_id)
    bank = _bank(session, bank_id)
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
    helper = _member(session, proposal.bank_id, proposal.helper_id)
    if was_waiting and proposal.channel == "sms" and proposal.sms_code is not None:
        if takes_texts(session, helper):
            listing = _request(session, proposal.bank_id, proposal.request_id)
            requester = _member(session, proposal.bank_id, listing.member_id)
            body = replies.proposal_no_longer_needed(
                _bank(session, proposal.bank_id).name, requester.first_name, proposal.sms_code
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
    broker = _broker(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    _at_step(proposal, "accepted", "introduced")
    listing = _open_request(session, bank_id, proposal.request_id)
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
    broker = _broker(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    _at_step(proposal, "sent", "accepted", "introduced")
    _withdraw_one(session, proposal, broker.id, now(), reason.strip() or "withdrawn by the broker")
    session.commit()
    return proposal


# --- Linking the exchange that came of it ---------------------------------------------------


def candidate_transfers(session: so.Session, bank_id: int, proposal_id: int) -> list[Transfer]:
    """Return the exchanges the helper logged giving to the requester since the proposal.

    Only exchanges still standing (waiting or confirmed, not declined or reversed) and not
    already linked to another proposal, oldest first.
    """
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    listing = _request(session, bank_id, proposal.request_id)
    helper_account = _account_id(session, bank_id, proposal.helper_id)
    requester_account = _account_id(session, bank_id, listing.member_id)
    resolution = so.aliased(Transfer)
    voided = (
        sa.select(resolution.id)
        .where(resolution.pending_id == Transfer.id, resolution.phase == "void_pending")
        .exists()
    )
    reversed_ = sa.select(resolution.id).where(resolution.reverses_id == Transfer.id).exists()
    linked = (
        sa.select(Proposal.id)
        .where(Proposal.transfer_id == Transfer.id, Proposal.id != proposal.id)
        .exists()
    )
    return list(
        session.scalars(
            sa.select(Transfer)
            .where(
                Transfer.bank_id == bank_id,
                Transfer.credit_account_id == helper_account,
                Transfer.debit_account_id == requester_account,
                Transfer.phase.in_(("pending", "posted")),
                Transfer.reverses_id.is_(None),
                Transfer.recorded_at >= proposal.created_at,
                sa.not_(voided),
                sa.not_(reversed_),
                sa.not_(linked),
            )
            .order_by(Transfer.recorded_at, Transfer.id)
        )
    )


def _account_id(session: so.Session, bank_id: int, member_id: int) -> int | None:
    return session.scalar(
        sa.select(Account.id).where(Account.bank_id == bank_id, Account.member_id == member_id)
    )


def _link(
    session: so.Session, proposal: Proposal, transfer: Transfer, broker_id: int | None, how: str
) -> None:
    proposal.transfer_id = transfer.id
    proposal.updated_at = utcnow()
    record_action(
        session,
        proposal.bank_id,
        broker_id,
        "exchange_linked",
        member_id=proposal.helper_id,
        subject=f"proposal:{proposal.id}",
        detail=f"transfer:{transfer.id} {how}",
    )


@use_case
def link_exchange(
    session: so.Session, bank_id: int, broker_id: int, proposal_id: int, transfer_id: uuid.UUID
) -> Proposal:
    """Link a matched proposal to the exchange its helper and requester logged."""
    _broker(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    _at_step(proposal, "matched")
    if proposal.transfer_id is not None:
        raise InvalidInput("This match is already linked to an exchange.")
    chosen = [t for t in candidate_transfers(session, bank_id, proposal_id) if t.id == transfer_id]
    if not chosen:
        raise InvalidInput(
            "That exchange is not one the helper logged for the requester since they were asked."
        )
    _link(session, proposal, chosen[0], broker_id, "chosen by the broker")
    session.commit()
    return proposal


@use_case
def link_logged_exchanges(session: so.Session, bank_id: int, broker_id: int | None = None) -> int:
    """Link each matched, unlinked proposal whose helper logged exactly one exchange since.

    `flask broker link-exchanges` runs this on a schedule with no broker: the audit line
    then names no one. Returns how many were linked.
    """
    if broker_id is not None:
        _broker(session, bank_id, broker_id)
    unlinked: Iterable[Proposal] = session.scalars(
        sa.select(Proposal)
        .where(
            Proposal.bank_id == bank_id,
            Proposal.status == "matched",
            Proposal.transfer_id.is_(None),
        )
        .order_by(Proposal.id)
    ).all()
    linked = 0
    for proposal in unlinked:
        found = candidate_transfers(session, bank_id, proposal.id)
        if len(found) == 1:
            _link(session, proposal, found[0], broker_id, "linked automatically")
            session.flush()
            linked += 1
    if linked:
        session.commit()
    else:
        session.rollback()
    return linked
