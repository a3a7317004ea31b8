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

The statements are built in `timebank.broker.candidate_queries`, the reading of offers,
contacts and checks is in `timebank.broker.candidate_reads`, and free-text availability is
read by `timebank.broker.free_times`.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.candidate_queries import (
    CHECK,
    BoundRow,
    bounds_statement,
    members_query,
    proposal_counts,
    proposal_windows,
)
from timebank.broker.candidate_reads import (
    REACH_TRAVEL,
    Offers,
    local_today,
    members_blocked,
    members_checked,
    members_met,
    offers_of,
)
from timebank.broker.free_times import slots_or_text
from timebank.broker.matching import (
    AVAILABILITY_NOT_SAID,
    AVAILABILITY_POINTS,
    BEST_WITHOUT_CATEGORY,
    CATEGORY_POINTS,
    WORDS_POINTS,
    Candidate,
    HelpRequest,
    RequestContext,
    Suggestion,
    eligible,
    explain,
    rank_candidates,
    score,
    score_before_words,
)
from timebank.clock import utcnow
from timebank.db import run
from timebank.errors import InvalidInput
from timebank.members.models import Member, first_name_of
from timebank.offers.services import listing_in_bank
from timebank.offers.skills import category_needs_check
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

# No table says which areas are near each other yet.
NEARBY_AREAS: Mapping[str, frozenset[str]] = {}
# Members read by bound in the first query (four times as many in each next one), and
# members whose offers are read per query.
FIRST_READ = 200
OFFERS_BATCH = 48
# A rounded score can sit up to 0.05 above the sum it rounds; the rest covers the database
# adding floats in another order.
ROUNDING_SLACK = 0.05 + 1e-6

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
        today=today_in_zone(requester.timezone, lambda: now),
        now=now,
    )


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
    statement = bounds_statement(
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
        rows = [BoundRow._make(row) for row in found]
        if _score_rows(session, asking, ranking, rows):
            return
        if len(rows) < batch:
            return  # everyone has been read
        offset, batch = offset + batch, batch * 4


def _score_rows(
    session: so.Session, asking: _Asking, ranking: _Ranking, rows: Sequence[BoundRow]
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
        offers = offers_of(session, asking.bank_id, [row.id for row in wanted])
        for row in wanted:
            if not ranking.could_enter(row.bound):
                return True
            ranking.consider(_bounded_candidate(row, offers.get(row.id), asking))
    return False


def _bounded_candidate(row: BoundRow, offers: Offers | None, asking: _Asking) -> Candidate:
    """Make the candidate of a member the bounds query found, with their open offers."""
    offered = offers or Offers()
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


def _bounds_params(asking: _Asking) -> dict[str, object]:
    """Return the values of the bounds statement's parameters for one request."""
    request = asking.request
    times = AVAILABILITY_POINTS if request.slots else AVAILABILITY_NOT_SAID
    waiting_since, judged_since = proposal_windows(asking.now)
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


# --- The reference way: everyone read in full ---------------------------------------------


def gather_candidates(
    session: so.Session, bank_id: int, requester_id: int, now: dt.datetime
) -> list[Candidate]:
    """Return every member of the bank but the requester as a candidate, in a few queries."""
    offers = offers_of(session, bank_id, None)
    proposals = {
        row.helper_id: row
        for row in session.execute(sa.select(proposal_counts(bank_id, *proposal_windows(now))))
    }
    met = members_met(session, bank_id, requester_id)
    blocked = members_blocked(session, bank_id, requester_id)
    checked = members_checked(session, bank_id, local_today(session, bank_id, now))
    return [
        _full_candidate(
            member,
            bool(opted_out),
            int(balance or 0),  # a member without an account has nothing yet
            offers.get(member.id, Offers()),
            proposals.get(member.id),
            met=member.id in met,
            blocked=member.id in blocked,
            checked=member.id in checked,
        )
        for member, opted_out, balance in session.execute(members_query(bank_id, requester_id))
    ]


def _full_candidate(
    member: Member,
    opted_out: bool,
    balance: int,
    offered: Offers,
    proposed: sa.Row[Any] | None,
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
