"""Offers ("I can help with...") and requests ("I need..."): browse, post, change and close.

Members see the open listings of their time bank, with the poster's name and only what the
poster chose to show (never a phone number unless they show it). A member changes only their
own listings; a broker may also close anyone's, for example one left open by mistake.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.pagination import PageArgsSchema, page, page_schema
from timebank.api.schemas import ID, Text, UtcDateTime, id_cursor
from timebank.extensions import db
from timebank.members.models import Member
from timebank.members.profile import public_profile
from timebank.offers import services
from timebank.offers.models import LISTING_KINDS, LISTING_STATUSES, TRAVEL_CHOICES, Listing
from timebank.offers.queries import MOST_WORDS, word_matches
from timebank.offers.times import DAYS, PARTS, Slot, mask_to_slots, slot_value, slots_from_values

blp = api_blueprint(
    "api_listings", __name__, "Offers and requests: what members can give and what they need."
)

SLOT_VALUES = [slot_value(Slot(day, part)) for day in range(len(DAYS)) for part in PARTS]
SLOTS_DESCRIPTION = (
    "Parts of the week as 'mon-morning', 'sat-evening'...: when an offer is available, or"
    " when a request's help is wanted ([] on a request: any time)."
)


def _slots_field(**kwargs: Any) -> ma.fields.List[Any]:
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SLOT_VALUES)),
        validate=ma.validate.Length(max=len(SLOT_VALUES)),
        metadata={"description": SLOTS_DESCRIPTION},
        **kwargs,
    )


class ListingListArgsSchema(PageArgsSchema):
    kind = Text(load_default=None, validate=ma.validate.OneOf(LISTING_KINDS))
    skill_category = Text(load_default=None, validate=ma.validate.Length(max=60))
    q = Text(
        load_default="",
        validate=ma.validate.Length(max=100),
        metadata={"description": "Words in the title, description or category."},
    )
    status = Text(load_default="open", validate=ma.validate.OneOf(LISTING_STATUSES))


class ListingOwnerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    area = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Only if they show it."}
    )
    mobile = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Only if they show it."}
    )


class ListingSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "offer or request"})
    skill_category = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    slots = _slots_field(required=True)
    availability = ma.fields.String(required=True)
    area = ma.fields.String(required=True)
    travel = ma.fields.String(
        required=True, metadata={"description": "Offers: own_area, nearby or anywhere."}
    )
    needs_check = ma.fields.Boolean(
        required=True, metadata={"description": "Requests: only a checked helper may help."}
    )
    status = ma.fields.String(required=True, metadata={"description": "open or closed"})
    matched_at = UtcDateTime(required=True, allow_none=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    owner = ma.fields.Nested(ListingOwnerSchema, required=True)


class ListingChangesSchema(ma.Schema):
    skill_category = Text(validate=ma.validate.Length(min=1, max=60))
    title = Text(validate=ma.validate.Length(min=1, max=120))
    description = Text(validate=ma.validate.Length(max=1000))
    slots = _slots_field()
    availability = Text(
        validate=ma.validate.Length(max=200), metadata={"description": "More about when."}
    )
    area = Text(validate=ma.validate.Length(max=80))
    travel = Text(validate=ma.validate.OneOf(TRAVEL_CHOICES))
    needs_check = ma.fields.Boolean()


class NewListingSchema(ListingChangesSchema):
    kind = Text(required=True, validate=ma.validate.OneOf(LISTING_KINDS))
    skill_category = Text(required=True, validate=ma.validate.Length(min=1, max=60))
    title = Text(required=True, validate=ma.validate.Length(min=1, max=120))


ListingPageSchema = page_schema(ListingSchema, "ListingPage")


def _listing(listing: Listing, owner: Member) -> dict[str, Any]:
    shown = public_profile(owner)
    fields = ("id", "kind", "skill_category", "title", "description", "availability", "area")
    return {name: getattr(listing, name) for name in fields} | {
        "slots": sorted(slot_value(slot) for slot in mask_to_slots(listing.slots)),
        "travel": listing.travel,
        "needs_check": listing.needs_check,
        "status": listing.status,
        "matched_at": listing.matched_at,
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
        "owner": {
            "id": shown.id,
            "display_name": shown.display_name,
            "area": shown.area,
            "mobile": shown.mobile,
        },
    }


def _with_owner(listing: Listing) -> dict[str, Any]:
    owner = db.session.get(Member, listing.member_id)
    assert owner is not None  # the listing's foreign key guarantees the member
    return _listing(listing, owner)


def _draft(kind: str, fields: dict[str, Any]) -> services.ListingDraft:
    values = dict(fields)
    values["slots"] = slots_from_values(values.get("slots", []))
    return services.ListingDraft(kind=kind, **values)


@blp.get("/listings")
@require_role("member")
@blp.arguments(ListingListArgsSchema(), location="query")
@blp.response(200, ListingPageSchema)
def list_listings(args: dict[str, Any]) -> dict[str, Any]:
    """List the time bank's offers and requests, newest first (open ones unless asked)."""
    who = caller()
    query = (
        sa.select(Listing, Member)
        .join(Member, sa.and_(Member.bank_id == Listing.bank_id, Member.id == Listing.member_id))
        .where(
            Listing.bank_id == who.bank_id,
            Listing.status == args["status"],
            # Others' listings only while they are members; your own always.
            sa.or_(
                sa.and_(Member.status == "active", Member.erased_at.is_(None)),
                Listing.member_id == who.member_id,
            ),
        )
    )
    for word in args["q"].split()[:MOST_WORDS]:
        query = query.where(word_matches(word))
    if args["kind"]:
        query = query.where(Listing.kind == args["kind"])
    if args["skill_category"]:
        query = query.where(Listing.skill_category == args["skill_category"])
    before = id_cursor(args["cursor"])
    if before is not None:
        query = query.where(Listing.id < before)
    rows = db.session.execute(query.order_by(Listing.id.desc()).limit(args["limit"] + 1)).all()
    result = page(list(rows), args["limit"], lambda row: [row[0].id])
    return {
        "items": [_listing(listing, owner) for listing, owner in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@blp.get(f"/listings/<{ID}:listing_id>")
@require_role("member")
@blp.response(200, ListingSchema)
def get_listing(listing_id: int) -> dict[str, Any]:
    """Return one offer or request of the time bank."""
    return _with_owner(services.listing_in_bank(db.session(), caller().bank_id, listing_id))


@blp.post("/listings")
@require_role("member")
@blp.arguments(NewListingSchema(), location="json")
@blp.response(201, ListingSchema)
def post_listing(args: dict[str, Any]) -> dict[str, Any]:
    """Post an offer or a request of the caller's own, for the other members to see."""
    who = caller()
    fields = dict(args)
    kind = fields.pop("kind")
    listing = services.post_listing(db.session(), who.bank_id, who.member_id, _draft(kind, fields))
    return _with_owner(listing)


@blp.patch(f"/listings/<{ID}:listing_id>")
@require_role("member")
@blp.arguments(ListingChangesSchema(), location="json", required=False)
@blp.response(200, ListingSchema)
def change_listing(args: dict[str, Any], listing_id: int) -> dict[str, Any]:
    """Change one of the caller's own open offers or requests; what is left out stays."""
    who = caller()
    listing = services.own_open_listing(db.session(), who.bank_id, who.member_id, listing_id)
    current = {
        "skill_category": listing.skill_category,
        "title": listing.title,
        "description": listing.description,
        "slots": [slot_value(slot) for slot in mask_to_slots(listing.slots)],
        "availability": listing.availability,
        "area": listing.area,
        "travel": listing.travel,
        "needs_check": listing.needs_check,
    }
    draft = _draft(listing.kind, current | args)
    changed = services.update_listing(db.session(), who.bank_id, who.member_id, listing.id, draft)
    return _with_owner(changed)


@blp.post(f"/listings/<{ID}:listing_id>/close")
@require_role("member")
@blp.response(200, ListingSchema)
def close_listing(listing_id: int) -> dict[str, Any]:
    """Close an offer or request: its owner, or a broker; others no longer see it."""
    who = caller()
    closed = services.close_by_owner_or_broker(
        db.session(), who.bank_id, who.member_id, listing_id, acting_role=who.role
    )
    return _with_owner(closed)
