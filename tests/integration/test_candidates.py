"""Suggesting helpers for a request from the members in the database."""

from __future__ import annotations

import datetime as dt
import random
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.broker import candidates
from timebank.broker.candidates import (
    gather_candidates,
    reference_suggestions,
    suggest_helpers,
)
from timebank.broker.free_times import parse_slots
from timebank.broker.models import MemberBlock, MemberCheck, Proposal
from timebank.errors import InvalidInput, NotFound
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.membership.services import set_member_status
from timebank.offers.models import Listing
from timebank.offers.times import PARTS, Slot
from timebank.sms.optouts import record_opt_out

NOW = dt.datetime(2025, 3, 10, 12, tzinfo=dt.UTC)


def slots(*pairs: tuple[int, str]) -> frozenset[Slot]:
    return frozenset(Slot(day, part) for day, part in pairs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuesday mornings", slots((1, "morning"))),
        ("weekday afternoons", slots(*((day, "afternoon") for day in range(5)))),
        ("Mon and Wed evenings", slots((0, "evening"), (2, "evening"))),
        ("Monday mornings, Friday afternoons", slots((0, "morning"), (4, "afternoon"))),
        ("Weekends", slots(*((day, part) for day in (5, 6) for part in PARTS))),
        ("Evenings after 6", slots(*((day, "evening") for day in range(7)))),
        ("Most days, with a day's notice", frozenset()),
        ("", frozenset()),
    ],
)  # fmt: skip
def test_parse_slots_reads_days_and_parts_of_the_day(text, expected):
    assert parse_slots(text) == expected


def post_request(member, **fields):
    fields = {"kind": "request", "title": "Help with my garden", **fields}
    return ListingFactory(member=member, **fields)


def suggested_ids(session, bank, request, **kwargs) -> list[int]:
    suggestions = suggest_helpers(session, bank.id, request.id, now=lambda: NOW, **kwargs)
    return [suggestion.member_id for suggestion in suggestions]


def test_a_gardener_in_the_same_area_ranks_first_for_a_gardening_request(session, bank):
    requester = MemberFactory(bank=bank, display_name="Rose Hill", area="Catford")
    knitter = MemberFactory(bank=bank, area="Catford", availability="Tuesday mornings")
    far_gardener = MemberFactory(bank=bank, area="Penge", availability="Tuesday mornings")
    gardener = MemberFactory(bank=bank, area="Catford", availability="Tuesday mornings")
    ListingFactory(member=knitter, skill_category="Creative and crafts", title="Knitting")
    ListingFactory(member=far_gardener, title="Lawn mowing", area="Penge")
    ListingFactory(member=gardener, title="Weeding and pruning small gardens")
    request = post_request(
        requester, description="Weeding the borders", availability="Tuesday mornings"
    )

    suggestions = suggest_helpers(session, bank.id, request.id, now=lambda: NOW)

    first = suggestions[0]
    assert first.member_id == gardener.id
    assert "offers gardening" in first.reasons
    assert "lives in the same area" in first.reasons
    assert "has not met Rose yet" in first.reasons
    assert [s.member_id for s in suggestions[1:3]] == [far_gardener.id, knitter.id]


def test_a_member_viewing_their_own_request_reads_reasons_worded_to_them(session, bank):
    requester = MemberFactory(bank=bank, display_name="Rose Hill", area="Catford")
    gardener = MemberFactory(bank=bank, display_name="Amir Khan", area="Catford")
    ListingFactory(member=gardener, title="Weeding and pruning small gardens")
    request = post_request(requester, description="Weeding the borders")

    [first] = suggest_helpers(session, bank.id, request.id, now=lambda: NOW, for_requester=True)

    assert (first.member_id, first.first_name) == (gardener.id, "Amir")
    assert "lives in your area" in first.reasons
    assert "has not met you yet" in first.reasons
    assert not any("proposal" in r or "waiting" in r or "earn" in r for r in first.reasons)


def test_the_requester_inactive_and_opted_out_members_are_never_suggested(session, bank):
    requester, helper, suspended, opted_out = (
        MemberFactory(bank=bank, area="Catford") for _ in range(4)
    )
    for member in (requester, helper, suspended, opted_out):
        ListingFactory(member=member)
    set_member_status(session, bank.id, suspended.id, "suspended")
    record_opt_out(session, bank.id, opted_out.mobile_e164, NOW)
    session.commit()
    request = post_request(requester)

    assert suggested_ids(session, bank, request) == [helper.id]


def test_members_of_other_banks_are_never_candidates(session, bank):
    requester = MemberFactory(bank=bank)
    ListingFactory(member=MemberFactory(bank=TimeBankFactory()))
    neighbour = MemberFactory(bank=bank)

    candidates = gather_candidates(session, bank.id, requester.id, NOW)

    assert [candidate.member_id for candidate in candidates] == [neighbour.id]


