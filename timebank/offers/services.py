"""Posting, changing and closing offers and requests, and answering other members' ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import Conflict, InvalidDetail, InvalidInput, NotAllowed, NotFound
from timebank.members.acting import acting_member, acts_as
from timebank.members.models import Member
from timebank.offers.models import LISTING_KINDS, TRAVEL_CHOICES, Listing, ListingContact
from timebank.offers.skills import category_needs_check, skill_categories
from timebank.offers.times import Slot, slots_to_mask
from timebank.phones import format_national
from timebank.sms.gsm import to_gsm7
from timebank.sms.outbox import queue_sms
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank

# Longest text each part of a listing may hold (the column sizes).
LISTING_LIMITS = {"title": 120, "description": 1000, "availability": 200, "area": 80}
MESSAGE_LIMIT = 500
# One answer per member per listing a day: enough to say hello without pestering.
CONTACT_GAP = dt.timedelta(days=1)
# Keep the listing's title short in a text so the whole message fits one SMS.
TITLE_IN_TEXT = 45


class NotYourListing(NotAllowed, NotFound):
    """Only the member who posted a listing (or, to close it, a broker) may change it.

    A refusal (403 on the API), and also a NotFound: to anyone else, the page for changing
    someone's listing does not exist, and the web answers 404.
    """

    code = "not_your_listing"


class ListingClosed(Conflict):
    """A closed listing cannot be changed or closed again."""

    code = "listing_closed"

    def __init__(self, kind: str) -> None:
        super().__init__(f"This {kind} is closed, so it cannot be changed.")


class AlreadyContacted(InvalidInput):
    """This member already answered this listing in the last day."""

    code = "already_contacted"


@dataclass(frozen=True)
class ListingDraft:
    """What a member types to post or change an offer or a request."""

    kind: str
    skill_category: str
    title: str
    description: str = ""
    availability: str = ""
    area: str = ""
    # The times of the week: when an offer is available, when a request's help is wanted.
    # None said on a request means any time.
    slots: frozenset[Slot] = frozenset()
    # Offers: how far the member will go to help.
    travel: str = "nearby"
    # Requests: the member said it needs a home visit or personal care.
    needs_check: bool = False


@dataclass(frozen=True)
class ContactResult:
    """An answer sent: the contact recorded and whether the other member got a text."""

    contact: ListingContact
    listing: Listing
    to_member: Member
    texted: bool


def clean_draft(
    session: so.Session, bank_id: int, draft: ListingDraft, keep_category: str = ""
) -> dict[str, object]:
    """Return a listing's fields trimmed and checked, or raise InvalidDetail.

    `keep_category` is a changed listing's own category, allowed even once it is hidden.
    A request needs a checked helper when the member says so or its category needs one.
    """
    if draft.kind not in LISTING_KINDS:
        raise InvalidInput("A listing is an offer or a request.")
    allowed = skill_categories(session, bank_id)
    if draft.skill_category not in allowed and draft.skill_category != keep_category:
        raise InvalidDetail("skill_category", "Choose the kind of help from the list.")
    if draft.kind == "offer" and draft.travel not in TRAVEL_CHOICES:
        raise InvalidDetail("travel", "Choose how far you will go to help.")
    fields = {name: (getattr(draft, name) or "").strip() for name in LISTING_LIMITS}
    if not fields["title"]:
        what = "what you can offer" if draft.kind == "offer" else "what you need"
        raise InvalidDetail("title", f"Say in a few words {what}.")
    for name, limit in LISTING_LIMITS.items():
        if len(fields[name]) > limit:
            raise InvalidDetail(name, f"This can have at most {limit} characters.")
    is_request = draft.kind == "request"
    return {
        "kind": draft.kind,
        "skill_category": draft.skill_category,
        **fields,
        "slots": slots_to_mask(draft.slots),
        "travel": "nearby" if is_request else draft.travel,
        "needs_check": is_request
        and (draft.needs_check or category_needs_check(session, bank_id, draft.skill_category)),
    }


def _active_member(session: so.Session, bank_id: int, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise NotFound("There is no such member in this time bank.")
    if not member.is_active:
        raise NotAllowed("Only active members can post or answer offers and requests.")
    return member


def listing_in_bank(session: so.Session, bank_id: int, listing_id: int) -> Listing:
    """Return a listing of this bank or raise NotFound."""
    listing = session.get(Listing, listing_id)
    if listing is None or listing.bank_id != bank_id:
        raise NotFound("There is no such offer or request.")
    return listing


def own_open_listing(session: so.Session, bank_id: int, member_id: int, listing_id: int) -> Listing:
    """Return a listing the member may change: their own, still open; else raise why not."""
    listing = listing_in_bank(session, bank_id, listing_id)
    if listing.member_id != member_id:
        raise NotYourListing("Only the member who posted this can change it.")
    if listing.status != "open":
        raise ListingClosed(listing.kind)
    return listing


@use_case
def post_listing(
    session: so.Session,
    bank_id: int,
    member_id: int,
    draft: ListingDraft,
    now: Callable[[], dt.datetime] = utcnow,
) -> Listing:
    """Post an offer or a request for the other members of the bank to see."""
    _active_member(session, bank_id, member_id)
    stamp = now()
    listing = Listing(
        bank_id=bank_id,
        member_id=member_id,
        status="open",
        created_at=stamp,
        updated_at=stamp,
        **clean_draft(session, bank_id, draft),
    )
    session.add(listing)
    session.commit()
    return listing


@use_case
def update_listing(
    session: so.Session,
    bank_id: int,
    member_id: int,
    listing_id: int,
    draft: ListingDraft,
    now: Callable[[], dt.datetime] = utcnow,
) -> Listing:
    """Change one of the member's own open offers or requests (not its kind)."""
    listing = own_open_listing(session, bank_id, member_id, listing_id)
    fields = clean_draft(
        session,
        bank_id,
        ListingDraft(**{**draft.__dict__, "kind": listing.kind}),
        keep_category=listing.skill_category,
    )
    for name, value in fields.items():
        setattr(listing, name, value)
    listing.updated_at = now()
    session.commit()
    return listing


