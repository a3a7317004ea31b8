"""Every service that takes an acting member checks them: role, bank and status.

Each case below calls one service as a plain member, as an admin of another bank and as a
suspended member who holds the role the service needs (a broker below an admin, too). Each
must be refused with NotAllowed and leave the database exactly as it was; then the same
call by an active member with the role succeeds. A new service whose signature names an
acting member must be added to CASES, or the last test fails.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

import timebank
from tests.factories import ListingFactory, MemberFactory, TimeBankFactory
from timebank.broker import (
    exchange_links,
    introductions,
    outreach_actions,
    outreach_worklist,
    proposal_checks,
    proposals,
    safeguarding,
)
from timebank.broker.joining import set_join_date
from timebank.broker.models import OutreachFlag
from timebank.db import Base
from timebank.errors import NotAllowed
from timebank.ledger import pot, resolutions
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.members.models import Member
from timebank.membership import bank_settings, banks, organisations, signup
from timebank.membership.services import set_member_status
from timebank.offers import services as offers
from timebank.offers import skills
from timebank.porting import invitations
from timebank.porting import services as porting
from timebank.referrals import partners
from timebank.referrals import services as referrals
from timebank.referrals.models import Referral
from timebank.tenancy.models import TimeBank

# Parameters that name the member doing something, as services spell them.
ACTING_PARAMETERS = frozenset({"actor_id", "broker_id", "admin_id"})
# Functions with such a parameter that are not services: they record who acted for the
# service that called them, inside its transaction, after it checked.
NOT_SERVICES = frozenset(
    {
        "timebank.tenancy.audit.record_action",
        "timebank.referrals.services.move",
        "timebank.members.acting.acting_member",
    }
)
# The edges call services; they are not services themselves.
EDGES = frozenset({"web", "api", "texting", "demo", "schedule", "health", "responses"})
TODAY = dt.date.today()


@dataclass
class World:
    """A bank with its staff and members, and another bank with its own admin."""

    session: so.Session
    bank: TimeBank
    admin: Member
    broker: Member
    jane: Member
    sam: Member

    @property
    def bank_id(self) -> int:
        return self.bank.id

    def member(self, **fields: Any) -> Member:
        return MemberFactory(bank=self.bank, **fields)

    def request(self) -> int:
        """Return Jane's open request for help in her garden."""
        return ListingFactory(member=self.jane, kind="request", title="Help in my garden").id

    def proposal(self, answered: bool = False) -> int:
        """Return a proposal asking Sam to help Jane, accepted by Sam when `answered`."""
        (proposal,) = proposals.send_proposals(
            self.session, self.bank_id, self.broker.id, self.request(), [self.sam.id], "web", ""
        )
        if answered:
            proposals.answer_proposal(self.session, self.bank_id, proposal.id, self.sam.id, True)
        return proposal.id

    def flag(self) -> int:
        """Return an open outreach flag on Jane."""
        flag = OutreachFlag(
            bank_id=self.bank_id,
            member_id=self.jane.id,
            rule="inactive",
            reason="No exchange for 90 days.",
            since=TODAY - dt.timedelta(days=90),
        )
        self.session.add(flag)
        self.session.commit()
        return flag.id

    def pending(self) -> uuid.UUID:
        """Return an hour Sam logged for Jane, waiting for her to confirm."""
        transfer_id = uuid.uuid4()
        exchange = ExchangeRequest(
            transfer_id, self.bank_id, self.sam.id, self.jane.id, 60, self.sam.id
        )
        record_exchange(self.session, exchange)
        return transfer_id

    def referral(self) -> int:
        """Return a referral whose patient said yes to being contacted."""
        referral = Referral(
            bank_id=self.bank_id,
            patient_e164="+447812345678",
            first_name="Nia",
            status="consented",
        )
        self.session.add(referral)
        self.session.commit()
        return referral.id

    def partner(self) -> int:
        return partners.add_partner(self.session, self.bank_id, self.admin.id, "Lee Surgery").id


# A case prepares what the service acts on and returns the call, given the acting member.
Call = Callable[[int], object]
Prepare = Callable[[World], Call]


