"""What the broker's request pages and members' home pages show about requests and proposals.

Read-only queries: nothing here writes or commits.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.introductions import meeting_words
from timebank.broker.models import PROPOSAL_STATUSES, Proposal
from timebank.clock import as_utc, utcnow
from timebank.members.models import Member
from timebank.offers.models import Listing, open_request
from timebank.tenancy.models import TimeBank

# How the proposal statuses read on the pages.
STATUS_WORDS = {
    "sent": "Waiting for an answer",
    "accepted": "Said yes",
    "declined": "Said no",
    "withdrawn": "Withdrawn",
    "introduced": "Introduced",
    "matched": "Matched",
}


@dataclass(frozen=True)
class QueueRow:
    """An open request waiting for a helper, with how its proposals stand."""

    listing: Listing
    requester: Member
    age_days: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def count_words(self) -> str:
        """Say how many proposals are at each step: '2 waiting for an answer, 1 said no'."""
        parts = [
            f"{self.counts[status]} {STATUS_WORDS[status].lower()}"
            for status in PROPOSAL_STATUSES
            if self.counts.get(status)
        ]
        return ", ".join(parts) or "No one asked yet"


@dataclass(frozen=True)
class ProposalRow:
    """A proposal with its helper, its request and the member who asked for help."""

    proposal: Proposal
    helper: Member
    listing: Listing
    requester: Member

    @property
    def status_words(self) -> str:
        """Return the proposal's step in words."""
        return STATUS_WORDS[self.proposal.status]


def open_requests(
    session: so.Session, bank_id: int, now: Callable[[], dt.datetime] = utcnow
) -> list[QueueRow]:
    """Return the bank's open, unmatched requests, oldest first, with proposal counts."""
    rows = session.execute(
        sa.select(Listing, Member)
        .join(Member, Member.id == Listing.member_id)
        .where(
            Listing.bank_id == bank_id,
            open_request(),
            Member.erased_at.is_(None),
        )
        .order_by(Listing.created_at, Listing.id)
    ).all()
    counts: dict[int, Counter[str]] = {}
    for request_id, status, count in session.execute(
        sa.select(Proposal.request_id, Proposal.status, sa.func.count())
        .where(Proposal.bank_id == bank_id)
        .group_by(Proposal.request_id, Proposal.status)
    ):
        counts.setdefault(request_id, Counter())[status] = count
    today = now()
    return [
        QueueRow(
            listing,
            member,
            max((today - as_utc(listing.created_at)).days, 0),
            dict(counts.get(listing.id, {})),
        )
        for listing, member in rows
    ]


def _rows(session: so.Session, query: sa.Select[Any]) -> list[ProposalRow]:
    helper, requester = so.aliased(Member), so.aliased(Member)
    found = session.execute(
        query.add_columns(helper, Listing, requester)
        .join(helper, helper.id == Proposal.helper_id)
        .join(Listing, Listing.id == Proposal.request_id)
        .join(requester, requester.id == Listing.member_id)
        .order_by(Proposal.created_at, Proposal.id)
    )
    return [ProposalRow(*row) for row in found]


def proposals_for_request(session: so.Session, bank_id: int, request_id: int) -> list[ProposalRow]:
    """Return every proposal for one request, oldest first."""
    return _rows(
        session,
        sa.select(Proposal).where(Proposal.bank_id == bank_id, Proposal.request_id == request_id),
    )


def waiting_for_helper(session: so.Session, bank_id: int, member_id: int) -> list[ProposalRow]:
    """Return the proposals waiting for this member's answer, on requests still open."""
    return _rows(
        session,
        sa.select(Proposal).where(
            Proposal.bank_id == bank_id,
            Proposal.helper_id == member_id,
            Proposal.status == "sent",
            Listing.status == "open",
        ),
    )


def introductions_for(session: so.Session, bank_id: int, member_id: int) -> list[ProposalRow]:
    """Return the introductions this member is part of (as helper or requester) not yet matched."""
    return _rows(
        session,
        sa.select(Proposal).where(
            Proposal.bank_id == bank_id,
            Proposal.status == "introduced",
            sa.or_(Proposal.helper_id == member_id, Listing.member_id == member_id),
        ),
    )


def helper_side(session: so.Session, bank: TimeBank, member_id: int) -> dict[str, object]:
    """Return what a member's home page shows of proposals: asks waiting and introductions."""
    return {
        "asks": waiting_for_helper(session, bank.id, member_id),
        "introductions": introductions_for(session, bank.id, member_id),
        "meeting_of": lambda row: meeting_words(
            row.proposal.meeting_at, row.proposal.meeting_place, bank.timezone
        ),
    }
