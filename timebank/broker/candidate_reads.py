"""Read what matching needs about members: their open offers, whom they have met, checks.

Where the data comes from: a member's times are the union of their open offers' slots (their
profile's free-text availability when no offer says), how far they travel the furthest any
open offer goes ("nearby" without offers); checks are current DBS checks; blocks count in
either direction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.candidate_queries import CHECK, blocked_query, current_check, met_query
from timebank.broker.matching import Travel
from timebank.broker.models import MemberCheck
from timebank.offers.models import Listing
from timebank.tenancy.days import bank_today

# How far each travel choice goes, to find a member's furthest.
TRAVEL_REACH: dict[str, int] = {"own_area": 0, "nearby": 1, "anywhere": 2}
REACH_TRAVEL: dict[int, Travel] = {0: "own_area", 1: "nearby", 2: "anywhere"}
DEFAULT_REACH = TRAVEL_REACH["nearby"]


@dataclass
class Offers:
    """A member's open offers, as matching reads them."""

    categories: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    mask: int = 0
    reach: int = DEFAULT_REACH
    any_offer: bool = False

    def add(self, category: str, text: str, slots: int | None, travel: str) -> None:
        """Add one open offer: its category, its words, its times and how far it travels."""
        self.categories.add(category)
        self.texts.append(text)
        self.mask |= slots or 0
        reach = TRAVEL_REACH.get(travel, DEFAULT_REACH)
        self.reach = max(self.reach, reach) if self.any_offer else reach
        self.any_offer = True


def offers_of(
    session: so.Session, bank_id: int, member_ids: Collection[int] | None
) -> dict[int, Offers]:
    """Return the open offers of the given members (None: of everyone), by member."""
    query = sa.select(
        Listing.member_id,
        Listing.skill_category,
        Listing.title + ". " + Listing.description,
        Listing.slots,
        Listing.travel,
    ).where(Listing.bank_id == bank_id, Listing.kind == "offer", Listing.status == "open")
    if member_ids is not None:
        if not member_ids:
            return {}
        query = query.where(Listing.member_id.in_(sorted(member_ids)))
    offers: dict[int, Offers] = defaultdict(Offers)
    # Plain rows through the session's connection: several times cheaper than ORM rows.
    for member_id, *offer in session.connection().execute(query.order_by(Listing.id)):
        offers[member_id].add(*offer)
    return offers


def members_met(session: so.Session, bank_id: int, requester_id: int) -> set[int]:
    """Return the members whose account has any transfer with the requester's account."""
    return set(session.scalars(met_query(bank_id, requester_id)))


def members_blocked(session: so.Session, bank_id: int, requester_id: int) -> set[int]:
    """Return the members the requester blocked, and those who blocked the requester."""
    return set(session.scalars(blocked_query(bank_id, requester_id)))


def members_checked(session: so.Session, bank_id: int, today: dt.date) -> set[int]:
    """Return the members with a current check of the kind matching asks for."""
    return set(
        session.scalars(
            sa.select(MemberCheck.member_id).where(
                MemberCheck.bank_id == bank_id, *current_check(CHECK, today)
            )
        )
    )


def local_today(session: so.Session, bank_id: int, now: dt.datetime) -> dt.date:
    """Return the day `now` falls on in the time bank's time zone."""
    return bank_today(session, bank_id, lambda: now)
