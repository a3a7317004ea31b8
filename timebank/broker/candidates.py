"""Suggest members who could answer a request: read them from the database, rank them.

Read-only: nothing here writes or commits. The ranking itself is the pure
`timebank.broker.matching`; this module gathers what it needs about the request and the
members, in a handful of queries however many members the bank has.

Two ways to gather, with the same result:

- `suggest_helpers` (what the pages use) lets the database do the cheap part. One query
  filters out who may never be suggested and gives each member an upper bound of their
  score: exact for what it knows without their offers (area, proposals, balance, who the
  requester has met), the best that offers could add for the rest (category, words, times,
  travel). Members are read best bound first; their open offers are read a batch of
  members at a time, their words only for those who could still make the list, and
  reading stops as soon as nobody left could. The query first looks only at members who
  offer the request's category; if they cannot fill the list with scores above what
  anyone else could reach (`BEST_WITHOUT_CATEGORY`), it looks at everyone.
- `gather_candidates` reads every member in full and hands them all to `rank_candidates`.
  It is the reference the fast way is tested against, and what a small bank could use.

Where the data comes from: a member's times are the union of their open offers' slots (their
profile's free-text availability when no offer says), how far they travel the furthest any
open offer goes ("nearby" without offers); checks are current DBS checks; blocks count in
either direction; proposals waiting, sent and answered come from the broker's proposals.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, TypeAlias, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.matching import (
    ANYWHERE_POINTS,
    AVAILABILITY_NOT_SAID,
    AVAILABILITY_POINTS,
    BEST_WITHOUT_CATEGORY,
    CATEGORY_POINTS,
    EARNING_POINTS,
    IDLE_POINTS,
    NEARBY_POINTS,
    NEW_CONTACT_POINTS,
    POINTS_PER_OPEN_PROPOSAL,
    RESPONSIVE_MIN_SENT,
    RESPONSIVE_NOT_KNOWN,
    RESPONSIVE_POINTS,
    SAME_AREA_POINTS,
    WORDS_POINTS,
    Candidate,
    HelpRequest,
    RequestContext,
    Suggestion,
    Travel,
    eligible,
    explain,
    rank_candidates,
    score,
    score_before_words,
)
from timebank.broker.models import MemberBlock, MemberCheck, Proposal
from timebank.clock import utcnow
from timebank.db import run
from timebank.errors import InvalidInput
from timebank.ledger.models import Account, Transfer
from timebank.members.models import Member, first_name_of
from timebank.offers.models import Listing
from timebank.offers.services import listing_in_bank
from timebank.offers.skills import category_needs_check
from timebank.offers.times import PARTS, Part, Slot, mask_to_slots
from timebank.sms.models import OptOut
from timebank.tenancy.models import TimeBank

T = TypeVar("T")
# A value, or a parameter standing for it in a statement built once.
Bindable: TypeAlias = T | sa.BindParameter[T]

# Proposals still waiting count against a member for this long; answers are judged over
# the longer window matching.py describes.
OPEN_PROPOSAL_DAYS = 30
RESPONSIVENESS_DAYS = 90
# No table says which areas are near each other yet.
NEARBY_AREAS: Mapping[str, frozenset[str]] = {}
# The one check matching asks for.
CHECK = "dbs"
# How far each travel choice goes, to find a member's furthest.
TRAVEL_REACH: dict[str, int] = {"own_area": 0, "nearby": 1, "anywhere": 2}
REACH_TRAVEL: dict[int, Travel] = {0: "own_area", 1: "nearby", 2: "anywhere"}
DEFAULT_REACH = TRAVEL_REACH["nearby"]
# Members read by bound in the first query (four times as many in each next one), and
# members whose offers are read per query.
FIRST_READ = 200
OFFERS_BATCH = 48
# A rounded score can sit up to 0.05 above the sum it rounds; the rest covers the database
# adding floats in another order.
ROUNDING_SLACK = 0.05 + 1e-6

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


def slots_or_text(mask: int, text: str | None) -> frozenset[Slot]:
    """Return the slots a stored mask holds, or those its free text names when it holds none."""
    return mask_to_slots(mask) if mask else parse_slots(text or "")


# --- The request -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Asking:
    """A request as matching reads it, with what the database queries need besides."""

    request: HelpRequest
    bank_id: int
    today: dt.date  # in the time bank's time zone, for checks that lapse
    now: dt.datetime


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
    asking = _asking(session, bank_id, request_listing_id, now())
    context = RequestContext.of(asking.request, NEARBY_AREAS, for_requester=for_requester)
    if limit <= 0:
        return []
    ranking = _Ranking(context, limit)
    _rank_by_bound(session, asking, ranking, only_category=True)
    if not ranking.beats_everyone_without_the_category():
        _rank_by_bound(session, asking, ranking, only_category=False)
    return ranking.suggestions()


def reference_suggestions(
    session: so.Session,
    bank_id: int,
    request_listing_id: int,
    limit: int = 10,
    now: Callable[[], dt.datetime] = utcnow,
    *,
    for_requester: bool = False,
) -> list[Suggestion]:
    """Rank every member of the bank read in full: slower, the same list as `suggest_helpers`."""
    asking = _asking(session, bank_id, request_listing_id, now())
    candidates = gather_candidates(session, bank_id, asking.request.requester_id, asking.now)
    return rank_candidates(
        asking.request, candidates, NEARBY_AREAS, limit, for_requester=for_requester
    )


def _asking(
    session: so.Session, bank_id: int, request_listing_id: int, now: dt.datetime
) -> _Asking:
    """Read a request and what about its requester matching needs."""
    listing = listing_in_bank(session, bank_id, request_listing_id)
    if listing.kind != "request":
        raise InvalidInput("That is an offer, not a request. Helpers are suggested for requests.")
    # The requester and the bank's time zone in one round trip.
    requester = session.execute(
        sa.select(Member.id, Member.display_name, Member.area, TimeBank.timezone)
        .join(TimeBank, TimeBank.id == Member.bank_id)
        .where(Member.id == listing.member_id)
    ).one()  # the listing's foreign key guarantees the member
    needs_check = listing.needs_check or category_needs_check(
        session, bank_id, listing.skill_category
    )
    request = HelpRequest(
        requester_id=requester.id,
        requester_first_name=first_name_of(requester.display_name),
        skill_category=listing.skill_category,
        description=f"{listing.title}. {listing.description}",
        slots=slots_or_text(listing.slots, listing.availability),
        area=listing.area or requester.area or "",
        needs_check=CHECK if needs_check else None,
    )
    return _Asking(
        request=request,
        bank_id=bank_id,
        today=_day_in(requester.timezone, now),
        now=now,
    )


def _local_today(session: so.Session, bank_id: int, now: dt.datetime) -> dt.date:
    """Return the day `now` falls on in the time bank's time zone."""
    zone = session.scalar(sa.select(TimeBank.timezone).where(TimeBank.id == bank_id))
    return _day_in(zone, now)


