"""Races between separate processes on PostgreSQL: limits, idempotency, resolutions, hot rows.

Every race runs in real OS processes with their own connections (see race_workers). Where a
race is about two writes colliding, the first to commit holds its commit until PostgreSQL
shows the other blocked on its locks, so every round (of many, each asserted on its own) is
a real collision.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict

import pytest

from tests.factories import MemberFactory, TimeBankFactory
from tests.integration.race_workers import Job, Outcome, race
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.ledger.verify import verify_ledger
from timebank.membership.services import account_of

pytestmark = pytest.mark.postgres_only

ROUNDS = 20


def by_round(outcomes: list[Outcome]) -> list[list[Outcome]]:
    rounds: dict[int, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        rounds[outcome.round].append(outcome)
    return [sorted(rounds[r], key=lambda o: o.worker) for r in sorted(rounds)]


def one_winner(outcomes: list[Outcome]) -> tuple[Outcome, Outcome]:
    """Return the (winner, loser) of a two-worker round, failing unless exactly one won."""
    winners = [o for o in outcomes if o.ok]
    losers = [o for o in outcomes if not o.ok]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    return winners[0], losers[0]


def assert_collided(committed: Outcome, round_no: int) -> None:
    """Fail unless the other worker was blocked on `committed`'s locks when it committed."""
    assert committed.overlapped, f"round {round_no}: no collision, nobody waited on the commit"


def assert_ledger_verifies(session, transfers: int | None = None) -> None:
    report = verify_ledger(session)
    assert report.ok, report.problems
    if transfers is not None:
        assert report.transfers == transfers


def exchange_job(bank, giver, receiver, minutes, by, transfer_id=None) -> Job:
    return Job(
        "exchange",
        {
            "transfer_id": transfer_id or uuid.uuid4(),
            "bank_id": bank.id,
            "giver_id": giver.id,
            "receiver_id": receiver.id,
            "minutes": minutes,
            "recorded_by_id": by.id,
        },
    )


def ready_for_workers(session) -> None:
    # End the test's own transaction so no lock or snapshot of ours sits in the race.
    session.rollback()


def test_two_debits_that_together_pass_the_overdraft_limit_let_exactly_one_through(
    session, database_url
):
    bank = TimeBankFactory(overdraft_minutes=-120)
    broker = MemberFactory(bank=bank, role="broker")
    receivers = [MemberFactory(bank=bank) for _ in range(ROUNDS)]
    givers = [[MemberFactory(bank=bank) for _ in range(2)] for _ in range(ROUNDS)]
    # Even rounds post at once (a broker records); odd rounds reserve (each giver logs).
    plans = [
        [
            [exchange_job(bank, pair[w], receiver, 90, by=broker if r % 2 == 0 else pair[w])]
            for r, (receiver, pair) in enumerate(zip(receivers, givers, strict=True))
        ]
        for w in range(2)
    ]
    ready_for_workers(session)

    outcomes = race(database_url, plans, hold_commits=True)

    for r, round_outcomes in enumerate(by_round(outcomes)):
        winner, loser = one_winner(round_outcomes)
        assert_collided(winner, r)
        assert winner.results[0].phase == ("posted" if r % 2 == 0 else "pending")
        assert loser.error == "OverdraftLimitReached", loser
        account = account_of(session, bank.id, receivers[r].id)
        assert account.credits_posted - account.debits_posted - account.debits_pending == -90
    assert_ledger_verifies(session)


def test_the_same_id_from_two_connections_is_created_once_and_replayed_once(session, database_url):
    bank = TimeBankFactory()
    pairs = [(MemberFactory(bank=bank), MemberFactory(bank=bank)) for _ in range(ROUNDS)]
    jobs = [exchange_job(bank, giver, receiver, 30, by=receiver) for giver, receiver in pairs]
    plans = [[[job] for job in jobs] for _ in range(2)]
    ready_for_workers(session)

    outcomes = race(database_url, plans, hold_commits=True)

    for r, round_outcomes in enumerate(by_round(outcomes)):
        assert all(o.ok for o in round_outcomes), round_outcomes
        first, second = (o.results[0] for o in round_outcomes)
        assert sorted([first.replayed, second.replayed]) == [False, True], round_outcomes
        created = next(o for o in round_outcomes if not o.results[0].replayed)
        assert_collided(created, r)
        assert first.id == second.id == jobs[r].args["transfer_id"]
        assert (first.phase, first.amount) == (second.phase, second.amount) == ("posted", 30)
        giver, receiver = pairs[r]
        assert account_of(session, bank.id, receiver.id).balance == -30
        assert account_of(session, bank.id, giver.id).balance == 30
    assert_ledger_verifies(session, transfers=ROUNDS)


def test_the_same_id_with_two_different_bodies_is_one_exchange_and_one_conflict(
    session, database_url
):
    bank = TimeBankFactory()
    pairs = [(MemberFactory(bank=bank), MemberFactory(bank=bank)) for _ in range(ROUNDS)]
    ids = [uuid.uuid4() for _ in range(ROUNDS)]
    plans = [
        [
            [exchange_job(bank, giver, receiver, minutes, by=receiver, transfer_id=ids[r])]
            for r, (giver, receiver) in enumerate(pairs)
        ]
        for minutes in (30, 45)
    ]
    ready_for_workers(session)

    outcomes = race(database_url, plans, hold_commits=True)

    for r, round_outcomes in enumerate(by_round(outcomes)):
        winner, loser = one_winner(round_outcomes)
        assert_collided(winner, r)
        assert loser.error == "IdempotencyConflict", loser
        minutes = winner.results[0].amount
        assert minutes == (30, 45)[winner.worker]
        assert account_of(session, bank.id, pairs[r][1].id).balance == -minutes
    assert_ledger_verifies(session, transfers=ROUNDS)


