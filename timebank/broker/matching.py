"""Rank members who could answer a request, with a score a broker can read and explain.

Pure rules: plain values in, suggestions out; no Flask, no session. A suggestion scores out
of 100, the sum of six parts:

    skill            up to 40  30 when the member offers the request's category, plus up to
                               10 for the words their offer shares with the request's
                               description; another category with related words gets only
                               the words part.
    availability     up to 15  by the share of the asked times the member is free; 7 when
                               either side has not said when.
    place            up to 15  same area 15; a nearby area 10 if the member travels to nearby
                               areas or anywhere; further away 5 if they travel anywhere.
    responsiveness   up to 10  by the share of proposals answered in the last 90 days; 5 when
                               fewer than 3 were sent, too few to judge.
    fairness         up to 15  10 minus 2 per proposal still open (floor 0), so requests spread
                               beyond the same few willing people; plus 5 when the member
                               wants to earn hours or is below zero.
    networks         up to 5   5 when the member has not met the requester yet.

Words in the offer and the request are compared as sets: lower case, a short list of
stop words dropped, common endings stripped ('gardening' -> 'garden'); the overlap is the
cosine of the two sets. The category must be the bank's own name for it, as offers use.

Scoring every part but the words is cheap; reading an offer's words is not, so a member
whom even a perfect word match would leave out of the list is never read (10,000 members
in about 35 ms on a two-core machine).

A requester looking at helpers for their own request reads the reasons worded to them
("lives in your area", "has not met you yet"), and only the reasons about the helper and
the request: nothing about fairness, proposals waiting, responsiveness or balances, which
are the broker's business.

Members who are not active, have opted out, are blocked by or have blocked the requester,
lack the check the request needs, or are the requester, are never suggested. Ties go to the
lower member id, so the same input always gives the same list.
"""

from __future__ import annotations

import heapq
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple

from timebank.offers.skills import skill_in_sentence
from timebank.offers.times import Slot

Travel = Literal["own_area", "nearby", "anywhere"]


CATEGORY_POINTS = 30.0
WORDS_POINTS = 10.0
AVAILABILITY_POINTS = 15.0
AVAILABILITY_NOT_SAID = 7.0
SAME_AREA_POINTS = 15.0
NEARBY_POINTS = 10.0
ANYWHERE_POINTS = 5.0
RESPONSIVE_POINTS = 10.0
RESPONSIVE_NOT_KNOWN = 5.0
RESPONSIVE_MIN_SENT = 3
IDLE_POINTS = 10.0
POINTS_PER_OPEN_PROPOSAL = 2.0
EARNING_POINTS = 5.0
NEW_CONTACT_POINTS = 5.0
# The most a member who does not offer the request's category can score: every part but
# the category at its best. Whoever the database leaves out by category stays below it.
BEST_WITHOUT_CATEGORY = (
    WORDS_POINTS
    + AVAILABILITY_POINTS
    + SAME_AREA_POINTS
    + RESPONSIVE_POINTS
    + IDLE_POINTS
    + EARNING_POINTS
    + NEW_CONTACT_POINTS
)

STOP_WORDS = frozenset(
    """a about after all also am an and any are as at be been but by can could do does for
    from get got had has have he her here him his how i if in into is it its just like me
    more my need needs no not of on or our out please she so some someone something than
    that the their them then there they this to too up us very want was we were what when
    who will with would you your""".split()
)
_NOT_LETTERS = re.compile(r"[^a-z]+")


@dataclass(frozen=True)
class HelpRequest:
    """What a member asked for, as the matching rules need it."""

    requester_id: int
    requester_first_name: str
    skill_category: str
    description: str
    slots: frozenset[Slot]
    area: str
    needs_check: str | None = None


@dataclass(frozen=True)
class Candidate:
    """A member who might help, with what the matching rules need to know about them."""

    member_id: int
    first_name: str
    active: bool
    opted_out: bool
    blocked: bool  # either side blocked the other
    checks: frozenset[str]
    offer_categories: frozenset[str]
    offer_text: str
    slots: frozenset[Slot]
    area: str
    travel: Travel
    proposals_open: int
    proposals_answered_90d: int
    proposals_sent_90d: int
    balance_minutes: int
    wants_to_earn: bool
    has_met_requester: bool


@dataclass(frozen=True)
class Suggestion:
    """A ranked candidate: the score out of 100, its parts, and the reasons in plain words."""

    member_id: int
    score: float
    parts: dict[str, float]
    reasons: list[str]
    first_name: str = ""

    @property
    def why(self) -> str:
        """Join the reasons into one line a broker can read out."""
        return ", ".join(self.reasons)