def propose(session, bank, request, helper, days_ago: int, **fields) -> None:
    """Record a proposal to `helper` for `request`, sent `days_ago` days before NOW."""
    sent_at = NOW - dt.timedelta(days=days_ago)
    session.add(
        Proposal(
            bank_id=bank.id,
            request_id=request.id,
            helper_id=helper.id,
            proposed_by_id=request.member_id,
            channel="web",
            created_at=sent_at,
            updated_at=sent_at,
            **fields,
        )
    )
    session.commit()


def test_candidates_carry_balance_met_and_proposals_from_the_database(session, bank):
    requester, helper, busy = (MemberFactory(bank=bank) for _ in range(3))
    askers = [MemberFactory(bank=bank) for _ in range(5)]
    # The helper gave the requester an hour, logged by the requester so it posts at once.
    record_exchange(
        session, ExchangeRequest(uuid.uuid4(), bank.id, helper.id, requester.id, 60, requester.id)
    )
    asked = [post_request(asker, title=f"Lifts {n}") for n, asker in enumerate(askers)]
    propose(session, bank, asked[0], busy, 40, status="declined", answered_at=NOW)
    propose(session, bank, asked[1], busy, 31, status="sent")  # waiting, but not recently
    propose(session, bank, asked[2], busy, 5, status="sent")
    propose(session, bank, asked[3], busy, 2, status="sent")
    propose(session, bank, asked[4], busy, 95, status="accepted", answered_at=NOW)  # too old

    found = {c.member_id: c for c in gather_candidates(session, bank.id, requester.id, NOW)}

    assert (found[helper.id].balance_minutes, found[helper.id].has_met_requester) == (60, True)
    assert found[helper.id].wants_to_earn is False
    assert found[busy.id].has_met_requester is False
    assert (
        found[busy.id].proposals_sent_90d,
        found[busy.id].proposals_answered_90d,
        found[busy.id].proposals_open,
    ) == (4, 1, 2)


def offer_at(member, slots=frozenset(), travel="nearby", **fields):
    """Post an open gardening offer with the given times and travel."""
    return ListingFactory(member=member, slots=slots, travel=travel, **fields)


def test_a_members_times_are_the_union_of_their_offers_slots_else_their_profile(session, bank):
    requester = MemberFactory(bank=bank)
    two_offers = MemberFactory(bank=bank, availability="Sunday evenings")
    profile_only = MemberFactory(bank=bank, availability="Friday afternoons")
    offer_at(two_offers, slots(*[(1, "morning")]))
    offer_at(two_offers, slots(*[(3, "evening")]), skill_category="Pets", title="Dog walks")
    offer_at(profile_only)  # says no times

    found = {c.member_id: c for c in gather_candidates(session, bank.id, requester.id, NOW)}

    assert found[two_offers.id].slots == slots((1, "morning"), (3, "evening"))
    assert found[profile_only.id].slots == slots((4, "afternoon"))


def test_a_member_travels_as_far_as_their_furthest_open_offer(session, bank):
    requester, homebody, traveller, no_offers = (MemberFactory(bank=bank) for _ in range(4))
    offer_at(homebody, travel="own_area")
    offer_at(traveller, travel="own_area")
    offer_at(traveller, travel="anywhere", title="Lifts to the shops")

    found = {c.member_id: c for c in gather_candidates(session, bank.id, requester.id, NOW)}

    assert found[homebody.id].travel == "own_area"
    assert found[traveller.id].travel == "anywhere"
    assert found[no_offers.id].travel == "nearby"


def test_the_request_asks_for_its_slots_else_the_times_its_text_names(session, bank):
    requester = MemberFactory(bank=bank, area="Catford")
    free, busy = (MemberFactory(bank=bank, area="Catford") for _ in range(2))
    offer_at(free, slots((2, "evening")))
    offer_at(busy, slots((0, "morning")))
    by_mask = post_request(requester, slots=slots((2, "evening")), availability="Mondays")
    by_text = post_request(requester, title="Fence", availability="Wednesday evenings")

    for request in (by_mask, by_text):
        [first, second] = suggest_helpers(session, bank.id, request.id, now=lambda: NOW)
        assert (first.member_id, second.member_id) == (free.id, busy.id)
        assert "free Wednesday evenings" in first.reasons


def check(session, bank, helper, **fields) -> None:
    """Record a DBS check for the helper (checked a year before NOW unless told)."""
    broker = MemberFactory(bank=bank, role="broker")
    session.add(
        MemberCheck(
            bank_id=bank.id,
            member_id=helper.id,
            kind="dbs",
            checked_on=dt.date(2024, 3, 1),
            recorded_by_id=broker.id,
            **fields,
        )
    )
    session.commit()