def _day_in(zone: str | None, now: dt.datetime) -> dt.date:
    """Return the day `now` falls on in a time zone (UTC when the bank has none)."""
    return now.astimezone(zoneinfo.ZoneInfo(zone or "UTC")).date()


# --- The fast way: bound in the database, the rest in Python --------------------------------


@dataclass
class _Ranking:
    """The best candidates found so far, and the members already looked at."""

    context: RequestContext
    limit: int
    # The `limit` best so far, worst first: (score, -member_id, candidate).
    best: list[tuple[float, int, Candidate]] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)

    def worst(self) -> float | None:
        """Return the lowest score on a full list, or None while it has room."""
        return self.best[0][0] if len(self.best) == self.limit else None

    def could_enter(self, bound: float) -> bool:
        """Tell whether someone whose score is at most `bound` could still make the list."""
        worst = self.worst()
        return worst is None or bound + ROUNDING_SLACK >= worst

    def consider(self, candidate: Candidate) -> None:
        """Keep a candidate if they are among the best, reading their words only if needed."""
        self.seen.add(candidate.member_id)
        if not eligible(self.context.request, candidate):
            return
        if not self.could_enter(score_before_words(self.context, candidate) + WORDS_POINTS):
            return
        entry = (score(self.context, candidate), -candidate.member_id, candidate)
        if len(self.best) < self.limit:
            heapq.heappush(self.best, entry)
        elif entry[:2] > self.best[0][:2]:
            heapq.heapreplace(self.best, entry)

    def beats_everyone_without_the_category(self) -> bool:
        """Tell whether no member outside the request's category could make the list."""
        worst = self.worst()
        return worst is not None and worst > BEST_WITHOUT_CATEGORY

    def suggestions(self) -> list[Suggestion]:
        """Return the list, best first, with the reasons."""
        ranked = sorted(self.best, key=lambda entry: entry[:2], reverse=True)
        return [explain(self.context, candidate, total) for total, _, candidate in ranked]


