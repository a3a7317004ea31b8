"""Offers ("I can help with...") and requests ("I need..."), and the contacts they lead to."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

LISTING_KINDS = ("offer", "request")
LISTING_STATUSES = ("open", "closed")
# How far a member will go to help: only their own area, nearby areas, or anywhere.
TRAVEL_CHOICES = ("own_area", "nearby", "anywhere")


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.CheckConstraint(one_of("kind", LISTING_KINDS), name="kind_known"),
        sa.CheckConstraint(one_of("status", LISTING_STATUSES), name="status_known"),
        sa.Index("ix_listings_bank_id_kind_status", "bank_id", "kind", "status"),
        sa.Index("ix_listings_member_id", "member_id"),
        # Matching starts from the members who offer a request's category (index only).
        sa.Index(
            "ix_listings_bank_id_skill_category",
            "bank_id",
            "skill_category",
            "kind",
            "status",
            "member_id",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    member_id: so.Mapped[int]
    kind: so.Mapped[str] = so.mapped_column(sa.String(8))
    skill_category: so.Mapped[str] = so.mapped_column(sa.String(60))
    title: so.Mapped[str] = so.mapped_column(sa.String(120))
    description: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    availability: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    area: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    # The times of the week: an offer's availability, a request's "when". One bit per
    # day and part of the day (see `timebank.offers.times.slots_to_mask`); 0 = not said.
    slots: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    # Offers: how far the member will go ("own_area", "nearby", "anywhere").
    travel: so.Mapped[str] = so.mapped_column(
        sa.String(12), default="nearby", server_default="nearby"
    )
    # Requests: the help needs a checked helper (e.g. a home visit), whatever the category.
    needs_check: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # Requests: when a broker (or the requester) marked it matched with a helper.
    matched_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    status: so.Mapped[str] = so.mapped_column(sa.String(8), default="open")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )

    @property
    def open_for_matching(self) -> bool:
        """Say whether this is a request still waiting for a helper (as `open_request`)."""
        return self.kind == "request" and self.status == "open" and self.matched_at is None

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.kind} {self.title!r}>"


def open_request() -> sa.ColumnElement[bool]:
    """Return the condition that a listing is a request still waiting for a helper."""
    return sa.and_(
        Listing.kind == "request", Listing.status == "open", Listing.matched_at.is_(None)
    )


class ListingContact(Base):
    """A member answered a listing: "I can help" for a request, "ask for this" for an offer."""

    __tablename__ = "listing_contacts"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "listing_id"], ["listings.bank_id", "listings.id"]),
        sa.ForeignKeyConstraint(["bank_id", "from_member_id"], ["members.bank_id", "members.id"]),
        sa.ForeignKeyConstraint(["bank_id", "to_member_id"], ["members.bank_id", "members.id"]),
        sa.Index("ix_listing_contacts_listing_id", "listing_id"),
        sa.Index("ix_listing_contacts_from_member_id", "from_member_id"),
        sa.Index("ix_listing_contacts_to_member_id", "to_member_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    listing_id: so.Mapped[int]
    from_member_id: so.Mapped[int]
    to_member_id: so.Mapped[int]
    message: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )


class SkillCategory(Base):
    """One of a time bank's own skill categories; a bank without rows uses the defaults."""

    __tablename__ = "skill_categories"
    __table_args__ = (sa.UniqueConstraint("bank_id", "name"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    name: so.Mapped[str] = so.mapped_column(sa.String(60))
    position: so.Mapped[int] = so.mapped_column(default=0)
    # Help in this category needs a checked helper (e.g. home visits, personal care).
    needs_check: so.Mapped[bool] = so.mapped_column(default=False)
    # Hidden categories are no longer offered for new listings; old ones keep their name.
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
