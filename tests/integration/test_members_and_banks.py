"""Time banks and members: what the ledger needs of them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.errors import InvalidInput, NotFound
from timebank.ledger.models import Account
from timebank.members.models import Member, Organisation
from timebank.membership.banks import create_time_bank
from timebank.membership.services import account_of, add_member, set_member_status
from timebank.phones import InvalidPhoneNumber


def test_a_new_bank_has_a_community_pot_and_its_own_account(session):
    bank = create_time_bank(session, "Catford Time Bank", "catford", overdraft_minutes=-300)
    kinds = session.scalars(
        sa.select(Organisation.kind)
        .where(Organisation.bank_id == bank.id)
        .order_by(Organisation.kind)
    ).all()
    assert kinds == ["bank", "community_pot"]
    assert session.scalar(sa.select(sa.func.count()).where(Account.bank_id == bank.id)) == 2
    assert bank.overdraft_minutes == -300 and bank.hourly_value_pence == 1390


def test_bank_short_names_are_unique_and_well_formed(session):
    create_time_bank(session, "Catford", "catford")
    with pytest.raises(InvalidInput, match="already"):
        create_time_bank(session, "Catford again", "catford")
    with pytest.raises(InvalidInput, match="lower-case"):
        create_time_bank(session, "Bad", "Not A Slug")


def test_members_mobile_is_stored_as_e164_and_their_account_takes_the_bank_limits(session):
    bank = TimeBankFactory(overdraft_minutes=-240, max_balance_minutes=3000)
    member = add_member(session, bank.id, "  Jane  ", mobile="07123 456789", email="J@X.org")
    assert (member.display_name, member.mobile_e164, member.email) == (
        "Jane",
        "+447123456789",
        "j@x.org",
    )
    account = account_of(session, bank.id, member.id)
    assert (account.min_balance, account.max_balance, account.balance) == (-240, 3000, 0)


def test_a_malformed_mobile_number_is_refused_and_nothing_is_written(session, bank):
    with pytest.raises(InvalidPhoneNumber):
        add_member(session, bank.id, "Jane", mobile="0712")
    assert session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_two_members_of_one_bank_cannot_share_a_mobile_but_two_banks_can(session, bank):
    add_member(session, bank.id, "Jane", mobile="07123 456789")
    with pytest.raises(InvalidInput, match="already has that mobile"):
        add_member(session, bank.id, "Janet", mobile="+447123456789")
    other = TimeBankFactory()
    assert add_member(session, other.id, "Jane", mobile="07123 456789").bank_id == other.id


def test_suspending_a_member_closes_their_account_and_reactivating_opens_it(session, bank):
    member = MemberFactory(bank=bank)
    set_member_status(session, bank.id, member.id, "suspended")
    assert account_of(session, bank.id, member.id).is_open is False
    set_member_status(session, bank.id, member.id, "active")
    assert account_of(session, bank.id, member.id).is_open is True


def test_a_member_of_another_bank_is_not_found_here(session, bank):
    outsider = MemberFactory()
    with pytest.raises(NotFound):
        set_member_status(session, bank.id, outsider.id, "left")
    with pytest.raises(NotFound):
        account_of(session, bank.id, outsider.id)


def test_roles_nest_admin_over_broker_over_member(bank):
    admin = MemberFactory(bank=bank, role="admin")
    member = MemberFactory(bank=bank)
    assert admin.has_role("broker") and admin.has_role("member")
    assert not member.has_role("broker")


def test_unknown_roles_and_statuses_are_refused(session, bank):
    with pytest.raises(InvalidInput, match="role"):
        add_member(session, bank.id, "Jane", role="king")
    with pytest.raises(InvalidInput, match="status"):
        add_member(session, bank.id, "Jane", status="asleep")


def test_joining_date_and_account_opening_follow_the_given_clock(session, bank):
    import datetime as dt

    when = dt.datetime(2026, 5, 1, 9, 30, tzinfo=dt.UTC)
    member = add_member(session, bank.id, "Jane", now=lambda: when)
    account = account_of(session, bank.id, member.id)
    assert member.joined_at.replace(tzinfo=dt.UTC) == when
    assert account.opened_at.replace(tzinfo=dt.UTC) == when
