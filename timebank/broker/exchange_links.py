"""Linking a matched proposal to the exchange its helper and requester logged afterwards.

So the time bank can count requests that turned into help without anyone recording it twice.
A broker links one by hand, or `flask broker link-exchanges` links those where there is no
doubt which exchange it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.models import Proposal
from timebank.broker.proposal_checks import (
    broker_in_bank,
    proposal_in_bank,
    request_in_bank,
    require_step,
)
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.ledger.models import Transfer
from timebank.ledger.queries import member_account_id
from timebank.tenancy.audit import record_action

# --- Linking the exchange that came of it ---------------------------------------------------


def candidate_transfers(session: so.Session, bank_id: int, proposal_id: int) -> list[Transfer]:
    """Return the exchanges the helper logged giving to the requester since the proposal.

    Only exchanges still standing (waiting or confirmed, not declined or reversed) and not
    already linked to another proposal, oldest first.
    """
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    listing = request_in_bank(session, bank_id, proposal.request_id)
    helper_account = member_account_id(session, bank_id, proposal.helper_id)
    requester_account = member_account_id(session, bank_id, listing.member_id)
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
    broker_in_bank(session, bank_id, broker_id)
    proposal = proposal_in_bank(session, bank_id, proposal_id)
    require_step(proposal, "matched")
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
        broker_in_bank(session, bank_id, broker_id)
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
