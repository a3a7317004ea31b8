"""Service tests of the ledger: recording, confirming, declining, reversing, groups, limits."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from tests.factories import MemberFactory, TimeBankFactory
from timebank.ledger import errors
from timebank.ledger.models import Transfer
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_transfer
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.ledger.verify import verify_ledger
from timebank.membership.services import account_of, set_member_status


@pytest.fixture
def sam(bank):
    return MemberFactory(bank=bank, display_name="Sam")


@pytest.fixture
def jo(bank):
    return MemberFactory(bank=bank, display_name="Jo")


def exchange(bank, giver, receiver, minutes, by=None, transfer_id=None, **extra):
    return ExchangeRequest(
        transfer_id=transfer_id or uuid.uuid4(),
        bank_id=bank.id,
        giver_id=giver.id,
        receiver_id=receiver.id,
        minutes=minutes,
        recorded_by_id=(by or giver).id,
        **extra,
    )


def balances(session, bank, *members):
    session.expire_all()
    return [account_of(session, bank.id, m.id).balance for m in members]


def transfer_count(session):
    return session.scalar(sa.select(sa.func.count()).select_from(Transfer))


def test_giver_logging_hours_reserves_them_until_the_receiver_confirms(session, bank, sam, jo):
    result = record_exchange(session, exchange(bank, sam, jo, 90))
    assert result.phase == "pending"
    assert balances(session, bank, sam, jo) == [0, 0]
    assert account_of(session, bank.id, jo.id).debits_pending == 90
    confirm_pending(session, bank.id, result.id, uuid.uuid4(), jo.id)
    assert balances(session, bank, sam, jo) == [90, -90]
    assert account_of(session, bank.id, jo.id).debits_pending == 0


def test_receiver_can_confirm_fewer_minutes_than_logged(session, bank, sam, jo):
    pending = record_exchange(session, exchange(bank, sam, jo, 90))
    posted = confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id, minutes=60)
    assert posted.amount == 60
    assert balances(session, bank, sam, jo) == [60, -60]
    assert account_of(session, bank.id, sam.id).credits_pending == 0


def test_receiver_cannot_confirm_more_than_was_logged(session, bank, sam, jo):
    pending = record_exchange(session, exchange(bank, sam, jo, 60))
    with pytest.raises(errors.ConfirmTooMuch):
        confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id, minutes=61)
    assert transfer_count(session) == 1


def test_receiver_logging_posts_at_once(session, bank, sam, jo):
    result = record_exchange(session, exchange(bank, sam, jo, 45, by=jo))
    assert result.phase == "posted"
    assert balances(session, bank, sam, jo) == [45, -45]


def test_broker_logging_for_two_members_posts_at_once_and_is_stored_as_recorder(
    session, bank, sam, jo, broker
):
    result = record_exchange(session, exchange(bank, sam, jo, 60, by=broker))
    assert result.phase == "posted"
    assert session.get(Transfer, result.id).recorded_by_id == broker.id


def test_someone_else_cannot_record_an_exchange_between_two_members(session, bank, sam, jo):
    stranger = MemberFactory(bank=bank)
    with pytest.raises(errors.NotYourExchange):
        record_exchange(session, exchange(bank, sam, jo, 60, by=stranger))
    assert transfer_count(session) == 0


def test_declining_frees_the_reserved_minutes(session, bank, sam, jo):
    pending = record_exchange(session, exchange(bank, sam, jo, 120))
    decline_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id, reason="never happened")
    account = account_of(session, bank.id, jo.id)
    assert (account.balance, account.debits_pending) == (0, 0)


def test_a_pending_exchange_resolves_only_once(session, bank, sam, jo):
    pending = record_exchange(session, exchange(bank, sam, jo, 60))
    confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id)
    with pytest.raises(errors.AlreadyResolved):
        decline_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id)
    with pytest.raises(errors.AlreadyResolved):
        confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id)
    assert balances(session, bank, sam, jo) == [60, -60]


def test_replaying_the_same_id_returns_the_first_result_and_writes_nothing(session, bank, sam, jo):
    request = exchange(bank, sam, jo, 30, by=jo)
    first = record_exchange(session, request)
    again = record_exchange(session, request)
    assert again.replayed and again.id == first.id and again.amount == 30
    assert transfer_count(session) == 1
    assert balances(session, bank, sam, jo) == [30, -30]


def test_the_same_id_with_a_different_body_is_a_conflict(session, bank, sam, jo):
    transfer_id = uuid.uuid4()
    record_exchange(session, exchange(bank, sam, jo, 30, by=jo, transfer_id=transfer_id))
    with pytest.raises(errors.IdempotencyConflict):
        record_exchange(session, exchange(bank, sam, jo, 45, by=jo, transfer_id=transfer_id))
    assert transfer_count(session) == 1


def test_overdraft_error_names_the_member_and_the_numbers(session, sam, jo, bank):
    record_exchange(session, exchange(bank, sam, jo, 540, by=jo))
    with pytest.raises(errors.OverdraftLimitReached) as caught:
        record_exchange(session, exchange(bank, sam, jo, 150, by=jo))
    assert caught.value.message == (
        "This would take your balance to -11:30 (counting hours waiting to be confirmed), "
        "below the -10:00 limit. Up to 1:00 fits: try a smaller amount, or ask your broker."
    )
    assert balances(session, bank, sam, jo) == [540, -540]


def test_pending_reservations_count_against_the_overdraft_limit(session, bank, sam, jo):
    record_exchange(session, exchange(bank, sam, jo, 500))
    with pytest.raises(errors.OverdraftLimitReached):
        record_exchange(session, exchange(bank, sam, jo, 120))
    assert transfer_count(session) == 1


def test_maximum_balance_counts_pending_credits(session):
    bank = TimeBankFactory(max_balance_minutes=120)
    sam, jo, al = (MemberFactory(bank=bank) for _ in range(3))
    record_exchange(session, exchange(bank, sam, jo, 90))
    with pytest.raises(errors.MaxBalanceReached) as caught:
        record_exchange(session, exchange(bank, sam, al, 60))
    assert "above the 2:00" in caught.value.message


@pytest.mark.parametrize("minutes", [0, -5, 1.5, "60", True, None, 10**9])
def test_nonsense_minutes_are_refused_and_nothing_is_written(session, bank, sam, jo, minutes):
    with pytest.raises(errors.InvalidAmount):
        record_exchange(session, exchange(bank, sam, jo, minutes))
    assert transfer_count(session) == 0


def test_an_exchange_larger_than_the_banks_largest_is_refused(session, bank, sam, jo):
    with pytest.raises(errors.ExchangeTooLarge) as caught:
        record_exchange(session, exchange(bank, sam, jo, 13 * 60))
    assert "12 hours" in caught.value.message


def test_giver_and_receiver_must_differ(session, bank, sam):
    with pytest.raises(errors.SameAccount):
        record_exchange(session, exchange(bank, sam, sam, 60))


def test_another_banks_member_is_unknown_here(session, bank, sam):
    outsider = MemberFactory()
    with pytest.raises(errors.UnknownAccount):
        record_exchange(session, exchange(bank, sam, outsider, 60))
    assert transfer_count(session) == 0


def test_a_suspended_member_cannot_trade(session, bank, sam, jo):
    set_member_status(session, bank.id, jo.id, "suspended")
    with pytest.raises(errors.MemberNotActive) as caught:
        record_exchange(session, exchange(bank, sam, jo, 60))
    assert "Jo" in caught.value.message


def test_unknown_time_bank_and_transfer_ids_are_refused(session, bank, sam, jo):
    with pytest.raises(errors.UnknownAccount):
        record_exchange(session, ExchangeRequest(uuid.uuid4(), 999, sam.id, jo.id, 60, sam.id))
    with pytest.raises(errors.TransferNotFound):
        confirm_pending(session, bank.id, uuid.uuid4(), uuid.uuid4(), jo.id)


def test_broker_reverses_a_posted_exchange_once_with_a_reason(session, bank, sam, jo, broker):
    posted = record_exchange(session, exchange(bank, sam, jo, 60, by=jo))
    with pytest.raises(errors.CannotReverse):
        reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), broker.id, reason=" ")
    reversal = reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), broker.id, "typo")
    assert reversal.code == "reversal"
    assert balances(session, bank, sam, jo) == [0, 0]
    with pytest.raises(errors.AlreadyReversed):
        reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), broker.id, "again")


def test_members_cannot_reverse(session, bank, sam, jo):
    posted = record_exchange(session, exchange(bank, sam, jo, 60, by=jo))
    with pytest.raises(errors.NotYourExchange):
        reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), jo.id, "I changed my mind")


def test_group_exchange_posts_all_transfers_or_none(session, bank, sam, broker):
    helpers = [MemberFactory(bank=bank) for _ in range(3)]
    results = record_group_exchange(
        session,
        GroupExchangeRequest(
            uuid.uuid4(), bank.id, [h.id for h in helpers], [sam.id], 120, broker.id
        ),
    )
    assert [r.phase for r in results] == ["posted"] * 3
    assert balances(session, bank, sam) == [-360]


def test_group_exchange_that_would_breach_a_limit_writes_nothing(session, bank, sam, broker):
    helpers = [MemberFactory(bank=bank) for _ in range(6)]
    request = GroupExchangeRequest(
        uuid.uuid4(), bank.id, [h.id for h in helpers], [sam.id], 120, broker.id
    )
    with pytest.raises(errors.OverdraftLimitReached):
        record_group_exchange(session, request)
    assert transfer_count(session) == 0
    assert balances(session, bank, sam, *helpers) == [0] * 7


def test_transfers_cannot_be_updated_or_deleted_even_with_raw_sql(session, bank, sam, jo):
    record_exchange(session, exchange(bank, sam, jo, 60, by=jo))
    for statement in ("UPDATE transfers SET amount = 1", "DELETE FROM transfers"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            session.execute(sa.text(statement))
        session.rollback()
    assert session.scalar(sa.select(Transfer.amount)) == 60


def test_verify_passes_after_a_mix_of_operations(session, bank, sam, jo, broker):
    pending = record_exchange(session, exchange(bank, sam, jo, 90))
    confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id, minutes=75)
    posted = record_exchange(session, exchange(bank, jo, sam, 30, by=sam))
    reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), broker.id, "duplicate")
    record_exchange(session, exchange(bank, sam, jo, 20))
    report = verify_ledger(session)
    assert report.ok, report.problems
    assert report.transfers == 5


def test_each_account_keeps_its_trades_and_verify_checks_them(session, bank, sam, jo, broker):
    day = dt.date.today() - dt.timedelta(days=30)
    pending = record_exchange(session, exchange(bank, sam, jo, 90, happened_on=day))
    record_exchange(
        session, exchange(bank, sam, jo, 30, by=jo, happened_on=day - dt.timedelta(days=9))
    )
    posted = record_exchange(session, exchange(bank, jo, sam, 30, by=sam, happened_on=day))
    reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), broker.id, "duplicate")
    sams, jos = (account_of(session, bank.id, person.id) for person in (sam, jo))
    # Still pending: not a trade yet. A reversal is not one either; what it reversed was.
    assert (sams.trades_given, sams.first_given_on, sams.last_given_on) == (
        1,
        day - dt.timedelta(days=9),
        day - dt.timedelta(days=9),
    )
    assert (sams.trades_received, sams.first_received_on, sams.last_received_on) == (1, day, day)
    confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id, minutes=75)
    session.refresh(sams)
    session.refresh(jos)
    assert (sams.trades_given, sams.first_given_on, sams.last_given_on) == (
        2,
        day - dt.timedelta(days=9),
        day,
    )
    assert (jos.trades_received, jos.first_received_on, jos.last_received_on) == (
        2,
        day - dt.timedelta(days=9),
        day,
    )
    assert verify_ledger(session).ok

    session.execute(sa.text("UPDATE accounts SET last_given_on = NULL"))
    session.commit()
    problems = verify_ledger(session).problems
    assert len(problems) == 2  # sam and jo each gave once at least
    assert "its trades (count, first and last day, given then received)" in problems[0]


def test_a_correction_goes_through_after_the_member_was_suspended(session, bank, sam, jo, broker):
    posted = record_exchange(session, exchange(bank, sam, jo, 60, by=jo))
    set_member_status(session, bank.id, sam.id, "suspended")
    reverse_transfer(session, bank.id, posted.id, uuid.uuid4(), broker.id, "recorded by mistake")
    assert balances(session, bank, sam, jo) == [0, 0]


def test_another_banks_exchange_cannot_be_confirmed_from_here(session, bank, sam, jo):
    elsewhere = TimeBankFactory()
    al, bo = MemberFactory(bank=elsewhere), MemberFactory(bank=elsewhere)
    theirs = record_exchange(session, exchange(elsewhere, al, bo, 60))
    with pytest.raises(errors.TransferNotFound):
        confirm_pending(session, bank.id, theirs.id, uuid.uuid4(), jo.id)
    with pytest.raises(errors.NotYourExchange):
        confirm_pending(session, elsewhere.id, theirs.id, uuid.uuid4(), jo.id)
    assert balances(session, elsewhere, al, bo) == [0, 0]


def test_reversing_a_confirmed_pending_entry_points_to_the_confirmation(
    session, bank, sam, jo, broker
):
    pending = record_exchange(session, exchange(bank, sam, jo, 60))
    confirm_pending(session, bank.id, pending.id, uuid.uuid4(), jo.id)
    with pytest.raises(errors.CannotReverse, match="reverse the confirmation"):
        reverse_transfer(session, bank.id, pending.id, uuid.uuid4(), broker.id, "wrong")


def test_a_broker_who_gave_the_help_still_needs_the_receiver_to_confirm(session, bank, jo, broker):
    result = record_exchange(session, exchange(bank, broker, jo, 60, by=broker))
    assert result.phase == "pending"
    assert balances(session, bank, broker, jo) == [0, 0]


def test_confirming_something_that_is_not_pending_says_so(session, bank, sam, jo):
    posted = record_exchange(session, exchange(bank, sam, jo, 60, by=jo))
    with pytest.raises(errors.NotPending):
        confirm_pending(session, bank.id, posted.id, uuid.uuid4(), jo.id, minutes=90)


def test_work_passed_as_also_commits_with_the_exchange_and_not_on_a_replay(session, bank):
    from timebank.sms.models import OutboxMessage
    from timebank.sms.outbox import queue_sms

    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
    calls = []

    def announce(session, results):
        calls.append([r.phase for r in results])
        queue_sms(session, bank.id, receiver.mobile_e164, "Please confirm", "test")

    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, giver.id)
    record_exchange(session, request, also=announce)
    record_exchange(session, request, also=announce)
    assert calls == [["pending"]]
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 1


def test_a_failure_in_also_leaves_nothing_written(session, bank):
    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)

    def broken(session, results):
        raise RuntimeError("the text could not be queued")

    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, giver.id)
    with pytest.raises(RuntimeError):
        record_exchange(session, request, also=broken)
    assert session.get(Transfer, request.transfer_id) is None
    assert account_of(session, bank.id, receiver.id).debits_pending == 0