def test_a_confirmation_racing_a_decline_resolves_the_exchange_exactly_once(session, database_url):
    bank = TimeBankFactory()
    pairs = [(MemberFactory(bank=bank), MemberFactory(bank=bank)) for _ in range(ROUNDS)]
    pending = [
        record_exchange(
            session, ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, giver.id)
        )
        for giver, receiver in pairs
    ]
    confirms = [
        [Job("confirm", resolution(bank, p.id, receiver.id) | {"minutes": 45})]
        for p, (_giver, receiver) in zip(pending, pairs, strict=True)
    ]
    declines = [
        [Job("decline", resolution(bank, p.id, giver.id) | {"reason": "did not happen"})]
        for p, (giver, _receiver) in zip(pending, pairs, strict=True)
    ]
    ready_for_workers(session)

    outcomes = race(database_url, [confirms, declines], hold_commits=True)

    for r, round_outcomes in enumerate(by_round(outcomes)):
        winner, loser = one_winner(round_outcomes)
        assert_collided(winner, r)
        assert loser.error == "AlreadyResolved", loser
        giver, receiver = pairs[r]
        account = account_of(session, bank.id, receiver.id)
        assert account.debits_pending == 0
        assert account.balance == (-45 if winner.op == "confirm" else 0)
        assert account_of(session, bank.id, giver.id).credits_pending == 0
    assert_ledger_verifies(session)


def resolution(bank, pending_id, actor_id) -> dict:
    return {
        "bank_id": bank.id,
        "pending_id": pending_id,
        "resolution_id": uuid.uuid4(),
        "actor_id": actor_id,
    }


WORKERS = 4
TRANSFERS_EACH = 40


def test_hot_accounts_ping_pong_in_both_directions_without_deadlock(session, database_url):
    bank = TimeBankFactory(overdraft_minutes=-100_000)
    broker = MemberFactory(bank=bank, role="broker")
    hot = [MemberFactory(bank=bank) for _ in range(3)]
    rng = random.Random(20240601)
    plans = []
    for _ in range(WORKERS):
        jobs = []
        for _ in range(TRANSFERS_EACH):
            giver, receiver = rng.sample(hot, 2)
            jobs.append(exchange_job(bank, giver, receiver, rng.randint(1, 30), by=broker))
        plans.append([jobs])
    ready_for_workers(session)

    outcomes = race(database_url, plans, hold_commits=False)

    failures = [o for o in outcomes if not o.ok]
    assert failures == [], failures
    assert len(outcomes) == WORKERS * TRANSFERS_EACH
    expected = {m.id: 0 for m in hot}
    for plan in plans:
        for job in plan[0]:
            expected[job.args["giver_id"]] += job.args["minutes"]
            expected[job.args["receiver_id"]] -= job.args["minutes"]
    assert {m.id: account_of(session, bank.id, m.id).balance for m in hot} == expected
    assert_ledger_verifies(session, transfers=WORKERS * TRANSFERS_EACH)


def test_group_exchanges_on_hot_accounts_do_not_deadlock_with_pair_exchanges(session, database_url):
    bank = TimeBankFactory(overdraft_minutes=-100_000)
    broker = MemberFactory(bank=bank, role="broker")
    hot = [MemberFactory(bank=bank) for _ in range(3)]
    rng = random.Random(20240602)
    plans = []
    for w in range(WORKERS):
        jobs = []
        for _ in range(TRANSFERS_EACH // 2):
            if w % 2:
                giver, receiver = rng.sample(hot, 2)
                jobs.append(exchange_job(bank, giver, receiver, rng.randint(1, 30), by=broker))
                continue
            # Two givers, one receiver, the givers in either order.
            first, second, receiver = rng.sample(hot, 3)
            args = {
                "group_id": uuid.uuid4(),
                "bank_id": bank.id,
                "giver_ids": [first.id, second.id],
                "receiver_ids": [receiver.id],
                "minutes": rng.randint(1, 30),
                "recorded_by_id": broker.id,
            }
            jobs.append(Job("group", args))
        plans.append([jobs])
    ready_for_workers(session)

    outcomes = race(database_url, plans, hold_commits=False)

    failures = [o for o in outcomes if not o.ok]
    assert failures == [], failures
    expected = {m.id: 0 for m in hot}
    for outcome in outcomes:
        for result in outcome.results:
            expected[member_of(session, bank, result.credit_account_id, hot)] += result.amount
            expected[member_of(session, bank, result.debit_account_id, hot)] -= result.amount
    assert {m.id: account_of(session, bank.id, m.id).balance for m in hot} == expected
    assert_ledger_verifies(session)


def member_of(session, bank, account_id: int, members) -> int:
    return next(m.id for m in members if account_of(session, bank.id, m.id).id == account_id)
