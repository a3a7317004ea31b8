"""Claiming a write's id when it starts, so two requests with one id never both decide.

A client that times out sends the same write again. If the retry read the ledger while the
original was still open, it could not see the original and would check the request afresh:
a limit lowered in between would refuse it, and the original would then commit. So every
ledger write claims its id before it reads anything. A second request with the same id
waits until the first commits or rolls back, and then reads what the first recorded.

PostgreSQL: a transaction-level advisory lock keyed by the id (its first 64 bits; two ids
that share them only wait for each other). Taking it is one short statement; a second
holder waits at most CLAIM_WAIT_MS and is then told the write is in progress. SQLite lets
one writer in at a time already (BEGIN IMMEDIATE), so there is nothing to take there.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import run
from timebank.ledger import errors

# How long a request waits for an earlier one with the same id before answering 409.
CLAIM_WAIT_MS = 10_000

_TRY_CLAIM = sa.text("SELECT pg_try_advisory_xact_lock(:key)").bindparams(
    sa.bindparam("key", type_=sa.BigInteger)
)
# lock_timeout is set for this transaction only, then put back: it also bounds row locks.
_WAIT_FOR_CLAIM = sa.text(
    "SELECT set_config('lock_timeout', :wait, true), pg_advisory_xact_lock(:key)"
)
_STOP_WAITING = sa.text("SET LOCAL lock_timeout TO DEFAULT")


def claim_key(write_id: uuid.UUID) -> int:
    """Return the advisory lock key of a write's id: its first 64 bits, signed."""
    return int.from_bytes(write_id.bytes[:8], "big", signed=True)


def claim_write(session: so.Session, write_id: uuid.UUID) -> None:
    """Claim `write_id` for this transaction, waiting for an earlier holder to finish.

    Call before the write reads anything it decides on. Claiming the same id twice in one
    transaction costs nothing the second time.
    """
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return
    transaction = conn.get_transaction()
    # The ids this transaction holds, kept with the transaction they belong to.
    held: tuple[object, set[uuid.UUID]] | None = session.info.get("claimed_writes")
    if held is not None and held[0] is transaction and write_id in held[1]:
        return
    key = claim_key(write_id)
    if not run(conn, _TRY_CLAIM, {"key": key})[0][0]:
        _wait_for(session, conn, key)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info["claimed_writes"] = held
    held[1].add(write_id)


def _wait_for(session: so.Session, conn: sa.Connection, key: int) -> None:
    """Wait for the request that holds `key` to finish; answer in_progress if it takes too long."""
    try:
        conn.execute(_WAIT_FOR_CLAIM, {"wait": f"{int(CLAIM_WAIT_MS)}ms", "key": key})
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        session.rollback()
        raise errors.WriteInProgress() from None
    conn.execute(_STOP_WAITING)
