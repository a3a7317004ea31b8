"""Suggesting helpers for a request from the members in the database."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.broker.candidates import gather_candidates, parse_slots, suggest_helpers
from timebank.broker.matching import PARTS, Slot
from timebank.errors import InvalidInput, NotFound
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.services import set_member_status
from timebank.offers.models import Listing
from timebank.offers.services import contact_listing
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


def test_candidates_carry_balance_met_and_proposals_from_the_database(session, bank):
    requester, helper, busy = (MemberFactory(bank=bank) for _ in range(3))
    askers = [MemberFactory(bank=bank) for _ in range(3)]
    # The helper gave the requester an hour, logged by the requester so it posts at once.
    record_exchange(
        session, ExchangeRequest(uuid.uuid4(), bank.id, helper.id, requester.id, 60, requester.id)
    )
    offer = ListingFactory(member=busy)
    for days_ago, asker in zip((40, 5, 2), askers, strict=True):
        contact_listing(
            session, bank.id, asker.id, offer.id, now=lambda d=days_ago: NOW - dt.timedelta(days=d)
        )
    # Busy contacted the first asker back: one answered, the two recent ones still open.
    asked = ListingFactory(member=askers[0], kind="request", title="Lifts")
    contact_listing(session, bank.id, busy.id, asked.id, now=lambda: NOW - dt.timedelta(days=39))

    found = {c.member_id: c for c in gather_candidates(session, bank.id, requester.id, NOW)}

    assert (found[helper.id].balance_minutes, found[helper.id].has_met_requester) == (60, True)
    assert found[helper.id].wants_to_earn is False
    assert found[busy.id].has_met_requester is False
    assert (
        found[busy.id].proposals_sent_90d,
        found[busy.id].proposals_answered_90d,
        found[busy.id].proposals_open,
    ) == (3, 1, 2)


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