def _link_exchange(w: World) -> Call:
    proposal_id = w.proposal(answered=True)
    introductions.mark_matched(w.session, w.bank_id, w.broker.id, proposal_id)
    transfer_id = w.pending()
    return lambda by: exchange_links.link_exchange(
        w.session, w.bank_id, by, proposal_id, transfer_id
    )


def _introduce(w: World) -> Call:
    proposal_id = w.proposal(answered=True)
    return lambda by: introductions.introduce(w.session, w.bank_id, by, proposal_id, None, "", "")


def _mark_matched(w: World) -> Call:
    proposal_id = w.proposal(answered=True)
    return lambda by: introductions.mark_matched(w.session, w.bank_id, by, proposal_id)


def _withdraw(w: World) -> Call:
    proposal_id = w.proposal(answered=True)
    return lambda by: introductions.withdraw(w.session, w.bank_id, by, proposal_id, "Away")


def _record_reply(w: World) -> Call:
    proposal_id = w.proposal()
    return lambda by: proposals.record_reply(w.session, w.bank_id, by, proposal_id, True, "")


def _send_proposals(w: World) -> Call:
    request_id = w.request()
    return lambda by: proposals.send_proposals(
        w.session, w.bank_id, by, request_id, [w.sam.id], "web", ""
    )


def _on_flag(action: Callable[..., object], *args: Any) -> Prepare:
    def prepare(w: World) -> Call:
        flag_id = w.flag()
        return lambda by: action(w.session, w.bank_id, flag_id, by, *args)

    return prepare


def _assign(w: World) -> Call:
    flag_id = w.flag()
    return lambda by: outreach_actions.assign(w.session, w.bank_id, flag_id, by, w.broker.id)


def _record_check(w: World) -> Call:
    return lambda by: safeguarding.record_check(
        w.session, w.bank_id, by, w.sam.id, TODAY - dt.timedelta(days=3)
    )


def _withdraw_check(w: World) -> Call:
    check = safeguarding.record_check(w.session, w.bank_id, w.broker.id, w.sam.id, TODAY)
    return lambda by: safeguarding.withdraw_check(w.session, w.bank_id, by, check.id)


def _block(w: World) -> Call:
    return lambda by: safeguarding.block(w.session, w.bank_id, by, w.jane.id, w.sam.id, "Asked")


def _unblock(w: World) -> Call:
    found = safeguarding.block(w.session, w.bank_id, w.broker.id, w.jane.id, w.sam.id, "Asked")
    return lambda by: safeguarding.unblock(w.session, w.bank_id, by, found.id)


def _do_not_contact(w: World) -> Call:
    return lambda by: safeguarding.set_do_not_contact(w.session, w.bank_id, by, w.jane.id, True)


def _confirm(w: World) -> Call:
    pending_id = w.pending()
    return lambda by: resolutions.confirm_pending(
        w.session, w.bank_id, pending_id, uuid.uuid4(), by
    )


def _decline(w: World) -> Call:
    pending_id = w.pending()
    return lambda by: resolutions.decline_pending(
        w.session, w.bank_id, pending_id, uuid.uuid4(), by, "Not me"
    )


def _reverse(w: World) -> Call:
    confirmation_id = uuid.uuid4()
    resolutions.confirm_pending(w.session, w.bank_id, w.pending(), confirmation_id, w.jane.id)
    return lambda by: resolutions.reverse_transfer(
        w.session, w.bank_id, confirmation_id, uuid.uuid4(), by, "Logged twice"
    )


def _record_for_others(w: World) -> Call:
    def call(by: int) -> object:
        exchange = ExchangeRequest(uuid.uuid4(), w.bank_id, w.sam.id, w.jane.id, 60, by)
        return record_exchange(w.session, exchange)

    return call


def _record_group_for_others(w: World) -> Call:
    def call(by: int) -> object:
        group = GroupExchangeRequest(uuid.uuid4(), w.bank_id, [w.sam.id], [w.jane.id], 60, by)
        return record_group_exchange(w.session, group)

    return call


def _donate_for_someone(w: World) -> Call:
    return lambda by: pot.donate_to_pot(
        w.session, pot.PotDonation(uuid.uuid4(), w.bank_id, w.sam.id, 30, by)
    )