def test_a_request_needing_a_check_suggests_only_helpers_with_a_current_one(session, bank):
    requester = MemberFactory(bank=bank)
    current, lapsed, withdrawn, lasting, unchecked = (MemberFactory(bank=bank) for _ in range(5))
    for helper in (current, lapsed, withdrawn, lasting, unchecked):
        offer_at(helper)
    check(session, bank, current, expires_on=NOW.date())  # still good on its last day
    check(session, bank, lapsed, expires_on=NOW.date() - dt.timedelta(days=1))
    check(session, bank, withdrawn, withdrawn_at=NOW - dt.timedelta(days=3))
    check(session, bank, lasting)
    home_visit = post_request(requester, needs_check=True)
    ordinary = post_request(requester, title="Hedge")

    assert sorted(suggested_ids(session, bank, home_visit)) == sorted([current.id, lasting.id])
    helpers = {current.id, lapsed.id, withdrawn.id, lasting.id, unchecked.id}
    assert helpers <= set(suggested_ids(session, bank, ordinary))


def test_a_category_that_needs_a_check_asks_for_one_whatever_the_request_says(session, bank):
    requester, carer, checked_carer = (MemberFactory(bank=bank) for _ in range(3))
    for helper in (carer, checked_carer):
        offer_at(helper, skill_category="Care and wellbeing", title="Sitting with someone")
    check(session, bank, checked_carer)
    care = post_request(requester, skill_category="Care and wellbeing", title="Company")

    assert suggested_ids(session, bank, care) == [checked_carer.id]


def test_members_blocked_either_way_are_never_suggested(session, bank):
    requester, blocked_by_them, blocking_them, neighbour = (
        MemberFactory(bank=bank) for _ in range(4)
    )
    for helper in (blocked_by_them, blocking_them, neighbour):
        offer_at(helper)
    broker = MemberFactory(bank=bank, role="broker")
    for member, blocked in ((requester, blocked_by_them), (blocking_them, requester)):
        session.add(
            MemberBlock(
                bank_id=bank.id,
                member_id=member.id,
                blocked_member_id=blocked.id,
                recorded_by_id=broker.id,
            )
        )
    session.commit()
    request = post_request(requester)

    assert suggested_ids(session, bank, request) == [neighbour.id, broker.id]


def test_a_helper_with_proposals_waiting_ranks_below_an_idle_one(session, bank):
    requester = MemberFactory(bank=bank, area="Catford")
    busy, idle = (MemberFactory(bank=bank, area="Catford") for _ in range(2))
    offer_at(busy, title="Weeding")
    offer_at(idle, title="Weeding")
    request = post_request(requester, title="Weeding")
    others = [post_request(MemberFactory(bank=bank), title=f"Other {n}") for n in range(5)]
    for other in others:
        propose(session, bank, other, busy, 3, status="sent")

    assert suggested_ids(session, bank, request)[:2] == [idle.id, busy.id]


def test_another_banks_request_is_not_found(session, bank):
    elsewhere = post_request(MemberFactory(bank=TimeBankFactory()))

    with pytest.raises(NotFound):
        suggest_helpers(session, bank.id, elsewhere.id)


def test_helpers_are_suggested_only_for_requests_not_offers(session, bank):
    offer = ListingFactory(member=MemberFactory(bank=bank))

    with pytest.raises(InvalidInput) as error:
        suggest_helpers(session, bank.id, offer.id)

    assert "not a request" in error.value.message


def test_the_limit_caps_how_many_are_suggested(session, bank):
    requester = MemberFactory(bank=bank)
    for _ in range(4):
        ListingFactory(member=MemberFactory(bank=bank))
    request = post_request(requester)

    assert len(suggested_ids(session, bank, request, limit=2)) == 2


def test_the_demo_bank_gets_suggestions_for_its_open_requests(session):
    from timebank.demo.seed import seed_demo_bank

    today = dt.date(2025, 3, 31)
    bank = seed_demo_bank(session, today=today)
    request = session.scalars(
        sa.select(Listing).where(
            Listing.bank_id == bank.id,
            Listing.kind == "request",
            Listing.title == "A lift to the eye clinic",
        )
    ).one()
    noon = dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)

    suggestions = suggest_helpers(session, bank.id, request.id, now=lambda: noon)

    assert len(suggestions) == 10
    assert request.member_id not in {s.member_id for s in suggestions}
    assert "offers transport and lifts" in suggestions[0].reasons
    assert all(s.reasons for s in suggestions)


# --- The fast way gives the same list as ranking everyone read in full -----------------------

CATEGORIES = ("Gardening", "Pets", "IT help", "Care and wellbeing", "Transport and lifts")
WORDS = ("weeding", "hedges", "dog", "walks", "laptop", "printer", "lifts", "shopping", "tea")
AREAS = ("Catford", "Lewisham", "Penge", "O'Brien Park", "")