def _rank_by_bound(
    session: so.Session, asking: _Asking, ranking: _Ranking, *, only_category: bool
) -> None:
    """Read members best bound first, scoring them exactly, until nobody left could enter."""
    request = asking.request
    statement = _bounds_statement(
        only_category=only_category,
        needs_check=request.needs_check is not None,
        area_given=bool(request.area),
        nearby=tuple(sorted(NEARBY_AREAS.get(request.area, frozenset()))),
    )
    params = _bounds_params(asking)
    conn = session.connection()
    offset, batch = 0, FIRST_READ
    while True:
        found = run(conn, statement, {**params, "skip": offset, "take": batch})
        rows = [_Bound._make(row) for row in found]
        if _score_rows(session, asking, ranking, rows):
            return
        if len(rows) < batch:
            return  # everyone has been read
        offset, batch = offset + batch, batch * 4


def _score_rows(
    session: so.Session, asking: _Asking, ranking: _Ranking, rows: Sequence[_Bound]
) -> bool:
    """Score rows in bound order; return True once the rest cannot enter the list."""
    for start in range(0, len(rows), OFFERS_BATCH):
        chunk = rows[start : start + OFFERS_BATCH]
        if not ranking.could_enter(chunk[0].bound):
            return True
        # Rows come best bound first, so those that could still enter are a prefix.
        wanted = [
            row for row in chunk if row.id not in ranking.seen and ranking.could_enter(row.bound)
        ]
        offers = _offers_of(session, asking.bank_id, [row.id for row in wanted])
        for row in wanted:
            if not ranking.could_enter(row.bound):
                return True
            ranking.consider(_bounded_candidate(row, offers.get(row.id), asking))
    return False


def _bounded_candidate(row: _Bound, offers: _Offers | None, asking: _Asking) -> Candidate:
    """Make the candidate of a member the bounds query found, with their open offers."""
    offered = offers or _Offers()
    return Candidate(
        member_id=row.id,
        first_name=first_name_of(row.display_name),
        active=True,  # the query keeps only members who may be suggested
        opted_out=False,
        blocked=False,
        checks=frozenset({CHECK}) if asking.request.needs_check else frozenset(),
        offer_categories=frozenset(offered.categories),
        offer_text="\n".join(offered.texts),
        slots=slots_or_text(offered.mask, row.availability),
        area=row.area or "",
        travel=REACH_TRAVEL[offered.reach],
        proposals_open=int(row.open or 0),
        proposals_answered_90d=int(row.answered or 0),
        proposals_sent_90d=int(row.sent or 0),
        balance_minutes=int(row.balance or 0),
        wants_to_earn=int(row.balance or 0) < 0,
        has_met_requester=bool(row.met),
    )


class _Bound(NamedTuple):
    """A member the bounds statement found, with the exact parts and the bound of their score."""

    id: int
    display_name: str
    area: str | None
    availability: str | None
    balance: int | None
    open: int | None
    answered: int | None
    sent: int | None
    met: bool
    bound: float


# The bounds statement's parameters: the same text for every request, so it is built and
# compiled once per shape (see `_bounds_statement`).
_BANK = sa.bindparam("bank_id", type_=sa.Integer)
_REQUESTER = sa.bindparam("requester_id", type_=sa.Integer)


