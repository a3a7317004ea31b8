"""A retry that arrives while the original write is still open never answers differently.

Each test holds the original write open inside its transaction (its `also` step waits),
changes something the retry's checks would read, then sends the retry on a second
connection. The retry must wait for the original and answer what it recorded, or say the
write is still in progress; it must never be refused while the ledger keeps the original.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from tests.factories import MemberFactory, TimeBankFactory
from timebank.extensions import db
from timebank.ledger import claims, errors
from timebank.ledger.models import Transfer
from timebank.ledger.resolutions import confirm_pending
from timebank.ledger.services import (
    ExchangeRequest,
    GroupExchangeRequest,
    record_exchange,
    record_group_exchange,
)
from timebank.ledger.verify import verify_ledger
from timebank.membership.services import account_of

WAIT_SECONDS = 10.0


class Write(threading.Thread):
    """Run one service call on its own connection; keep its result or its error."""

    def __init__(self, call: Callable[[so.Session], Any]) -> None:
        super().__init__(daemon=True)
        self.call = call
        self.result: Any = None
        self.error: BaseException | None = None
        self.backend_pid: int | None = None
        self.engine = db.engine  # read here: the thread has no app context of its own

    def run(self) -> None:
        session = so.Session(self.engine)
        try:
            if self.engine.dialect.name == "postgresql":
                self.backend_pid = (
                    session.connection().connection.driver_connection.info.backend_pid
                )
            self.result = self.call(session)
        except BaseException as exc:  # reported to the test, which asserts on it
            self.error = exc
        finally:
            session.close()

    def finish(self) -> None:
        self.join(WAIT_SECONDS)
        assert not self.is_alive(), "the write did not finish"


class Hold:
    """An `also` step that keeps the original write's transaction open until released."""

    def __init__(self) -> None:
        self.inside, self.release = threading.Event(), threading.Event()

    def __call__(self, _session: so.Session, _results: list) -> None:
        self.inside.set()
        assert self.release.wait(WAIT_SECONDS), "the test never released the original"


def wait_until_blocked_or_done(retry: Write, seconds: float = 3.0) -> None:
    """Return once the retry waits on a lock, or has finished; the original stays open."""
    deadline = time.monotonic() + seconds
    while retry.is_alive() and time.monotonic() < deadline:
        if retry.backend_pid is not None and _waiting(retry.backend_pid):
            return
        time.sleep(0.01)


def _waiting(pid: int) -> bool:
    with db.engine.connect() as conn:
        query = sa.text("SELECT cardinality(pg_blocking_pids(:pid)) > 0")
        return bool(conn.execute(query, {"pid": pid}).scalar())


def start_original(call: Callable[[so.Session, Hold], Any]) -> tuple[Write, Hold]:
    hold = Hold()
    original = Write(lambda s: call(s, hold))
    original.start()
    if not hold.inside.wait(WAIT_SECONDS):
        original.join(WAIT_SECONDS)
        raise AssertionError(f"the original never reached its commit: {original.error!r}")
    return original, hold


def set_bank_limit(session, bank, minutes: int) -> None:
    session.execute(
        sa.text("UPDATE time_banks SET max_exchange_minutes = :m WHERE id = :id"),
        {"m": minutes, "id": bank.id},
    )
    session.commit()


def recorded(session, transfer_id: uuid.UUID) -> Transfer | None:
    session.rollback()
    return session.get(Transfer, transfer_id)


@pytest.mark.postgres_only
def test_a_retry_while_the_original_is_open_answers_what_the_original_recorded(session):
    bank = TimeBankFactory()
    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 90, receiver.id)
    session.rollback()
    original, hold = start_original(lambda s, h: record_exchange(s, request, also=h))
    # While the original is open, the bank lowers its largest exchange below 90 minutes:
    # checked afresh, the retry would be refused as too large.
    set_bank_limit(session, bank, 60)

    retry = Write(lambda s: record_exchange(s, request))
    retry.start()
    wait_until_blocked_or_done(retry)
    hold.release.set()
    original.finish()
    retry.finish()

    assert original.error is None and original.result.replayed is False
    assert retry.error is None, f"the retry was refused: {retry.error!r}"
    assert retry.result.replayed is True
    assert (retry.result.id, retry.result.amount) == (request.transfer_id, 90)
    assert recorded(session, request.transfer_id).amount == 90
    assert account_of(session, bank.id, receiver.id).balance == -90
    assert verify_ledger(session).ok


@pytest.mark.postgres_only
def test_a_group_retry_while_the_original_is_open_answers_what_the_original_recorded(session):
    bank = TimeBankFactory()
    giver = MemberFactory(bank=bank)
    receivers = [MemberFactory(bank=bank) for _ in range(3)]
    request = GroupExchangeRequest(
        uuid.uuid4(), bank.id, [giver.id], [r.id for r in receivers], 90, giver.id
    )
    session.rollback()
    original, hold = start_original(lambda s, h: record_group_exchange(s, request, also=h))
    set_bank_limit(session, bank, 60)

    retry = Write(lambda s: record_group_exchange(s, request))
    retry.start()
    wait_until_blocked_or_done(retry)
    hold.release.set()
    original.finish()
    retry.finish()

    assert original.error is None
    assert retry.error is None, f"the retry was refused: {retry.error!r}"
    assert [r.replayed for r in retry.result] == [True, True, True]
    assert [r.id for r in retry.result] == [r.id for r in original.result]
    assert all(account_of(session, bank.id, r.id).debits_pending == 90 for r in receivers)
    assert verify_ledger(session).ok


