"""Reading offers and requests: search others' open ones, list a member's own and answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.members.models import Member
from timebank.offers.models import Listing, ListingContact

LISTINGS_PER_PAGE = 20
# Ignore the rest of a very long search: it only slows the query down.
MOST_WORDS = 8


@dataclass(frozen=True)
class ListingSearch:
    """What a member searches for; empty values match everything."""

    words: str = ""
    skill_category: str = ""
    kind: str = ""
    page: int = 1


@dataclass(frozen=True)
class ListingRow:
    """A listing with the first name and area of whoever posted it."""

    listing: Listing
    member_name: str
    member_id: int


@dataclass(frozen=True)
class ListingPage:
    """One page of search results and where it sits among them all."""

    rows: list[ListingRow]
    total: int
    page: int
    per_page: int = LISTINGS_PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last(self) -> int:
        return min(self.total, self.page * self.per_page)


def word_matches(word: str) -> sa.ColumnElement[bool]:
    needle = word.lower()
    return sa.or_(
        *(
            sa.func.lower(column).contains(needle, autoescape=True)
            for column in (Listing.title, Listing.description, Listing.skill_category)
        )
    )


def search_listings(
    session: so.Session, bank_id: int, viewer_id: int, search: ListingSearch
) -> ListingPage:
    """Return other active members' open listings matching every word and the filters."""
    query = (
        sa.select(Listing, Member.display_name)
        .join(Member, Member.id == Listing.member_id)
        .where(
            Listing.bank_id == bank_id,
            Listing.status == "open",
            Listing.member_id != viewer_id,
            Member.status == "active",
            Member.erased_at.is_(None),
        )
    )
    for word in search.words.split()[:MOST_WORDS]:
        query = query.where(word_matches(word))
    if search.skill_category:
        query = query.where(Listing.skill_category == search.skill_category)
    if search.kind:
        query = query.where(Listing.kind == search.kind)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(1, min(search.page, -(-total // LISTINGS_PER_PAGE) or 1))
    rows = session.execute(
        query.order_by(Listing.created_at.desc(), Listing.id.desc())
        .limit(LISTINGS_PER_PAGE)
        .offset((page - 1) * LISTINGS_PER_PAGE)
    ).all()
    return ListingPage(
        [ListingRow(listing, name, listing.member_id) for listing, name in rows], total, page
    )


@dataclass(frozen=True)
class OwnListing:
    """One of a member's own listings and how many people answered it."""

    listing: Listing
    answers: int


def own_listings(session: so.Session, bank_id: int, member_id: int) -> list[OwnListing]:
    """Return a member's own offers and requests, open ones first, newest first."""
    answers = (
        sa.select(sa.func.count())
        .where(ListingContact.listing_id == Listing.id)
        .correlate(Listing)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Listing, answers)
        .where(Listing.bank_id == bank_id, Listing.member_id == member_id)
        .order_by(Listing.status.desc(), Listing.created_at.desc(), Listing.id.desc())
    ).all()
    return [OwnListing(listing, count) for listing, count in rows]


@dataclass(frozen=True)
class Answer:
    """A contact about a listing, with the other member's name."""

    contact: ListingContact
    listing: Listing
    other: Member

    @property
    def at(self) -> dt.datetime:
        return self.contact.created_at


def _answers(
    session: so.Session, other: so.QueryableAttribute[int], *where: sa.ColumnElement[bool]
) -> list[Answer]:
    rows = session.execute(
        sa.select(ListingContact, Listing, Member)
        .join(Listing, Listing.id == ListingContact.listing_id)
        .join(Member, Member.id == other)
        .where(*where)
        .order_by(ListingContact.created_at.desc(), ListingContact.id.desc())
        .limit(50)
    ).all()
    return [Answer(contact, listing, member) for contact, listing, member in rows]


def answers_to_listing(session: so.Session, bank_id: int, listing_id: int) -> list[Answer]:
    """Return who answered a listing, newest first (for its owner)."""
    return _answers(
        session,
        ListingContact.from_member_id,
        ListingContact.bank_id == bank_id,
        ListingContact.listing_id == listing_id,
    )


def answers_received(session: so.Session, bank_id: int, member_id: int) -> list[Answer]:
    """Return everyone who answered any of this member's listings, newest first."""
    return _answers(
        session,
        ListingContact.from_member_id,
        ListingContact.bank_id == bank_id,
        ListingContact.to_member_id == member_id,
    )


def answers_sent(session: so.Session, bank_id: int, member_id: int) -> list[Answer]:
    """Return the listings this member answered, newest first."""
    return _answers(
        session,
        ListingContact.to_member_id,
        ListingContact.bank_id == bank_id,
        ListingContact.from_member_id == member_id,
    )


def open_listings_of(session: so.Session, bank_id: int, member_id: int) -> list[Listing]:
    """Return a member's open offers and requests, for their public profile."""
    return list(
        session.scalars(
            sa.select(Listing)
            .where(
                Listing.bank_id == bank_id,
                Listing.member_id == member_id,
                Listing.status == "open",
            )
            .order_by(Listing.created_at.desc(), Listing.id.desc())
        )
    )