def _bounds_params(asking: _Asking) -> dict[str, object]:
    """Return the values of the bounds statement's parameters for one request."""
    request = asking.request
    times = AVAILABILITY_POINTS if request.slots else AVAILABILITY_NOT_SAID
    waiting_since, judged_since = _windows(asking.now)
    return {
        "bank_id": asking.bank_id,
        "requester_id": request.requester_id,
        "category": request.skill_category,
        "area": request.area,
        "today": asking.today,
        "check_kind": request.needs_check or CHECK,
        "waiting_since": waiting_since,
        "judged_since": judged_since,
        "offer_points": CATEGORY_POINTS + WORDS_POINTS + times,
    }


@functools.cache
def _bounds_statement(
    *, only_category: bool, needs_check: bool, area_given: bool, nearby: tuple[str, ...]
) -> sa.Select:
    """Build the query of members who may be suggested, highest possible score first.

    The bound counts in full what offers would tell (category, words, times) and the best
    their travel could earn for place; it is exact for the rest (area, proposals, balance,
    who the requester has met). Offers are read afterwards, a batch of members at a time.

    Everything that changes from one request to the next is a parameter (`_bounds_params`,
    with `skip` and `take` for the batch), so each shape of the statement is built once and
    its SQL compiled once (`timebank.db.run`); who the requester has met or blocked is asked
    inside the statement rather than written into it as lists of ids.
    """
    offering = (
        _offering(_BANK, sa.bindparam("category", type_=sa.String)) if only_category else None
    )
    proposals = proposal_counts(
        _BANK,
        sa.bindparam("waiting_since", type_=sa.DateTime(timezone=True)),
        sa.bindparam("judged_since", type_=sa.DateTime(timezone=True)),
        offering,
    )
    balance = Account.credits_posted - Account.debits_posted
    met = Member.id.in_(met_query(_BANK, _REQUESTER))
    bound = (
        sa.bindparam("offer_points", type_=sa.Float)
        + _place_bound(area_given, nearby)
        + _responsiveness_points(proposals)
        + _fairness_points(proposals, balance)
        + sa.case((met, 0.0), else_=NEW_CONTACT_POINTS)
    ).label("bound")
    check = sa.bindparam("check_kind", type_=sa.String) if needs_check else None
    query = (
        sa.select(
            Member.id,
            Member.display_name,
            Member.area,
            Member.availability,
            balance.label("balance"),
            proposals.c.open,
            proposals.c.answered,
            proposals.c.sent,
            met.label("met"),
            bound,
        )
        .outerjoin(
            Account, sa.and_(Account.bank_id == Member.bank_id, Account.member_id == Member.id)
        )
        .outerjoin(proposals, proposals.c.helper_id == Member.id)
        .where(*_may_be_suggested(check, sa.bindparam("today", type_=sa.Date)))
        .order_by(bound.desc(), Member.id)
        .offset(sa.bindparam("skip", type_=sa.Integer))
        .limit(sa.bindparam("take", type_=sa.Integer))
    )
    return query if offering is None else query.where(Member.id.in_(offering))


def _offering(bank_id: Bindable[int], category: Bindable[str]) -> sa.Select:
    """Build the query of the members with an open offer in the category."""
    return sa.select(Listing.member_id).where(
        Listing.bank_id == bank_id,
        Listing.skill_category == category,
        Listing.kind == "offer",
        Listing.status == "open",
    )


def _may_be_suggested(
    check: Bindable[str] | None, today: Bindable[dt.date]
) -> list[sa.ColumnElement[bool]]:
    """Return the hard filters of matching as conditions on members (and `check`, if asked)."""
    opted_out = (
        sa.select(OptOut.e164)
        .where(
            OptOut.bank_id == Member.bank_id,
            OptOut.e164 == Member.mobile_e164,
            OptOut.opted_out.is_(True),
        )
        .exists()
    )
    conditions = [
        Member.bank_id == _BANK,
        Member.id != _REQUESTER,
        Member.status == "active",
        Member.erased_at.is_(None),
        sa.not_(opted_out),
    ]
    conditions.append(Member.id.not_in(blocked_query(_BANK, _REQUESTER)))
    if check is not None:
        checked = (
            sa.select(MemberCheck.id)
            .where(
                MemberCheck.bank_id == Member.bank_id,
                MemberCheck.member_id == Member.id,
                *_current_check(check, today),
            )
            .exists()
        )
        conditions.append(checked)
    return conditions