@pytest.mark.postgres_only
def test_a_confirmation_retried_while_the_first_is_open_is_a_replay_not_a_refusal(session):
    bank = TimeBankFactory()
    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
    pending = record_exchange(
        session, ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 60, giver.id)
    )
    resolution_id = uuid.uuid4()

    def confirm(s: so.Session, also=None):
        return confirm_pending(s, bank.id, pending.id, resolution_id, receiver.id, 45, also=also)

    session.rollback()
    original, hold = start_original(confirm)
    # The receiver is suspended while the confirmation is open: checked afresh, the retry
    # would be refused because only an active member can confirm.
    session.execute(
        sa.text("UPDATE members SET status = 'suspended' WHERE id = :id"), {"id": receiver.id}
    )
    session.commit()

    retry = Write(confirm)
    retry.start()
    wait_until_blocked_or_done(retry)
    hold.release.set()
    original.finish()
    retry.finish()

    assert original.error is None
    assert retry.error is None, f"the retry was refused: {retry.error!r}"
    assert retry.result.replayed is True
    assert (retry.result.id, retry.result.amount) == (resolution_id, 45)
    assert account_of(session, bank.id, receiver.id).balance == -45


@pytest.mark.postgres_only
def test_a_retry_that_waits_too_long_is_told_the_write_is_in_progress(session, monkeypatch):
    monkeypatch.setattr(claims, "CLAIM_WAIT_MS", 200)
    bank = TimeBankFactory()
    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 30, receiver.id)
    session.rollback()
    original, hold = start_original(lambda s, h: record_exchange(s, request, also=h))

    retry = Write(lambda s: record_exchange(s, request))
    retry.start()
    retry.finish()  # gives up after 0.2 s while the original is still open
    hold.release.set()
    original.finish()

    assert isinstance(retry.error, errors.WriteInProgress), repr(retry.error)
    assert retry.error.status == 409 and retry.error.code == "in_progress"
    assert "still being recorded" in retry.error.message
    assert original.error is None
    assert recorded(session, request.transfer_id).amount == 30
    # Sent again once the original is in, the retry is an ordinary replay.
    assert record_exchange(session, request).replayed is True


@pytest.mark.postgres_only
def test_a_transfer_and_a_group_racing_for_one_id_record_only_one(session):
    bank = TimeBankFactory()
    giver = MemberFactory(bank=bank)
    receivers = [MemberFactory(bank=bank) for _ in range(2)]
    shared = uuid.uuid4()
    group = GroupExchangeRequest(
        shared, bank.id, [giver.id], [r.id for r in receivers], 30, giver.id
    )
    single = ExchangeRequest(shared, bank.id, giver.id, receivers[0].id, 30, giver.id)
    session.rollback()
    original, hold = start_original(lambda s, h: record_group_exchange(s, group, also=h))

    other = Write(lambda s: record_exchange(s, single))
    other.start()
    wait_until_blocked_or_done(other)
    hold.release.set()
    original.finish()
    other.finish()

    assert original.error is None
    assert isinstance(other.error, errors.IdempotencyConflict), repr(other.error)
    assert recorded(session, shared) is None
    assert verify_ledger(session).ok


def test_on_sqlite_too_a_retry_waits_for_the_original_and_replays_it(session):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite form of the race; PostgreSQL has its own tests above")
    bank = TimeBankFactory()
    giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
    request = ExchangeRequest(uuid.uuid4(), bank.id, giver.id, receiver.id, 90, receiver.id)
    session.rollback()
    original, hold = start_original(lambda s, h: record_exchange(s, request, also=h))

    retry = Write(lambda s: record_exchange(s, request))
    retry.start()
    time.sleep(0.3)  # the retry waits for the write lock the original holds
    assert retry.is_alive()
    hold.release.set()
    original.finish()
    retry.finish()

    assert original.error is None
    assert retry.error is None and retry.result.replayed is True
    assert account_of(session, bank.id, receiver.id).balance == -90


@pytest.mark.postgres_only
def test_the_api_answers_in_progress_in_plain_words_then_replays_once_recorded(
    app, session, monkeypatch
):
    from tests.functional.ledger_pages import OwnContextClient
    from tests.functional.test_api_transfers import assert_problem, bearer, exchange, token_for
    from timebank.api import transfers as transfers_api

    monkeypatch.setattr(claims, "CLAIM_WAIT_MS", 200)
    bank = TimeBankFactory()
    joyce, sam = MemberFactory(bank=bank), MemberFactory(bank=bank)
    token = token_for(sam)
    hold = Hold()
    announce = transfers_api.announce_pending

    def announce_and_hold(s, results):
        announce(s, results)
        hold(s, results)

    monkeypatch.setattr(transfers_api, "announce_pending", announce_and_hold)
    api = OwnContextClient(app, app.response_class)
    body = exchange(joyce, sam, 45)
    answers: dict[str, Any] = {}

    def send_original() -> None:
        with app.app_context():
            answers["original"] = api.post("/api/v1/transfers", json=body, headers=bearer(token))

    original = threading.Thread(target=send_original, daemon=True)
    original.start()
    assert hold.inside.wait(WAIT_SECONDS)

    retry = api.post("/api/v1/transfers", json=body, headers=bearer(token))
    hold.release.set()
    original.join(WAIT_SECONDS)
    monkeypatch.setattr(transfers_api, "announce_pending", announce)
    again = api.post("/api/v1/transfers", json=body, headers=bearer(token))

    problem = assert_problem(retry, 409, "in_progress")
    assert "Wait a moment" in problem["detail"]
    assert answers["original"].status_code == 201
    assert again.status_code == 200 and again.get_json() == answers["original"].get_json()
    assert account_of(session, bank.id, sam.id).balance == -45
