"""What every proposal use case checks: the bank's proposals, brokers and requests, the step.

Also who may be asked to help with a request, and why not in plain words. The use cases are
in `proposals`, `requester_proposals`, `introductions` and `exchange_links`.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.models import MemberBlock, MemberCheck, Proposal
from timebank.errors import InvalidInput, NotFound
from timebank.members.acting import acting_member
from timebank.members.models import Member
from timebank.offers.models import Listing
from timebank.offers.skills import category_needs_check
from timebank.sms.optouts import is_opted_out
from timebank.tenancy.models import TimeBank

STEP_WORDS = {
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


# --- Looking things up --------------------------------------------------------------


def proposal_in_bank(session: so.Session, bank_id: int, proposal_id: int) -> Proposal:
    """Return a proposal of this bank or raise NotFound."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.bank_id != bank_id:
        raise NotFound("There is no such proposal in this time bank.")
    return proposal


def broker_in_bank(session: so.Session, bank_id: int, broker_id: int) -> Member:
    """Return an active broker of this bank, or raise NotAllowed."""
    return acting_member(session, bank_id, broker_id, "broker")


def request_in_bank(session: so.Session, bank_id: int, request_id: int) -> Listing:
    """Return a request (not an offer) of this bank or raise NotFound."""
    listing = session.get(Listing, request_id)
    if listing is None or listing.bank_id != bank_id or listing.kind != "request":
        raise NotFound("There is no such request in this time bank.")
    return listing


def open_request_in_bank(session: so.Session, bank_id: int, request_id: int) -> Listing:
    """Return a request of this bank still waiting for a helper, or say why it is not."""
    listing = request_in_bank(session, bank_id, request_id)
    if listing.open_for_matching:
        return listing
    if listing.matched_at is not None:
        raise InvalidInput("This request is already matched with a helper.")
    raise InvalidInput("This request is closed, so no one can be asked about it.")


def require_step(proposal: Proposal, *steps: str) -> None:
    """Raise WrongStep, in words, unless the proposal is at one of `steps`."""
    if proposal.status not in steps:
        raise WrongStep(f"This proposal {STEP_WORDS[proposal.status]}, so that cannot be done.")


def takes_texts(session: so.Session, member: Member) -> bool:
    """Return True when the member has a mobile, wants texts and has not texted STOP."""
    return bool(
        member.mobile_e164
        and member.sms_notifications
        and member.is_active
        and not is_opted_out(session, member.bank_id, member.mobile_e164)
    )


def time_bank(session: so.Session, bank_id: int) -> TimeBank:
    """Return a time bank the caller already knows exists."""
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    return bank


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
        return f"{name} was already asked about this request (that proposal {STEP_WORDS[asked]})."
    return None
