"""The least a Flask app can do for the API bench's request: a floor to compare the app with.

`python -m tests.perf.bench_api --app tests.perf.floor_app:app` serves this instead of
`wsgi:app`. It is plain Flask: no extensions, no hooks, no schemas, no rate limits. Its
`POST /api/v1/transfers` does the ledger work of the real view: it reads the token with the
app's one query (`timebank.api.tokens.authenticate`), turns the JSON into an
`ExchangeRequest`, calls `record_exchange` (which commits) on a session from an engine with
the production pool settings, and answers 201 with the transfer's id and state. `/healthz`
runs `SELECT 1`, as the bench waits for it. It reads the same TIMEBANK_* variables the bench
sets for the real app.

What it leaves out, the real app must pay for: checking the body field by field, the
per-token rate limit and its headers, the security headers, problem+json errors and the
full answer. The difference between the two, in CPU per transfer, is the web layer's cost;
this app's own cost is what Flask, gunicorn and the ledger need at the least.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, abort, request

from config import load_settings
from timebank import models  # noqa: F401  (every model is known to the metadata)
from timebank.broker.announce import announce_pending
from timebank.db import configure_engine, database_url
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.membership.tokens import authenticate
from timebank.offers.skills import DEFAULT_SKILL_CATEGORIES

settings = load_settings()
engine = sa.create_engine(
    database_url(settings, "instance"), **settings.get("SQLALCHEMY_ENGINE_OPTIONS", {})
)
configure_engine(engine, settings["SQLITE_BUSY_TIMEOUT_MS"])
Session = so.sessionmaker(engine, expire_on_commit=False)
app = Flask(__name__)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Answer 200 once the database answers."""
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@app.post("/api/v1/transfers")
def create_transfer() -> tuple[dict[str, str], int]:
    """Record the exchange in the body for the token's member, as the real view does."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    body = request.get_json()
    with Session() as session:
        holder = authenticate(session, token) if scheme == "Bearer" else None
        if holder is None:
            abort(401)
        skill = body.get("skill_category")
        if skill is not None and skill not in DEFAULT_SKILL_CATEGORIES:
            abort(422)
        result = record_exchange(
            session,
            ExchangeRequest(
                transfer_id=uuid.UUID(body["id"]),
                bank_id=holder.bank_id,
                giver_id=body["giver_id"],
                receiver_id=body["receiver_id"],
                minutes=body["minutes"],
                recorded_by_id=holder.member_id,
                happened_on=dt.date.fromisoformat(body["happened_on"]),
                description=body.get("note", ""),
                skill_category=skill,
            ),
            also=announce_pending,
        )
    return {"id": str(result.id), "state": "confirmed"}, 201
