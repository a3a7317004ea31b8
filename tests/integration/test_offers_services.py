"""Offers and requests services: posting, searching, closing and answering."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.errors import InvalidDetail, InvalidInput, NotAllowed, NotFound
from timebank.membership.services import set_member_status
from timebank.offers.models import ListingContact
from timebank.offers.queries import ListingSearch, own_listings, search_listings
from timebank.offers.services import (
    AlreadyContacted,
    ListingDraft,
    close_listing,
    contact_listing,
    contact_text,
    post_listing,
    update_listing,
)
from timebank.offers.skills import set_category_shown
from timebank.offers.times import Slot, mask_in_words, mask_to_slots
from timebank.sms.gsm import segment_count
from timebank.sms.models import OutboxMessage


def at(hour: int, day: int = 1):
    return lambda: dt.datetime(2025, 3, day, hour, tzinfo=dt.UTC)


def titles(session, bank, viewer, **search) -> list[str]:
    page = search_listings(session, bank.id, viewer.id, ListingSearch(**search))
    return [row.listing.title for row in page.rows]


def test_posting_checks_the_skill_category_and_title(session, bank):
    member = MemberFactory(bank=bank)

    with pytest.raises(InvalidDetail) as no_title:
        post_listing(session, bank.id, member.id, ListingDraft("offer", "Gardening", "  "))
    with pytest.raises(InvalidDetail) as bad_skill:
        post_listing(session, bank.id, member.id, ListingDraft("offer", "Juggling", "Juggling"))

    assert (no_title.value.field, bad_skill.value.field) == ("title", "skill_category")


def test_suspended_members_cannot_post(session, bank):
    member = MemberFactory(bank=bank)
    set_member_status(session, bank.id, member.id, "suspended")

    with pytest.raises(NotAllowed):
        post_listing(session, bank.id, member.id, ListingDraft("offer", "Gardening", "Hedges"))


def test_search_matches_every_word_in_title_description_or_skill(session, bank):
    poster, viewer = MemberFactory(bank=bank), MemberFactory(bank=bank)
    ListingFactory(member=poster, title="Lawn mowing", description="Front and back gardens")
    ListingFactory(member=poster, title="Tomato seedlings", skill_category="Gardening")
    ListingFactory(member=poster, title="Video calls", skill_category="IT help")

    assert titles(session, bank, viewer, words="GARDEN front") == ["Lawn mowing"]
    assert sorted(titles(session, bank, viewer, words="gardening")) == [
        "Lawn mowing",
        "Tomato seedlings",
    ]
    assert titles(session, bank, viewer, skill_category="IT help") == ["Video calls"]


def test_search_leaves_out_own_closed_departed_and_other_banks_listings(session, bank):
    viewer, poster, leaver = (MemberFactory(bank=bank) for _ in range(3))
    ListingFactory(member=viewer, title="Mine")
    closed = ListingFactory(member=poster, title="Closed one")
    close_listing(session, bank.id, poster.id, closed.id)
    ListingFactory(member=leaver, title="From a leaver")
    set_member_status(session, bank.id, leaver.id, "left")
    ListingFactory(member=MemberFactory(bank=TimeBankFactory()), title="Elsewhere")
    ListingFactory(member=poster, title="Shown")

    assert titles(session, bank, viewer) == ["Shown"]


def test_update_keeps_the_kind_and_only_the_owner_may_change(session, bank):
    owner, other = MemberFactory(bank=bank), MemberFactory(bank=bank)
    listing = ListingFactory(member=owner, kind="request", title="Old title")
    draft = ListingDraft("offer", "Pets", "Dog walking")

    update_listing(session, bank.id, owner.id, listing.id, draft)
    with pytest.raises(NotFound):
        update_listing(session, bank.id, other.id, listing.id, draft)

    assert (listing.kind, listing.title, listing.skill_category) == (
        "request",
        "Dog walking",
        "Pets",
    )


def test_own_listings_count_answers(session, bank):
    owner, helper = MemberFactory(bank=bank), MemberFactory(bank=bank)
    listing = ListingFactory(member=owner)
    contact_listing(session, bank.id, helper.id, listing.id, "Hello")

    assert [(o.listing.id, o.answers) for o in own_listings(session, bank.id, owner.id)] == [
        (listing.id, 1)
    ]


def test_contact_is_recorded_with_its_text_in_one_transaction(session, bank):
    owner = MemberFactory(bank=bank, mobile="07450 120567")
    helper = MemberFactory(bank=bank, display_name="Joyce Campbell")
    listing = ListingFactory(member=owner, kind="request", title="Lifts to the surgery")

    result = contact_listing(session, bank.id, helper.id, listing.id, "Any Tuesday")

    text = session.scalars(sa.select(OutboxMessage)).one()
    assert result.texted and result.contact.message == "Any Tuesday"
    assert (text.to_e164, text.member_id, text.purpose) == (
        "+447450120567",
        owner.id,
        "listing_contact",
    )
    assert text.body == (
        f"Joyce from {bank.name} can help with your request: lifts to the surgery. "
        "Sign in to reply."
    )


def test_no_text_for_a_member_without_a_mobile(session, bank):
    owner = MemberFactory(bank=bank, mobile=None)
    listing = ListingFactory(member=owner)

    result = contact_listing(session, bank.id, MemberFactory(bank=bank).id, listing.id)

    assert not result.texted
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_one_contact_a_day_per_member_and_listing(session, bank):
    listing = ListingFactory(member=MemberFactory(bank=bank))
    helper = MemberFactory(bank=bank)
    contact_listing(session, bank.id, helper.id, listing.id, now=at(9))

    with pytest.raises(AlreadyContacted):
        contact_listing(session, bank.id, helper.id, listing.id, now=at(20))
    contact_listing(session, bank.id, helper.id, listing.id, now=at(10, day=2))

    assert session.scalar(sa.select(sa.func.count()).select_from(ListingContact)) == 2


def test_no_contacting_your_own_or_a_closed_listing(session, bank):
    owner = MemberFactory(bank=bank)
    own = ListingFactory(member=owner)
    closed = ListingFactory(member=MemberFactory(bank=bank))
    close_listing(session, bank.id, closed.member_id, closed.id)

    with pytest.raises(InvalidInput, match="your own"):
        contact_listing(session, bank.id, owner.id, own.id)
    with pytest.raises(InvalidInput, match="closed"):
        contact_listing(session, bank.id, owner.id, closed.id)


def test_another_banks_listing_is_not_found(session, bank):
    elsewhere = ListingFactory(member=MemberFactory(bank=TimeBankFactory()))

    with pytest.raises(NotFound):
        contact_listing(session, bank.id, MemberFactory(bank=bank).id, elsewhere.id)


def test_contact_text_stays_in_one_segment_for_a_long_title(session, bank):
    sender = MemberFactory(bank=bank, display_name="Bernadette Okafor", mobile="07450 120567")
    sender.show_mobile = True
    listing = ListingFactory(member=MemberFactory(bank=bank), title="A" + " very long title" * 7)

    body = contact_text(sender, "Ravensbourne Time Bank", listing)

    assert segment_count(body) == 1 and "..." in body and "07450 120567" in body


def test_demo_bank_has_open_offers_and_requests_and_members_with_skills(session):
    from timebank.demo.seed import seed_demo_bank
    from timebank.members.models import Member

    bank = seed_demo_bank(session, today=dt.date(2025, 3, 31))
    dorothy = session.scalars(
        sa.select(Member).where(Member.display_name == "Dorothy Palmer")
    ).one()

    page = search_listings(session, bank.id, dorothy.id, ListingSearch(words="lift"))
    requests = search_listings(session, bank.id, dorothy.id, ListingSearch(kind="request"))

    assert [row.listing.title for row in page.rows] == [
        "A lift to the eye clinic",
        "Lifts to the surgery and hospital",
    ]
    assert requests.total >= 3
    assert dorothy.skills == "Befriending and conversation, Creative and crafts"
    assert dorothy.availability and dorothy.help_wanted and dorothy.consent_at


def test_a_listing_keeps_its_times_travel_and_need_for_a_check(session, bank):
    member = MemberFactory(bank=bank)
    times = frozenset({Slot(0, "evening"), Slot(5, "morning")})

    offer = post_listing(
        session,
        bank.id,
        member.id,
        ListingDraft("offer", "Gardening", "Mowing", slots=times, travel="own_area"),
    )
    request = post_listing(
        session,
        bank.id,
        member.id,
        ListingDraft("request", "Gardening", "Hedge", travel="anywhere", needs_check=True),
    )

    assert mask_to_slots(offer.slots) == times
    assert (offer.travel, offer.needs_check) == ("own_area", False)
    assert (request.slots, request.travel, request.needs_check) == (0, "nearby", True)
    assert mask_in_words(offer.slots) == "Monday evenings; Saturday mornings"
    with pytest.raises(InvalidDetail) as far:
        post_listing(
            session, bank.id, member.id, ListingDraft("offer", "Gardening", "X", travel="moon")
        )
    assert far.value.field == "travel"


def test_a_listing_in_a_category_hidden_since_can_still_be_changed(session, bank, admin):
    member = MemberFactory(bank=bank)
    listing = ListingFactory(member=member, skill_category="Pets", title="Dog walks")
    set_category_shown(session, bank.id, admin.id, "Pets", shown=False)

    changed = update_listing(
        session, bank.id, member.id, listing.id, ListingDraft("offer", "Pets", "Dog walking")
    )

    assert (changed.title, changed.skill_category) == ("Dog walking", "Pets")
