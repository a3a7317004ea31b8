"""Suggest members who could answer a request: read them from the database, rank them.

Read-only: nothing here writes or commits. The ranking itself is the pure
`timebank.broker.matching.rank_candidates`; this module only gathers what it needs about
the request and about every other member of the bank, in a fixed number of queries however
many members the bank has.

Some of what matching knows about is not stored yet, and is filled in plainly for now:
how far a member will travel ("nearby"), blocks between members (none), checks such as a
DBS (none), and which areas are near each other (no mapping).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.matching import (
    PARTS,
    Candidate,
    HelpRequest,
    Part,
    Slot,
    Suggestion,
    rank_candidates,
)
from timebank.clock import utcnow
from timebank.errors import InvalidInput
from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member
from timebank.offers.models import Listing, ListingContact
from timebank.offers.services import listing_in_bank
from timebank.sms.models import OptOut

# Proposals still waiting count against a member for this long; answers are judged over
# the longer window matching.py describes.
OPEN_PROPOSAL_DAYS = 30
RESPONSIVENESS_DAYS = 90
# No table says which areas are near each other yet.
NEARBY_AREAS: Mapping[str, frozenset[str]] = {}

# --- Reading free-text availability ------------------------------------------------------

_WEEKDAYS = frozenset(range(5))
_WEEKEND = frozenset({5, 6})
_EVERY_DAY = frozenset(range(7))
_DAY_WORDS: dict[str, frozenset[int]] = {
    **{word: frozenset({0}) for word in ("mon", "monday", "mondays")},
    **{word: frozenset({1}) for word in ("tue", "tues", "tuesday", "tuesdays")},
    **{word: frozenset({2}) for word in ("wed", "weds", "wednesday", "wednesdays")},
    **{word: frozenset({3}) for word in ("thu", "thur", "thurs", "thursday", "thursdays")},
    **{word: frozenset({4}) for word in ("fri", "friday", "fridays")},
    **{word: frozenset({5}) for word in ("sat", "saturday", "saturdays")},
    **{word: frozenset({6}) for word in ("sun", "sunday", "sundays")},
    **{word: _WEEKDAYS for word in ("weekday", "weekdays")},
    **{word: _WEEKEND for word in ("weekend", "weekends")},
}
_PART_WORDS: dict[str, Part] = {
    "morning": "morning",
    "mornings": "morning",
    "afternoon": "afternoon",
    "afternoons": "afternoon",
    "evening": "evening",
    "evenings": "evening",
    "night": "evening",
    "nights": "evening",
}
_NOT_LETTERS = re.compile(r"[^a-z]+")


def parse_slots(text: str) -> frozenset[Slot]:
    """Read the times of the week a free-text availability names; empty when it names none.

    Days and parts of the day go together in the order they are written: "Monday mornings
    and Friday afternoons" is two slots, "Mon and Wed evenings" two, "weekday afternoons"
    five. Days alone mean the whole day; parts alone mean every day. Anything else
    (dates, "with a day's notice", "not Fridays") is not understood and adds nothing.
    """
    slots: set[Slot] = set()
    days: set[int] = set()
    parts: set[Part] = set()
    for word in _NOT_LETTERS.split(text.lower()):
        if word in _DAY_WORDS:
            if days and parts:  # a new day after "Monday mornings" starts a new group
                slots |= _group(days, parts)
                days, parts = set(), set()
            days |= _DAY_WORDS[word]
        elif word in _PART_WORDS:
            parts.add(_PART_WORDS[word])
    if days or parts:
        slots |= _group(days, parts)
    return frozenset(slots)


def _group(days: Iterable[int], parts: Iterable[Part]) -> set[Slot]:
    """Return every slot of the days and parts, a missing side meaning all of it."""
    return {Slot(day, part) for day in (days or _EVERY_DAY) for part in (parts or PARTS)}


# --- Gathering the request and the candidates ------------------------------------------


def suggest_helpers(
    session: so.Session,
    bank_id: int,
    request_listing_id: int,
    limit: int = 10,
    now: Callable[[], dt.datetime] = utcnow,
    *,
    for_requester: bool = False,
) -> list[Suggestion]:
    """Return the members best placed to answer a request, best first, each with reasons.

    With `for_requester` the reasons are worded to the member who asked ("has not met you
    yet") and leave out what only a broker weighs (fairness, responsiveness, balances).
    """
    listing = listing_in_bank(session, bank_id, request_listing_id)
    if listing.kind != "request":
        raise InvalidInput("That is an offer, not a request. Helpers are suggested for requests.")
    requester = session.get(Member, listing.member_id)
    assert requester is not None  # the listing's foreign key guarantees the member
    request = HelpRequest(
        requester_id=requester.id,
        requester_first_name=requester.first_name,
        skill_category=listing.skill_category,
        description=f"{listing.title}. {listing.description}",
        slots=parse_slots(listing.availability),
        area=listing.area or requester.area or "",
    )
    candidates = gather_candidates(session, bank_id, requester.id, now())
    return rank_candidates(request, candidates, NEARBY_AREAS, limit, for_requester=for_requester)


@dataclass
class _Offers:
    """A member's open offers, as matching reads them."""

    categories: set[str]
    texts: list[str]


@dataclass(frozen=True)
class _Proposals:
    """How a member dealt with the contacts other members sent them."""

    open: int = 0
    answered_90d: int = 0
    sent_90d: int = 0


def gather_candidates(
    session: so.Session, bank_id: int, requester_id: int, now: dt.datetime
) -> list[Candidate]:
    """Return every member of the bank but the requester as a candidate, in four queries."""
    offers = _open_offers(session, bank_id)
    proposals = _proposals(session, bank_id, now)
    met = _members_met(session, bank_id, requester_id)
    candidates = []
    for member, opted_out, balance_or_none in session.execute(
        _members_query(bank_id, requester_id)
    ):
        offered = offers.get(member.id, _Offers(set(), []))
        seen = proposals.get(member.id, _Proposals())
        balance = int(balance_or_none or 0)  # a member without an account has nothing yet
        candidates.append(
            Candidate(
                member_id=member.id,
                first_name=member.first_name,
                active=member.is_active,
                opted_out=bool(opted_out),
                blocked=False,  # members cannot block each other yet
                checks=frozenset(),  # checks (such as a DBS) are not recorded yet
                offer_categories=frozenset(offered.categories),
                offer_text="\n".join(offered.texts),
                slots=parse_slots(member.availability or ""),
                area=member.area or "",
                # How far a member will travel is not asked yet: assume nearby areas.
                travel="nearby",
                proposals_open=seen.open,
                proposals_answered_90d=seen.answered_90d,
                proposals_sent_90d=seen.sent_90d,
                balance_minutes=balance,
                wants_to_earn=balance < 0,
                has_met_requester=member.id in met,
            )
        )
    return candidates


def _members_query(bank_id: int, requester_id: int) -> sa.Select:
    """Build the query of every other member with their opt-out and balance."""
    return (
        sa.select(
            Member,
            OptOut.opted_out,
            (Account.credits_posted - Account.debits_posted).label("balance"),
        )
        .outerjoin(
            OptOut,
            sa.and_(OptOut.bank_id == Member.bank_id, OptOut.e164 == Member.mobile_e164),
        )
        .outerjoin(
            Account, sa.and_(Account.bank_id == Member.bank_id, Account.member_id == Member.id)
        )
        .where(Member.bank_id == bank_id, Member.id != requester_id)
        .order_by(Member.id)
    )


def _open_offers(session: so.Session, bank_id: int) -> dict[int, _Offers]:
    """Return each member's open offers: their categories and their words."""
    rows = session.execute(
        sa.select(Listing.member_id, Listing.skill_category, Listing.title, Listing.description)
        .where(Listing.bank_id == bank_id, Listing.kind == "offer", Listing.status == "open")
        .order_by(Listing.id)
    )
    offers: dict[int, _Offers] = defaultdict(lambda: _Offers(set(), []))
    for row in rows:
        offers[row.member_id].categories.add(row.skill_category)
        offers[row.member_id].texts.append(f"{row.title}. {row.description}")
    return offers


def _proposals(session: so.Session, bank_id: int, now: dt.datetime) -> dict[int, _Proposals]:
    """Count, per member, the contacts others sent them, those answered and those waiting.

    There is no reply on a contact yet, so a contact counts as answered when the member
    contacted its sender back (about any listing) at or after it arrived. One is still open
    when it came in the last 30 days, its listing is open and it has no answer.
    """
    contact, back = ListingContact, so.aliased(ListingContact)
    answered = (
        sa.select(back.id)
        .where(
            back.bank_id == contact.bank_id,
            back.from_member_id == contact.to_member_id,
            back.to_member_id == contact.from_member_id,
            back.created_at >= contact.created_at,
        )
        .exists()
    )
    waiting = sa.and_(
        contact.created_at >= now - dt.timedelta(days=OPEN_PROPOSAL_DAYS),
        Listing.status == "open",
        sa.not_(answered),
    )
    rows = session.execute(
        sa.select(
            contact.to_member_id,
            sa.func.count().label("sent"),
            sa.func.sum(sa.case((answered, 1), else_=0)).label("answered"),
            sa.func.sum(sa.case((waiting, 1), else_=0)).label("open"),
        )
        .join(Listing, Listing.id == contact.listing_id)
        .where(
            contact.bank_id == bank_id,
            contact.created_at >= now - dt.timedelta(days=RESPONSIVENESS_DAYS),
        )
        .group_by(contact.to_member_id)
    )
    return {
        row.to_member_id: _Proposals(int(row.open or 0), int(row.answered or 0), int(row.sent))
        for row in rows
    }


def _members_met(session: so.Session, bank_id: int, requester_id: int) -> set[int]:
    """Return the members whose account has any transfer with the requester's account."""
    mine = (
        sa.select(Account.id)
        .where(Account.bank_id == bank_id, Account.member_id == requester_id)
        .scalar_subquery()
    )
    other = sa.case(
        (Transfer.debit_account_id == mine, Transfer.credit_account_id),
        else_=Transfer.debit_account_id,
    )
    theirs = so.aliased(Account)
    return set(
        session.scalars(
            sa.select(theirs.member_id)
            .distinct()
            .join(Transfer, theirs.id == other)
            .where(
                Transfer.bank_id == bank_id,
                sa.or_(Transfer.debit_account_id == mine, Transfer.credit_account_id == mine),
                theirs.member_id.is_not(None),
            )
        )
    )