class _Scored(NamedTuple):
    """One part of the score and, when it counts for something, the reasons in words."""

    # A named tuple, not a dataclass: tens of thousands are made per ranking, and they are
    # several times cheaper to make.
    points: float
    reasons: tuple[str, ...] = ()


def rank_candidates(
    request: HelpRequest,
    candidates: Iterable[Candidate],
    nearby: Mapping[str, frozenset[str]],
    limit: int = 10,
    *,
    for_requester: bool = False,
) -> list[Suggestion]:
    """Return the best `limit` candidates for the request, best first, ties by member id.

    With `for_requester`, the reasons are worded to the requester and only name what is
    about the helper and the request (see the module's docstring).
    """
    if limit <= 0:
        return []
    context = RequestContext.of(request, nearby, for_requester=for_requester)
    # The `limit` best so far, worst first: (score, -member_id, arrival, candidate).
    best: list[tuple[float, int, int, Candidate]] = []
    for arrival, candidate in enumerate(candidates):
        if not eligible(request, candidate):
            continue
        before_words = score_before_words(context, candidate)
        # Reading the offer's words is the slow part: skip it for anyone whom even a perfect
        # word match would leave out of the list.
        hopeful = (round(before_words + WORDS_POINTS, 1), -candidate.member_id, -arrival)
        if len(best) == limit and hopeful < best[0][:3]:
            continue
        score = _total(before_words, word_fit(context, candidate))
        entry = (score, -candidate.member_id, -arrival, candidate)
        if len(best) < limit:
            heapq.heappush(best, entry)
        else:
            heapq.heappushpop(best, entry)
    return [explain(context, entry[3], entry[0]) for entry in sorted(best, reverse=True)]


def score(context: RequestContext, candidate: Candidate) -> float:
    """Return a candidate's score out of 100, rounded as suggestions show it."""
    return _total(score_before_words(context, candidate), word_fit(context, candidate))


def score_before_words(context: RequestContext, candidate: Candidate) -> float:
    """Return every part of the score but the offer's words (which the caller may skip)."""
    return sum(part.points for part in _parts_before_words(context, candidate))


def _total(before_words: float, words: float) -> float:
    return round(before_words + words, 1)


def eligible(request: HelpRequest, candidate: Candidate) -> bool:
    """Tell whether a candidate may be suggested at all (the hard filters)."""
    return (
        candidate.active
        and not candidate.opted_out
        and not candidate.blocked
        and candidate.member_id != request.requester_id
        and (request.needs_check is None or request.needs_check in candidate.checks)
    )


@dataclass(frozen=True)
class RequestContext:
    """What is worked out once per request rather than once per candidate."""

    request: HelpRequest
    words: frozenset[str]
    nearby_areas: frozenset[str]
    # The words that only depend on the request, written once.
    offers: tuple[str, ...]
    not_met: tuple[str, ...]
    same_area: tuple[str, ...]
    for_requester: bool = False

    @classmethod
    def of(
        cls,
        request: HelpRequest,
        nearby: Mapping[str, frozenset[str]],
        *,
        for_requester: bool = False,
    ) -> RequestContext:
        """Prepare a request for scoring many candidates."""
        name = "you" if for_requester else request.requester_first_name
        return cls(
            request=request,
            words=words_of(request.description),
            nearby_areas=nearby.get(request.area, frozenset()),
            offers=(f"offers {skill_in_sentence(request.skill_category)}",),
            not_met=(f"has not met {name} yet",),
            same_area=("lives in your area" if for_requester else "lives in the same area",),
            for_requester=for_requester,
        )


def _parts_before_words(context: RequestContext, candidate: Candidate) -> list[_Scored]:
    """Score every part but the offer's words, in the order the reasons are read."""
    return [
        category_fit(context, candidate),
        availability(context.request.slots, candidate.slots),
        place(context, candidate),
        responsiveness(candidate),
        fairness(candidate),
        networks(context, candidate),
    ]


def explain(context: RequestContext, candidate: Candidate, total: float) -> Suggestion:
    """Explain the score of one candidate who made the list."""
    category, *others = _parts_before_words(context, candidate)
    words = word_fit(context, candidate)
    skill = _Scored(category.points + words, category.reasons or _related(words))
    names = ("skill", "availability", "place", "responsiveness", "fairness", "networks")
    scored = dict(zip(names, [skill, *others], strict=True))
    parts = {name: round(part.points, 1) for name, part in scored.items()}
    told = _TOLD_TO_REQUESTER if context.for_requester else names  # brokers hear all
    reasons = [reason for name in told for reason in scored[name].reasons]
    return Suggestion(candidate.member_id, total, parts, reasons, candidate.first_name)