def _grant(w: World) -> Call:
    pot.donate_to_pot(w.session, pot.PotDonation(uuid.uuid4(), w.bank_id, w.sam.id, 60, w.sam.id))
    return lambda by: pot.grant_from_pot(
        w.session, pot.PotGrant(uuid.uuid4(), w.bank_id, w.jane.id, 30, by, "A hard month")
    )


def _sign_up(w: World) -> Call:
    details = signup.SignUp(name="Nia Newcomer", mobile="07956 100123", consent=True)
    return lambda by: signup.sign_up_member(
        w.session, w.bank_id, by, details, "https://example.org/sign-in"
    )


def _close_listing(w: World) -> Call:
    listing_id = w.request()
    return lambda by: offers.close_for_broker(w.session, w.bank_id, by, listing_id)


def _skills(action: Callable[..., object], *args: Any) -> Prepare:
    return lambda w: lambda by: action(w.session, w.bank_id, by, *args)


def _partner_number(w: World) -> Call:
    partner_id = w.partner()
    return lambda by: partners.add_partner_number(
        w.session, w.bank_id, by, partner_id, "07400 000222"
    )


def _remove_partner_number(w: World) -> Call:
    partner_id = w.partner()
    number = partners.add_partner_number(
        w.session, w.bank_id, w.admin.id, partner_id, "07400 000222"
    )
    return lambda by: partners.remove_partner_number(
        w.session, w.bank_id, by, partner_id, number.id
    )


def _partner_active(w: World) -> Call:
    partner_id = w.partner()
    return lambda by: partners.set_partner_active(w.session, w.bank_id, by, partner_id, False)


def _on_referral(action: Callable[..., object], *args: Any) -> Prepare:
    def prepare(w: World) -> Call:
        referral_id = w.referral()
        return lambda by: action(w.session, w.bank_id, referral_id, *args, by)

    return prepare


def _link_member(w: World) -> Call:
    referral_id = w.referral()
    return lambda by: referrals.link_member(w.session, w.bank_id, referral_id, w.jane.id, by)


def _close_referral(w: World) -> Call:
    referral_id = w.referral()
    return lambda by: referrals.close_referral(w.session, w.bank_id, referral_id, by, "Moved")


def _plain(action: Callable[..., object], *args: Any) -> Prepare:
    return lambda w: lambda by: action(w.session, w.bank_id, by, *args)


def _reverse_exchange(w: World) -> Call:
    exchange_id = w.pending()
    resolutions.confirm_pending(w.session, w.bank_id, exchange_id, uuid.uuid4(), w.jane.id)
    return lambda by: resolutions.reverse_exchange_hours(
        w.session, w.bank_id, exchange_id, uuid.uuid4(), by, "Logged twice"
    )


def _close_someone_elses(w: World) -> Call:
    listing_id = w.request()
    return lambda by: offers.close_by_owner_or_broker(w.session, w.bank_id, by, listing_id)


def _link_partner_account(w: World) -> Call:
    partner_id = w.partner()
    practice = organisations.open_organisation_account(
        w.session, w.bank_id, w.admin.id, "Lee Surgery", "gp_practice"
    )
    return lambda by: partners.link_partner_account(
        w.session, w.bank_id, by, partner_id, practice.id
    )


def _change_settings(w: World) -> Call:
    form = bank_settings.SettingsForm(
        name="Renamed Time Bank",
        overdraft_hours="20",
        max_balance_hours="",
        largest_exchange_hours="12",
        confirm_days="7",
        exchange_past_days="60",
        on_expiry="confirm",
        timezone="Europe/London",
        sms_number="",
        sms_sender="",
        reply_days="14",
        retention_days="365",
        mobile_countries="GB",
    )
    return lambda by: bank_settings.change_bank_settings(w.session, w.bank_id, by, form)


def _import_files(w: World) -> Call:
    members = (
        b"id,name,kind,mobile,email,role,status,area,joined_at,left_at,skills,help_wanted,"
        b"availability\n1,Ola Brown,member,07956 100321,,member,active,,2024-03-01,,,,\n"
    )
    return lambda by: porting.import_by_admin(
        w.session, w.bank_id, by, [("members.csv", members)], commit=True
    )