def random_bank(session, bank, rng: random.Random, members: int = 60) -> list[Listing]:
    """Fill the bank with members of every kind, offers, proposals, checks and blocks."""
    people = [
        MemberFactory(
            bank=bank,
            display_name=f"Person{n} Test",
            status=rng.choice(("active", "active", "active", "applicant", "suspended")),
            area=rng.choice(AREAS) or None,
            availability=rng.choice(("Tuesday mornings", "Weekends", "", "Evenings")),
        )
        for n in range(members)
    ]
    broker = MemberFactory(bank=bank, role="broker")
    for person in rng.sample(people, members // 10):
        record_opt_out(session, bank.id, person.mobile_e164, NOW)
    for _ in range(members * 3):
        owner = rng.choice(people)
        session.add(
            Listing(
                bank_id=bank.id,
                member_id=owner.id,
                kind="offer",
                skill_category=rng.choice(CATEGORIES),
                title=" ".join(rng.sample(WORDS, 2)),
                description=" ".join(rng.sample(WORDS, rng.randint(0, 4))),
                area=owner.area or "",
                slots=rng.choice((0, rng.getrandbits(21))),
                travel=rng.choice(("own_area", "nearby", "anywhere")),
                status=rng.choice(("open", "open", "open", "closed")),
            )
        )
    requests = [
        Listing(
            bank_id=bank.id,
            member_id=rng.choice(people).id,
            kind="request",
            skill_category=rng.choice(CATEGORIES),
            title=" ".join(rng.sample(WORDS, 2)),
            description=" ".join(rng.sample(WORDS, 3)),
            availability=rng.choice(("Tuesday mornings", "")),
            area=rng.choice(AREAS),
            slots=rng.choice((0, rng.getrandbits(21))),
            needs_check=rng.random() < 0.2,
        )
        for _ in range(12)
    ]
    session.add_all(requests)
    session.flush()
    pairs = [(request, person) for request in requests for person in people]
    for request, person in rng.sample(pairs, members * 2):
        status = rng.choice(("sent", "sent", "accepted", "declined"))
        sent = NOW - dt.timedelta(days=rng.randint(0, 120))
        session.add(
            Proposal(
                bank_id=bank.id,
                request_id=request.id,
                helper_id=person.id,
                proposed_by_id=broker.id,
                channel="web",
                status=status,
                created_at=sent,
                updated_at=sent,
                answered_at=None if status == "sent" else sent,
            )
        )
    for person in rng.sample(people, members // 3):
        session.add(
            MemberCheck(
                bank_id=bank.id,
                member_id=person.id,
                checked_on=dt.date(2024, 1, 1),
                expires_on=rng.choice((None, NOW.date(), dt.date(2025, 1, 1))),
                recorded_by_id=broker.id,
            )
        )
    blocks = set()
    for request in requests[:6]:
        other = rng.choice([p for p in people if p.id != request.member_id]).id
        blocks.add(rng.choice(((request.member_id, other), (other, request.member_id))))
    for blocker, blocked in sorted(blocks):
        session.add(
            MemberBlock(
                bank_id=bank.id,
                member_id=blocker,
                blocked_member_id=blocked,
                recorded_by_id=broker.id,
            )
        )
    session.commit()
    for _ in range(members):
        giver, receiver = rng.sample(people[: members // 2], 2)
        if giver.status == receiver.status == "active":
            record_exchange(
                session,
                ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 30, receiver.id),
            )
    return requests


# Which areas are near which: none (as today), and some, one with a quote in its name.
NEARBY = {"Catford": frozenset({"Lewisham", "O'Brien Park"}), "Penge": frozenset({"Catford"})}


@pytest.mark.parametrize(("seed", "nearby"), [(1, {}), (2, NEARBY)], ids=["none", "nearby"])
def test_suggestions_equal_ranking_everyone_read_in_full(session, bank, seed, nearby, monkeypatch):
    requests = random_bank(session, bank, random.Random(seed))
    # Tiny reads make the fast way widen its reads and look beyond the category too.
    monkeypatch.setattr(candidates, "FIRST_READ", 3)
    monkeypatch.setattr(candidates, "OFFERS_BATCH", 2)
    monkeypatch.setattr(candidates, "NEARBY_AREAS", nearby)

    suggested = 0
    for request in requests:
        for limit, for_requester in ((10, False), (3, True), (40, False)):
            fast = suggest_helpers(
                session, bank.id, request.id, limit, lambda: NOW, for_requester=for_requester
            )
            full = reference_suggestions(
                session, bank.id, request.id, limit, lambda: NOW, for_requester=for_requester
            )
            assert fast == full
            suggested += len(fast)
    assert suggested > 100
