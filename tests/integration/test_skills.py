"""Skill categories: the defaults, a bank's own list, and how admins edit it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.errors import InvalidInput, NotFound
from timebank.offers import skills
from timebank.offers.models import Listing, SkillCategory
from timebank.offers.services import ListingDraft, close_listing, post_listing
from timebank.tenancy.models import BrokerAction


def audit_actions(session, bank) -> list[str]:
    return list(
        session.scalars(
            sa.select(BrokerAction.action)
            .where(BrokerAction.bank_id == bank.id)
            .order_by(BrokerAction.id)
        )
    )


def test_a_bank_without_its_own_list_uses_the_defaults(session, bank):
    assert skills.skill_categories(session, bank.id) == skills.DEFAULT_SKILL_CATEGORIES
    assert skills.category_needs_check(session, bank.id, "Care and wellbeing")
    assert not skills.category_needs_check(session, bank.id, "Gardening")
    assert session.scalar(sa.select(sa.func.count()).select_from(SkillCategory)) == 0


def test_the_first_edit_copies_the_defaults_and_adds_at_the_end(session, bank, admin):
    skills.add_category(session, bank.id, admin.id, "  Home   visits ", needs_check=True)

    names = skills.skill_categories(session, bank.id)
    assert names == (*skills.DEFAULT_SKILL_CATEGORIES, "Home visits")
    assert skills.category_needs_check(session, bank.id, "Home visits")
    assert skills.category_needs_check(session, bank.id, "Care and wellbeing")
    assert audit_actions(session, bank) == ["skill_added"]


def test_names_must_be_given_and_differ_from_the_others(session, bank, admin):
    with pytest.raises(InvalidInput, match="Enter a name"):
        skills.add_category(session, bank.id, admin.id, "   ")
    with pytest.raises(InvalidInput, match="already a kind of help called gardening"):
        skills.add_category(session, bank.id, admin.id, "gardening")
    with pytest.raises(InvalidInput, match="at most 60"):
        skills.add_category(session, bank.id, admin.id, "x" * 61)


def test_renaming_moves_open_listings_but_not_closed_ones(session, bank, admin):
    joyce = MemberFactory(bank=bank)
    still_open = ListingFactory(member=joyce, skill_category="Pets", title="Dog walks")
    closed = ListingFactory(member=joyce, skill_category="Pets", title="Cat sitting")
    close_listing(session, bank.id, joyce.id, closed.id)

    skills.rename_category(session, bank.id, admin.id, "Pets", "Pets and animals")

    session.expire_all()
    assert session.get(Listing, still_open.id).skill_category == "Pets and animals"
    assert session.get(Listing, closed.id).skill_category == "Pets"
    names = skills.skill_categories(session, bank.id)
    assert "Pets and animals" in names and "Pets" not in names
    assert audit_actions(session, bank) == ["skill_renamed"]


def test_moving_up_and_down_reorders_the_list(session, bank, admin):
    skills.move_category(session, bank.id, admin.id, "Gardening", up=True)
    skills.move_category(session, bank.id, admin.id, "Other", up=False)  # already last

    names = skills.skill_categories(session, bank.id)
    assert names[:2] == ("Gardening", "Practical help") and names[-1] == "Other"


def test_a_hidden_category_is_not_offered_for_new_listings(session, bank, admin):
    joyce = MemberFactory(bank=bank)
    skills.set_category_shown(session, bank.id, admin.id, "Pets", shown=False)

    assert "Pets" not in skills.skill_categories(session, bank.id)
    assert any(c.name == "Pets" and not c.active for c in skills.all_categories(session, bank.id))
    with pytest.raises(InvalidInput):
        post_listing(session, bank.id, joyce.id, ListingDraft("offer", "Pets", "Dog walks"))

    skills.set_category_shown(session, bank.id, admin.id, "Pets", shown=True)
    assert "Pets" in skills.skill_categories(session, bank.id)
    assert audit_actions(session, bank) == ["skill_hidden", "skill_shown"]


def test_a_request_in_a_category_that_needs_a_check_needs_one(session, bank, admin):
    joyce = MemberFactory(bank=bank)
    skills.set_category_needs_check(session, bank.id, admin.id, "Practical help", True)

    request = post_listing(
        session, bank.id, joyce.id, ListingDraft("request", "Practical help", "Shelves")
    )
    offer = post_listing(
        session, bank.id, joyce.id, ListingDraft("offer", "Practical help", "Shelves")
    )

    assert request.needs_check and not offer.needs_check


def test_one_banks_edits_never_show_in_another_bank(session, bank, admin):
    other = TimeBankFactory()
    skills.add_category(session, bank.id, admin.id, "Home visits")
    skills.set_category_shown(session, bank.id, admin.id, "Pets", shown=False)

    assert skills.skill_categories(session, other.id) == skills.DEFAULT_SKILL_CATEGORIES
    with pytest.raises(NotFound):
        skills.rename_category(session, other.id, admin.id, "Home visits", "Visits")
    rows_of_other = sa.select(sa.func.count()).where(SkillCategory.bank_id == other.id)
    assert session.scalar(rows_of_other) == 0  # the failed edit copied nothing