def _invite_imported(w: World) -> Call:
    members = b"id,name,mobile,joined_at\n1,Ola Brown,07956 100321,2024-03-01\n"
    porting.import_files(w.session, w.bank.slug, [("members.csv", members)], commit=True)
    now = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    return lambda by: invitations.invite_imported_members(
        w.session, w.bank_id, by, 30, now, "https://timebank.example.org/sign-in/code"
    )


# The service (module.name), the role it needs, and how to call it.
CASES: dict[str, tuple[str, Prepare]] = {
    "timebank.broker.exchange_links.link_exchange": ("broker", _link_exchange),
    "timebank.broker.exchange_links.link_logged_exchanges": (
        "broker",
        _plain(exchange_links.link_logged_exchanges),
    ),
    "timebank.broker.introductions.introduce": ("broker", _introduce),
    "timebank.broker.introductions.mark_matched": ("broker", _mark_matched),
    "timebank.broker.introductions.withdraw": ("broker", _withdraw),
    "timebank.broker.joining.set_join_date": (
        "broker",
        lambda w: (
            lambda by: set_join_date(
                w.session, w.bank_id, by, w.jane.id, TODAY - dt.timedelta(days=400), "On paper"
            )
        ),
    ),
    "timebank.broker.outreach_actions.assign": ("broker", _assign),
    "timebank.broker.outreach_actions.record_contact": (
        "broker",
        _on_flag(outreach_actions.record_contact, "phoned", None, "Rang"),
    ),
    "timebank.broker.outreach_actions.snooze": (
        "broker",
        _on_flag(outreach_actions.snooze, TODAY + dt.timedelta(days=14)),
    ),
    "timebank.broker.outreach_actions.resolve": (
        "broker",
        _on_flag(outreach_actions.resolve, "paused"),
    ),
    "timebank.broker.outreach_actions.member_do_not_contact": (
        "broker",
        _on_flag(outreach_actions.member_do_not_contact),
    ),
    "timebank.broker.outreach_actions.nudge_text": (
        "broker",
        _on_flag(outreach_actions.nudge_text),
    ),
    "timebank.broker.outreach_actions.send_nudge": (
        "broker",
        _on_flag(outreach_actions.send_nudge, "Hello Jane, fancy a cuppa?"),
    ),
    "timebank.broker.outreach_worklist.worklist": ("broker", _plain(outreach_worklist.worklist)),
    "timebank.broker.proposal_checks.broker_in_bank": (
        "broker",
        _plain(proposal_checks.broker_in_bank),
    ),
    "timebank.broker.proposals.send_proposals": ("broker", _send_proposals),
    "timebank.broker.proposals.record_reply": ("broker", _record_reply),
    "timebank.broker.safeguarding.record_check": ("broker", _record_check),
    "timebank.broker.safeguarding.withdraw_check": ("broker", _withdraw_check),
    "timebank.broker.safeguarding.block": ("broker", _block),
    "timebank.broker.safeguarding.unblock": ("broker", _unblock),
    "timebank.broker.safeguarding.set_do_not_contact": ("broker", _do_not_contact),
    "timebank.ledger.resolutions.confirm_pending": ("broker", _confirm),
    "timebank.ledger.resolutions.decline_pending": ("broker", _decline),
    "timebank.ledger.resolutions.reverse_transfer": ("broker", _reverse),
    "timebank.ledger.services.record_exchange": ("broker", _record_for_others),
    "timebank.ledger.services.record_group_exchange": ("broker", _record_group_for_others),
    "timebank.ledger.pot.donate_to_pot": ("broker", _donate_for_someone),
    "timebank.ledger.pot.grant_from_pot": ("broker", _grant),
    "timebank.membership.banks.set_hourly_value": (
        "admin",
        _plain(banks.set_hourly_value, "14.50", "ONS median wage"),
    ),
    "timebank.membership.signup.sign_up_member": ("broker", _sign_up),
    "timebank.offers.services.close_for_broker": ("broker", _close_listing),
    "timebank.offers.skills.add_category": ("admin", _skills(skills.add_category, "Home visits")),
    "timebank.offers.skills.rename_category": (
        "admin",
        _skills(skills.rename_category, "Gardening", "Gardens"),
    ),
    "timebank.offers.skills.move_category": (
        "admin",
        _skills(skills.move_category, "Gardening", True),
    ),
    "timebank.offers.skills.set_category_shown": (
        "admin",
        _skills(skills.set_category_shown, "Gardening", False),
    ),
    "timebank.offers.skills.set_category_needs_check": (
        "admin",
        _skills(skills.set_category_needs_check, "Gardening", True),
    ),
    "timebank.referrals.partners.add_partner": ("admin", _plain(partners.add_partner, "Oak GP")),
    "timebank.referrals.partners.add_partner_number": ("admin", _partner_number),
    "timebank.referrals.partners.remove_partner_number": ("admin", _remove_partner_number),
    "timebank.referrals.partners.set_partner_active": ("admin", _partner_active),
    "timebank.referrals.services.mark_contacted": (
        "broker",
        _on_referral(referrals.mark_contacted),
    ),
    "timebank.referrals.services.link_member": ("broker", _link_member),
    "timebank.referrals.services.close_referral": ("broker", _close_referral),
    "timebank.ledger.resolutions.reverse_exchange_hours": ("broker", _reverse_exchange),
    "timebank.offers.services.close_by_owner_or_broker": ("broker", _close_someone_elses),
    "timebank.referrals.partners.link_partner_account": ("admin", _link_partner_account),
    "timebank.membership.bank_settings.change_bank_settings": ("admin", _change_settings),
    "timebank.membership.organisations.open_organisation_account": (
        "admin",
        _plain(organisations.open_organisation_account, "Oak Lunch Club", "community_group"),
    ),
    "timebank.porting.services.import_by_admin": ("admin", _import_files),
    "timebank.porting.services.bank_slug_for_admin": ("admin", _plain(porting.bank_slug_for_admin)),
    "timebank.porting.invitations.invite_imported_members": ("admin", _invite_imported),
}