# The parts whose reasons a requester reads: fairness and responsiveness stay with brokers.
_TOLD_TO_REQUESTER = ("skill", "availability", "place", "networks")


def category_fit(context: RequestContext, candidate: Candidate) -> _Scored:
    """Score whether the candidate offers the kind of help asked for."""
    if context.request.skill_category in candidate.offer_categories:
        return _Scored(CATEGORY_POINTS, context.offers)
    return _Scored(0.0)


def word_fit(context: RequestContext, candidate: Candidate) -> float:
    """Score how many words the candidate's offer shares with the request's description."""
    return WORDS_POINTS * word_overlap(context.words, words_of(candidate.offer_text))


def _related(words: float) -> tuple[str, ...]:
    """Say the offer is related when its words, not its category, earned points."""
    return ("offers related help",) if words else ()


def availability(asked: frozenset[Slot], free: frozenset[Slot]) -> _Scored:
    """Score the share of the asked times the candidate is free; neutral if either is unsaid."""
    if not asked or not free:
        return _Scored(AVAILABILITY_NOT_SAID)
    both = asked & free
    if not both:
        return _Scored(0.0)
    if both == asked and len(asked) > 1:
        reason = "free at the times asked"
    else:
        reason = f"free {min(both, key=Slot.sort_key).in_words()}"
    return _Scored(AVAILABILITY_POINTS * len(both) / len(asked), (reason,))


def place(context: RequestContext, candidate: Candidate) -> _Scored:
    """Score where the candidate lives against how far they will travel."""
    if candidate.area and candidate.area == context.request.area:
        return _Scored(SAME_AREA_POINTS, context.same_area)
    if candidate.travel == "own_area":
        return _Scored(0.0)
    if candidate.area in context.nearby_areas:
        return _Scored(NEARBY_POINTS, ("lives nearby",))
    if candidate.travel == "anywhere":
        return _Scored(ANYWHERE_POINTS, ("is happy to travel",))
    return _Scored(0.0)


def responsiveness(candidate: Candidate) -> _Scored:
    """Score the share of recent proposals answered; neutral when too few to judge."""
    sent = candidate.proposals_sent_90d
    if sent < RESPONSIVE_MIN_SENT:
        return _Scored(RESPONSIVE_NOT_KNOWN)
    answered = min(max(candidate.proposals_answered_90d, 0), sent)
    reasons = ("answers most proposals",) if 2 * answered > sent else ()
    return _Scored(RESPONSIVE_POINTS * answered / sent, reasons)


def fairness(candidate: Candidate) -> _Scored:
    """Favour members with few proposals waiting, and those who want to earn hours."""
    open_ = max(candidate.proposals_open, 0)
    idle = max(IDLE_POINTS - POINTS_PER_OPEN_PROPOSAL * open_, 0.0)
    earning = EARNING_POINTS if candidate.wants_to_earn or candidate.balance_minutes < 0 else 0.0
    few_waiting = ("has few requests waiting",) if open_ <= 1 else ()
    # A balance below zero is never named: the reasons say only good things about people.
    wants = ("would like to earn hours",) if candidate.wants_to_earn else ()
    return _Scored(idle + earning, few_waiting + wants)


def networks(context: RequestContext, candidate: Candidate) -> _Scored:
    """Favour people the requester has not met, so networks grow beyond the usual few."""
    if candidate.has_met_requester:
        return _Scored(0.0)
    return _Scored(NEW_CONTACT_POINTS, context.not_met)


def word_overlap(ours: frozenset[str], theirs: frozenset[str]) -> float:
    """Return how alike two sets of words are, from 0 (nothing shared) to 1 (the same)."""
    if not ours or not theirs:
        return 0.0
    # Cosine of the two sets: a long offer text neither wins nor loses by its length alone.
    return len(ours & theirs) / math.sqrt(len(ours) * len(theirs))


# The same member's offers are read for request after request: read their words once.
@lru_cache(maxsize=4096)
def words_of(text: str) -> frozenset[str]:
    """Return the meaningful words of a text, lower case and roughly stemmed."""
    return frozenset(
        _stem(word)
        for word in _NOT_LETTERS.split(text.lower())
        if len(word) > 1 and word not in STOP_WORDS
    )


# Member texts differ, but their words come from a small vocabulary: stem each word once.
@lru_cache(maxsize=16384)
def _stem(word: str) -> str:
    """Strip a common English ending, so 'gardens' and 'gardening' both read 'garden'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zes")):
        return word[:-2]
    for ending in ("ing", "ed", "s"):
        if len(word) - len(ending) >= 3 and word.endswith(ending) and not word.endswith("ss"):
            return word[: -len(ending)]
    return word