def _current_check(kind: Bindable[str], today: Bindable[dt.date]) -> list[sa.ColumnElement[bool]]:
    """Return the conditions that a check row is of `kind` and still holds today."""
    return [
        MemberCheck.kind == kind,
        MemberCheck.withdrawn_at.is_(None),
        sa.or_(MemberCheck.expires_on.is_(None), MemberCheck.expires_on >= today),
    ]


def _place_bound(area_given: bool, nearby: tuple[str, ...]) -> sa.ColumnElement[float]:
    """Score place by area, as if the member travelled as far as it could ever count."""
    same = Member.area == sa.bindparam("area", type_=sa.String) if area_given else sa.false()
    near = sa.or_(sa.false(), *(Member.area == sa.literal_column(_quoted(n)) for n in nearby))
    return sa.case(
        (same, SAME_AREA_POINTS),
        (near, max(NEARBY_POINTS, ANYWHERE_POINTS)),
        else_=ANYWHERE_POINTS,
    )


def _quoted(text: str) -> str:
    """Write a string as an SQL literal (for the few area names written into the statement)."""
    return "'" + text.replace("'", "''") + "'"


def _responsiveness_points(proposals: sa.Subquery) -> sa.ColumnElement[float]:
    sent = sa.func.coalesce(proposals.c.sent, 0)
    share = sa.cast(proposals.c.answered, sa.Float) * RESPONSIVE_POINTS / sent
    return sa.case((sent < RESPONSIVE_MIN_SENT, RESPONSIVE_NOT_KNOWN), else_=share)


def _fairness_points(
    proposals: sa.Subquery, balance: sa.ColumnElement[int]
) -> sa.ColumnElement[float]:
    waiting = sa.func.coalesce(proposals.c.open, 0)
    idle = IDLE_POINTS - POINTS_PER_OPEN_PROPOSAL * waiting
    idle_points = sa.case((idle > 0, idle), else_=0.0)
    earning = sa.case((sa.func.coalesce(balance, 0) < 0, EARNING_POINTS), else_=0.0)
    return idle_points + earning


# --- What both ways read ------------------------------------------------------------------


@dataclass
class _Offers:
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


def _offers_of(
    session: so.Session, bank_id: int, member_ids: Collection[int] | None
) -> dict[int, _Offers]:
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
    offers: dict[int, _Offers] = defaultdict(_Offers)
    # Plain rows through the session's connection: several times cheaper than ORM rows.
    for member_id, *offer in session.connection().execute(query.order_by(Listing.id)):
        offers[member_id].add(*offer)
    return offers


def proposal_counts(
    bank_id: Bindable[int],
    waiting_since: Bindable[dt.datetime],
    judged_since: Bindable[dt.datetime],
    helpers: sa.Select | None = None,
) -> sa.Subquery:
    """Per helper: proposals sent since `judged_since`, those answered, those still waiting.

    A proposal still waits if it was sent since `waiting_since` and nobody has answered.
    `helpers`, when given, is a query of the member ids to count for (by default, everyone).
    """
    waiting = sa.and_(Proposal.status == "sent", Proposal.created_at >= waiting_since)
    query = sa.select(
        Proposal.helper_id,
        sa.func.count().label("sent"),
        sa.func.count(Proposal.answered_at).label("answered"),
        sa.func.count(sa.case((waiting, 1))).label("open"),
    ).where(
        Proposal.bank_id == bank_id,
        Proposal.created_at >= judged_since,
    )
    if helpers is not None:
        query = query.where(Proposal.helper_id.in_(helpers))
    return query.group_by(Proposal.helper_id).subquery("proposed")


