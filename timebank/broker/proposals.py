"""Proposals: a broker (or the requester) asks a member whether they can help with a request.

A proposal goes `sent` -> `accepted` or `declined` (the helper answers on the web, by text
with "YES 12" / "NO 12", or on the phone to the broker) -> `introduced` (both members are
told of each other and of the first meeting) -> `matched` (the request is closed). A broker
can withdraw one that is not yet matched; when a request is matched, the proposals for it
still waiting for an answer are withdrawn. A matched proposal is linked to the exchange the
two members log afterwards.

Every function here is one use case: it checks the time bank and the step, writes an audit
line (who, when) and commits. Texts go through the outbox in the same transaction.

This module sends proposals (with their text codes) and takes the answers. The later steps
are in `introductions` (introduce, mark matched, withdraw) and `exchange_links`; a member
asks for their own request in `requester_proposals`; the checks all of them share are in
`proposal_checks`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.candidates import suggest_helpers
from timebank.broker.models import PROPOSAL_CHANNELS, Proposal
from timebank.broker.proposal_checks import (
    WrongStep,
    broker_in_bank,
    open_request_in_bank,
    proposal_in_bank,
    request_in_bank,
    time_bank,
    why_not_ask,
)
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.members.models import Member
from timebank.members.profile import member_of_bank
from timebank.offers.models import Listing
from timebank.offers.skills import skill_in_sentence
from timebank.sms import replies
from timebank.sms.models import ExchangeCode
from timebank.sms.outbox import queue_sms
from timebank.tenancy.audit import record_action
from timebank.tenancy.days import today_in_zone

MESSAGE_LIMIT = 500
# How many ranked suggestions are read to find the reasons for the members a broker picked.
WHY_POOL = 500
# Two digits first ("YES 12"): exchange codes start at three, so these never meet one. Then
# wider codes, each checked against both tables (see `code_taken`).
_CODE_WIDTHS = (2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7)
_random = random.SystemRandom()


class HelperRefused(InvalidInput):
    """This member cannot be asked to help with this request."""

    code = "helper_refused"


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


# --- Sending -------------------------------------------------------------------------


def _details(listing: Listing) -> str:
    return ", ".join(part.strip() for part in (listing.availability, listing.area) if part.strip())


def _ask_by_text(
    session: so.Session, proposal: Proposal, sender: Member, listing: Listing, helper: Member
) -> None:
    code = _give_code(session, proposal)
    requester = member_of_bank(session, listing.bank_id, listing.member_id)
    body = replies.proposal_ask(
        sender.first_name,
        time_bank(session, listing.bank_id).name,
        requester.first_name,
        skill_in_sentence(listing.skill_category),
        _details(listing),
        code,
    )
    assert helper.mobile_e164 is not None
    queue_sms(session, listing.bank_id, helper.mobile_e164, body, "proposal", helper.id)


def add_proposals(
    session: so.Session,
    listing: Listing,
    sender: Member,
    helper_ids: Sequence[int],
    channel: str,
    message: str,
    why: dict[int, str],
    stamp: dt.datetime,
) -> list[Proposal]:
    """Add a proposal to each helper (asking by text if chosen); all or none, nothing committed."""
    if channel not in PROPOSAL_CHANNELS:
        raise InvalidInput("Choose how to ask: by text or on the web.")
    wanted = list(dict.fromkeys(helper_ids))
    if not wanted:
        raise InvalidInput("Choose at least one member to ask.")
    text = (message or "").strip()
    if len(text) > MESSAGE_LIMIT:
        raise InvalidInput(f"The message can have at most {MESSAGE_LIMIT} characters.")
    today = today_in_zone(time_bank(session, listing.bank_id).timezone, lambda: stamp)
    helpers = [member_of_bank(session, listing.bank_id, helper_id) for helper_id in wanted]
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
    broker = broker_in_bank(session, bank_id, broker_id)
    listing = open_request_in_bank(session, bank_id, request_id)
    stamp = now()
    suggestions = suggest_helpers(session, bank_id, request_id, WHY_POOL, now=lambda: stamp)
    why = {suggestion.member_id: suggestion.why for suggestion in suggestions}
    made = add_proposals(session, listing, broker, helper_ids, channel, message, why, stamp)
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
    broker_in_bank(session, bank_id, broker_id)
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
    listing = request_in_bank(session, member.bank_id, proposal.request_id)
    requester = member_of_bank(session, member.bank_id, listing.member_id)
    answer_proposal(session, member.bank_id, proposal.id, member.id, yes, lambda: now, "text")
    done = replies.proposal_accepted if yes else replies.proposal_declined
    return done(requester.first_name)