@pytest.fixture
def world(session, bank, admin, broker) -> World:
    """Return the bank with its admin, broker, and two members, Jane and Sam."""
    jane = MemberFactory(bank=bank, display_name="Jane Doe", mobile="07956 100001")
    sam = MemberFactory(bank=bank, display_name="Sam Green", mobile="07956 100002")
    ListingFactory(member=sam, title="Gardening, weeding and pruning")
    return World(session, bank, admin, broker, jane, sam)


def refused_actors(w: World, role: str) -> dict[str, int]:
    """Return who must be refused: a plain member, another bank's admin, a suspended holder."""
    other_admin = MemberFactory(bank=TimeBankFactory(), role="admin")
    suspended = w.member(role=role, display_name=f"Suspended {role}")
    set_member_status(w.session, w.bank_id, suspended.id, "suspended")
    refused = {
        "a plain member": w.member().id,
        "another bank's admin": other_admin.id,
        f"a suspended {role}": suspended.id,
    }
    if role == "admin":
        refused["a broker"] = w.broker.id
    return refused


def snapshot(session: so.Session) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table, to tell that nothing was written."""
    session.expire_all()
    return {
        table.name: sorted(
            (tuple(map(repr, row)) for row in session.execute(sa.select(table))), key=repr
        )
        for table in Base.metadata.sorted_tables
    }


@pytest.mark.parametrize("service", sorted(CASES))
def test_a_service_refuses_whoever_lacks_the_role_the_bank_or_an_active_status(world, service):
    role, prepare = CASES[service]
    call = prepare(world)
    for who, actor_id in refused_actors(world, role).items():
        before = snapshot(world.session)

        with pytest.raises(NotAllowed):
            call(actor_id)

        world.session.rollback()
        assert snapshot(world.session) == before, f"{service} wrote something for {who}"
    allowed = world.admin if role == "admin" else world.broker
    call(allowed.id)


def services_with_an_acting_member() -> set[str]:
    """Return module.name of every function below the edges whose signature names an actor."""
    found = set()
    for info in pkgutil.walk_packages(timebank.__path__, "timebank."):
        if info.name.split(".")[1] in EDGES:
            continue
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or function.__module__ != module.__name__:
                continue
            if ACTING_PARAMETERS & set(inspect.signature(function).parameters):
                found.add(f"{module.__name__}.{name}")
    return found - NOT_SERVICES


def test_every_service_with_an_acting_member_is_in_the_list_above():
    missing = services_with_an_acting_member() - set(CASES)
    assert not missing, f"Add these services to CASES, with the role each needs: {missing}"