def _windows(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Return since when a proposal still waits, and since when answers are judged."""
    return (
        now - dt.timedelta(days=OPEN_PROPOSAL_DAYS),
        now - dt.timedelta(days=RESPONSIVENESS_DAYS),
    )


def _members_met(session: so.Session, bank_id: int, requester_id: int) -> set[int]:
    """Return the members whose account has any transfer with the requester's account."""
    return set(session.scalars(met_query(bank_id, requester_id)))


def met_query(bank_id: Bindable[int], requester_id: Bindable[int]) -> sa.Select:
    """Build the query of the members whose account has any transfer with the requester's."""
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
    return (
        sa.select(theirs.member_id)
        .distinct()
        .join(Transfer, theirs.id == other)
        .where(
            Transfer.bank_id == bank_id,
            sa.or_(Transfer.debit_account_id == mine, Transfer.credit_account_id == mine),
            theirs.member_id.is_not(None),
        )
    )


def _members_blocked(session: so.Session, bank_id: int, requester_id: int) -> set[int]:
    """Return the members the requester blocked, and those who blocked the requester."""
    return set(session.scalars(blocked_query(bank_id, requester_id)))


def blocked_query(bank_id: Bindable[int], requester_id: Bindable[int]) -> sa.CompoundSelect:
    """Build the query of the members the requester blocked and those who blocked them."""
    blocks = MemberBlock.bank_id == bank_id
    return sa.union(
        sa.select(MemberBlock.blocked_member_id).where(
            blocks, MemberBlock.member_id == requester_id
        ),
        sa.select(MemberBlock.member_id).where(
            blocks, MemberBlock.blocked_member_id == requester_id
        ),
    )


# --- The reference way: everyone read in full ---------------------------------------------


def gather_candidates(
    session: so.Session, bank_id: int, requester_id: int, now: dt.datetime
) -> list[Candidate]:
    """Return every member of the bank but the requester as a candidate, in a few queries."""
    offers = _offers_of(session, bank_id, None)
    proposals = {
        row.helper_id: row
        for row in session.execute(sa.select(proposal_counts(bank_id, *_windows(now))))
    }
    met = _members_met(session, bank_id, requester_id)
    blocked = _members_blocked(session, bank_id, requester_id)
    checked = _members_checked(session, bank_id, _local_today(session, bank_id, now))
    return [
        _full_candidate(
            member,
            bool(opted_out),
            int(balance or 0),  # a member without an account has nothing yet
            offers.get(member.id, _Offers()),
            proposals.get(member.id),
            met=member.id in met,
            blocked=member.id in blocked,
            checked=member.id in checked,
        )
        for member, opted_out, balance in session.execute(_members_query(bank_id, requester_id))
    ]


def _full_candidate(
    member: Member,
    opted_out: bool,
    balance: int,
    offered: _Offers,
    proposed: sa.Row | None,
    *,
    met: bool,
    blocked: bool,
    checked: bool,
) -> Candidate:
    """Make the candidate of one member read in full."""
    return Candidate(
        member_id=member.id,
        first_name=member.first_name,
        active=member.is_active,
        opted_out=opted_out,
        blocked=blocked,
        checks=frozenset({CHECK}) if checked else frozenset(),
        offer_categories=frozenset(offered.categories),
        offer_text="\n".join(offered.texts),
        slots=slots_or_text(offered.mask, member.availability),
        area=member.area or "",
        travel=REACH_TRAVEL[offered.reach],
        proposals_open=int(proposed.open) if proposed else 0,
        proposals_answered_90d=int(proposed.answered) if proposed else 0,
        proposals_sent_90d=int(proposed.sent) if proposed else 0,
        balance_minutes=balance,
        wants_to_earn=balance < 0,
        has_met_requester=met,
    )


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


def _members_checked(session: so.Session, bank_id: int, today: dt.date) -> set[int]:
    """Return the members with a current check of the kind matching asks for."""
    return set(
        session.scalars(
            sa.select(MemberCheck.member_id).where(
                MemberCheck.bank_id == bank_id, *_current_check(CHECK, today)
            )
        )
    )