@use_case
def close_listing(
    session: so.Session,
    bank_id: int,
    member_id: int,
    listing_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Listing:
    """Close one of the member's own offers or requests: others no longer see it."""
    listing = own_open_listing(session, bank_id, member_id, listing_id)
    listing.status = "closed"
    listing.updated_at = now()
    session.commit()
    return listing


@use_case
def close_by_owner_or_broker(
    session: so.Session,
    bank_id: int,
    actor_id: int,
    listing_id: int,
    acting_role: str | None = None,
) -> Listing:
    """Close a listing: the owner closes their own; a broker anyone's, with an audit line.

    `acting_role` is the role the actor acts with when it is less than their own (an API
    token may carry only a member's role): then they may close only their own.
    """
    listing = listing_in_bank(session, bank_id, listing_id)
    if listing.member_id == actor_id:
        return close_listing(session, bank_id, actor_id, listing.id)
    actor = session.get(Member, actor_id)
    if actor is None or actor.bank_id != bank_id or not acts_as(actor, "broker", acting_role):
        raise NotYourListing("Only the member who posted this, or a broker, can close it.")
    return close_for_broker(session, bank_id, actor_id, listing.id)


@use_case
def close_for_broker(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    listing_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Listing:
    """Close a member's open offer or request for them, with an audit line naming the broker."""
    acting_member(session, bank_id, broker_id, "broker", "close a listing for a member")
    listing = listing_in_bank(session, bank_id, listing_id)
    if listing.status != "open":
        raise ListingClosed(listing.kind)
    listing.status = "closed"
    listing.updated_at = now()
    record_action(
        session,
        bank_id,
        broker_id,
        "listing_closed",
        member_id=listing.member_id,
        subject=f"listing:{listing.id}",
    )
    session.commit()
    return listing


def last_contact(
    session: so.Session, listing_id: int, from_member_id: int
) -> ListingContact | None:
    """Return this member's latest answer to this listing, if any."""
    return session.scalar(
        sa.select(ListingContact)
        .where(
            ListingContact.listing_id == listing_id,
            ListingContact.from_member_id == from_member_id,
        )
        .order_by(ListingContact.created_at.desc(), ListingContact.id.desc())
        .limit(1)
    )


def why_not_answerable(listing: Listing, owner: Member, member_id: int) -> str | None:
    """Return why `member_id` cannot answer this listing, or None when they can."""
    if listing.member_id == member_id:
        return f"This {listing.kind} is your own, so you cannot answer it."
    if listing.status != "open" or not owner.is_active:
        return f"This {listing.kind} is closed, so it cannot be answered any more."
    return None


def contact_text(sender: Member, bank_name: str, listing: Listing) -> str:
    """Return the text telling a listing's owner that `sender` answered it."""
    title = to_gsm7(" ".join(listing.title.split()))
    if len(title) > TITLE_IN_TEXT:
        title = title[: TITLE_IN_TEXT - 3].rstrip() + "..."
    if len(title) > 1 and title[1].islower():
        title = title[0].lower() + title[1:]
    if listing.kind == "request":
        what = f"can help with your request: {title}."
    else:
        what = f"would like your offer: {title}."
    name = to_gsm7(sender.first_name)[:24]
    if sender.show_mobile and sender.mobile_e164:
        reply = f"Call or text {name} on {format_national(sender.mobile_e164)}."
    else:
        reply = "Sign in to reply."
    return f"{name} from {to_gsm7(bank_name)} {what} {reply}"


@use_case
def contact_listing(
    session: so.Session,
    bank_id: int,
    member_id: int,
    listing_id: int,
    message: str = "",
    now: Callable[[], dt.datetime] = utcnow,
) -> ContactResult:
    """Answer another member's open offer or request, and text them if they take texts."""
    sender = _active_member(session, bank_id, member_id)
    listing = listing_in_bank(session, bank_id, listing_id)
    owner = session.get(Member, listing.member_id)
    assert owner is not None
    refusal = why_not_answerable(listing, owner, member_id)
    if refusal is not None:
        raise InvalidInput(refusal)
    text = (message or "").strip()
    if len(text) > MESSAGE_LIMIT:
        raise InvalidDetail("message", f"Your message can have at most {MESSAGE_LIMIT} characters.")
    stamp = now()
    previous = last_contact(session, listing_id, member_id)
    if previous is not None and stamp - as_utc(previous.created_at) < CONTACT_GAP:
        raise AlreadyContacted(
            f"You have already been in touch with {owner.first_name} about this today."
            " Give them time to reply."
        )
    contact = ListingContact(
        bank_id=bank_id,
        listing_id=listing_id,
        from_member_id=member_id,
        to_member_id=owner.id,
        message=text,
        created_at=stamp,
    )
    session.add(contact)
    texted = bool(owner.mobile_e164 and owner.sms_notifications)
    if texted:
        bank = session.get(TimeBank, bank_id)
        assert bank is not None and owner.mobile_e164 is not None
        body = contact_text(sender, bank.name, listing)
        queue_sms(session, bank_id, owner.mobile_e164, body, "listing_contact", owner.id, now=now)
    session.commit()
    return ContactResult(contact, listing, owner, texted)
