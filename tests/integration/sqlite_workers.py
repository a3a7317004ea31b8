"""Worker processes for the SQLite concurrency test (top level, so 'spawn' can import them)."""

from __future__ import annotations

import random
import uuid


def post_transfers(
    url: str, bank_id: int, member_ids: list[int], count: int, seed: int, out
) -> None:
    """Record `count` exchanges between random members; report successes and error names."""
    from timebank import create_app
    from timebank.errors import TimeBankError
    from timebank.extensions import db
    from timebank.ledger.services import ExchangeRequest, record_exchange

    rng = random.Random(seed)
    app = create_app("testing", {"DATABASE_URL": url})
    done, refused, failures = 0, 0, []
    with app.app_context():
        for _ in range(count):
            giver, receiver = rng.sample(member_ids, 2)
            request = ExchangeRequest(uuid.uuid4(), bank_id, giver, receiver, 15, receiver)
            try:
                record_exchange(db.session, request)
                done += 1
            except TimeBankError:
                refused += 1
            except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
                failures.append(f"{type(exc).__name__}: {exc}")
        db.engine.dispose()
    out.put((done, refused, failures))
