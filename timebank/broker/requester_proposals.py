"""What a member can do for their own request: see the helpers suggested for it, and ask one.

The member asks on the web only; the proposal then goes the same way as one a broker sent
(see `proposals`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.candidates import suggest_helpers
from timebank.broker.matching import Suggestion
from timebank.broker.models import Proposal
from timebank.broker.proposal_checks import open_request_in_bank, request_in_bank
from timebank.broker.proposals import add_proposals
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import NotFound
from timebank.members.profile import member_of_bank
from timebank.tenancy.audit import record_action

# How many helpers a requester is shown for their own request.
REQUESTER_SUGGESTIONS = 5


def requester_suggestions(
    session: so.Session,
    bank_id: int,
    member_id: int,
    request_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> list[Suggestion]:
    """Return up to five helpers for the member's own open request, worded for them.

    Members already asked about the request are left out.
    """
    listing = request_in_bank(session, bank_id, request_id)
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
    requester = member_of_bank(session, bank_id, member_id)
    suggestions = requester_suggestions(session, bank_id, member_id, request_id, now)
    chosen = [s for s in suggestions if s.member_id == helper_id]
    if not chosen:
        raise NotFound("That member is not one of the helpers suggested for your request.")
    listing = open_request_in_bank(session, bank_id, request_id)
    stamp = now()
    why = {helper_id: chosen[0].why}
    (proposal,) = add_proposals(session, listing, requester, [helper_id], "web", "", why, stamp)
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
