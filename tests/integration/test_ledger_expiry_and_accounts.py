"""Expiry of unconfirmed exchanges, and donations, grants and adjustments between accounts."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, OrganisationFactory, TimeBankFactory
from timebank.ledger import errors
from timebank.ledger.accounts import AccountTransferRequest, record_account_transfer
from timebank.ledger.models import PendingEscalation, Transfer
from timebank.ledger.pot import community_pot_account
from timebank.ledger.resolutions import decline_pending, expire_pending
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.ledger.verify import verify_ledger
from timebank.membership.services import account_of

START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def at(days: float):
    return lambda: START + dt.timedelta(days=days)


def log_pending(session, bank, giver, receiver, minutes=60):
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, minutes, giver.id)
    return record_exchange(session, request, now=at(0))


def test_unconfirmed_exchange_is_confirmed_after_the_banks_days(session):
    bank = TimeBankFactory(confirm_days=7)
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = log_pending(session, bank, sam, jo)
    assert expire_pending(session, now=at(6.9)).confirmed == 0
    report = expire_pending(session, now=at(7.1))
    assert (report.confirmed, report.escalated) == (1, 0)
    resolution = session.scalar(sa.select(Transfer).where(Transfer.pending_id == pending.id))
    assert resolution.phase == "post_pending" and resolution.recorded_by_id is None
    assert "7 days" in resolution.reason
    assert account_of(session, bank.id, sam.id).balance == 60


def test_running_expiry_twice_confirms_only_once(session):
    bank = TimeBankFactory(confirm_days=3)
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    log_pending(session, bank, sam, jo)
    expire_pending(session, now=at(4))
    assert expire_pending(session, now=at(5)).confirmed == 0
    assert verify_ledger(session).ok


def test_escalating_bank_hands_the_exchange_to_a_broker_once_and_moves_no_hours(session):
    bank = TimeBankFactory(confirm_days=3, on_expiry="escalate")
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = log_pending(session, bank, sam, jo)
    assert expire_pending(session, now=at(4)).escalated == 1
    assert expire_pending(session, now=at(5)).escalated == 0
    assert session.get(PendingEscalation, pending.id) is not None
    assert account_of(session, bank.id, sam.id).balance == 0
    assert account_of(session, bank.id, jo.id).debits_pending == 60


def test_declined_exchanges_are_never_auto_confirmed(session):
    bank = TimeBankFactory(confirm_days=3)
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = log_pending(session, bank, sam, jo)
    decline_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id, now=at(1))
    assert expire_pending(session, now=at(10)).confirmed == 0
    assert account_of(session, bank.id, sam.id).balance == 0


def _move(bank, debit, credit, minutes, code, by):
    return AccountTransferRequest(uuid.uuid4(), bank.id, debit, credit, minutes, code, by.id)


def test_member_donates_hours_to_the_community_pot(session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    record_exchange(session, ExchangeRequest(uuid.uuid4(), bank.id, sam.id, jo.id, 120, jo.id))
    sams = account_of(session, bank.id, sam.id)
    pot = community_pot_account(session, bank.id)
    record_account_transfer(session, _move(bank, sams.id, pot.id, 60, "donation", sam))
    session.expire_all()
    assert (account_of(session, bank.id, sam.id).balance, pot.balance) == (60, 60)


def test_only_a_broker_grants_from_the_pot(session, bank, broker):
    sam = MemberFactory(bank=bank)
    pot = community_pot_account(session, bank.id)
    sams = account_of(session, bank.id, sam.id)
    jos = account_of(session, bank.id, MemberFactory(bank=bank).id)
    record_account_transfer(session, _move(bank, jos.id, pot.id, 90, "donation", broker))
    with pytest.raises(errors.NotYourExchange):
        record_account_transfer(session, _move(bank, pot.id, sams.id, 60, "grant", sam))
    record_account_transfer(session, _move(bank, pot.id, sams.id, 60, "grant", broker))
    session.expire_all()
    assert account_of(session, bank.id, sam.id).balance == 60
    assert community_pot_account(session, bank.id).balance == 30


def test_the_pot_cannot_grant_more_than_it_holds(session, bank, broker):
    pot = community_pot_account(session, bank.id)
    sams = account_of(session, bank.id, MemberFactory(bank=bank).id)
    with pytest.raises(errors.OverdraftLimitReached):
        record_account_transfer(session, _move(bank, pot.id, sams.id, 60, "grant", broker))
    session.expire_all()
    assert community_pot_account(session, bank.id).balance == 0


def test_a_member_cannot_donate_someone_elses_hours(session, bank):
    sam, jo = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pot = community_pot_account(session, bank.id)
    jos = account_of(session, bank.id, jo.id)
    with pytest.raises(errors.NotYourExchange):
        record_account_transfer(session, _move(bank, jos.id, pot.id, 30, "donation", sam))


def test_accounts_of_another_bank_are_unknown(session, bank, broker):
    other = OrganisationFactory()
    theirs = session.scalar(
        sa.text("SELECT id FROM accounts WHERE organisation_id = :o"), {"o": other.id}
    )
    pot = community_pot_account(session, bank.id)
    with pytest.raises(errors.UnknownAccount):
        record_account_transfer(session, _move(bank, pot.id, theirs, 30, "adjustment", broker))
    assert session.scalar(sa.select(sa.func.count()).select_from(Transfer)) == 0


def test_unknown_transfer_codes_are_refused(session, bank, broker):
    pot = community_pot_account(session, bank.id)
    sams = account_of(session, bank.id, MemberFactory(bank=bank).id)
    with pytest.raises(errors.InvalidAmount, match="donation, grant, adjustment"):
        record_account_transfer(session, _move(bank, pot.id, sams.id, 30, "gift", broker))
