"""Transfers: record an exchange of hours, confirm, decline or reverse it, and list them.

The ledger's services do the work and hold the rules (who may record, confirm or decline
what, pending or posted, the day, the limits, idempotency); these views pass the input on
and describe the result, and the services' errors become problem+json answers. The shapes
are in `transfer_schemas`, the reads in `exchange_reads`, write ids in `idempotency`.

Every write is idempotent: its id comes from the body's `id`, or else from the
`Idempotency-Key` header, mapped to a UUID for this bank, caller and endpoint. The same id
with the same body answers 200 with the first answer; with a different body, 409.

An exchange as the API shows it is one original transfer (posted at once, or pending) with
its state: `confirmed`, `waiting` (for the receiver) or `declined`. Confirmations and
declines are separate ledger rows but not separate resources here; a reversal is a
transfer of its own (code `reversal`) that names the exchange it reverses.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.exchange_reads import (
    NEWEST_FIRST,
    after,
    check_details,
    cursor_key,
    exchange_body,
    exchange_row,
    exchanges_query,
    happened_between,
    key_of,
    named_body,
    on_account,
    state_is,
    visible_exchange,
)
from timebank.api.idempotency import resolution_id, with_idempotency_key, write_id
from timebank.api.pagination import page
from timebank.api.transfer_schemas import (
    ConfirmSchema,
    DeclineSchema,
    RecordedTransferSchema,
    ReverseSchema,
    TransferCreateSchema,
    TransferListArgsSchema,
    TransferPageSchema,
    TransferSchema,
)
from timebank.broker.announce import announce_pending
from timebank.clock import utcnow
from timebank.errors import NotAllowed, NotFound
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.claims import claim_write
from timebank.ledger.queries import member_account_id
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_exchange_hours
from timebank.ledger.services import ExchangeRequest, TransferResult, record_exchange
from timebank.ledger.states import state_when_recorded

blp = api_blueprint(
    "api_transfers",
    __name__,
    "Exchanges of hours between members: record, confirm, decline, reverse and list them.",
)


# Recording an exchange.


def _first_answer(
    args: dict[str, Any], result: TransferResult, stamp: dt.datetime
) -> dict[str, Any]:
    """Describe a newly recorded exchange from the request and the ledger's result alone."""
    return {
        "id": result.id,
        "code": result.code,
        "state": state_when_recorded(result.phase),
        "giver_id": args["giver_id"],
        "receiver_id": args["receiver_id"],
        "giver_account_id": result.credit_account_id,
        "receiver_account_id": result.debit_account_id,
        "minutes": result.amount,
        "logged_minutes": result.amount,
        "happened_on": result.happened_on,
        "recorded_at": stamp,
        "recorded_by_id": caller().member_id,
        "skill_category": args["skill_category"],
        "note": args["note"],
        "group_id": None,
        "reverses_id": None,
        "reason": args["reason"].strip() or None,
    }


@blp.post("/transfers")
@require_role("member")
@with_idempotency_key
# Argument schemas are instances: given a class, webargs would build one on every request.
@blp.arguments(TransferCreateSchema(), location="json")
@blp.response(201, RecordedTransferSchema)
@blp.alt_response(200, schema=RecordedTransferSchema, description="A replay: the first answer.")
def create_transfer(
    args: dict[str, Any], key: str | None
) -> dict[str, Any] | tuple[dict[str, Any], int]:
    """Record that one member gave another some minutes of help.

    Logged by the giver it waits for the receiver to confirm; logged by the receiver, or by
    a broker for two other members, it is confirmed at once. Send an `id` (UUID) or an
    `Idempotency-Key` header: sending the same again answers 200 with the first answer, and
    reusing it for a different exchange answers 409. Limits refused by the ledger answer
    409 with the reason in plain words.
    """
    who = caller()
    transfer_id = write_id(args["id"], key, "transfers")
    session = db.session()
    claim_write(session, transfer_id)  # before any check: a retry waits for the original
    check_details(session, who.bank_id, args, transfer_id)
    stamp = utcnow()
    result = record_exchange(
        session,
        ExchangeRequest(
            transfer_id=transfer_id,
            bank_id=who.bank_id,
            giver_id=args["giver_id"],
            receiver_id=args["receiver_id"],
            minutes=args["minutes"],
            recorded_by_id=who.member_id,
            happened_on=args["happened_on"],
            description=args["note"],
            skill_category=args["skill_category"],
            reason=args["reason"],
            acting_role=who.role,
        ),
        now=lambda: stamp,
        also=announce_pending,
    )
    if result.replayed:
        row = exchange_row(session, who.bank_id, result.id)
        if row is None:  # the id belongs to a transfer that is not an exchange
            raise errors.IdempotencyConflict(result.id)
        return exchange_body(row, as_recorded=True), 200
    return _first_answer(args, result, stamp)


# Listing and reading.


@blp.get("/transfers")
@require_role("member")
@blp.arguments(TransferListArgsSchema(), location="query")
@blp.response(200, TransferPageSchema)
def list_transfers(args: dict[str, Any]) -> dict[str, Any]:
    """List a member's exchanges, newest first, a page at a time.

    Your own unless you are a broker and give `member_id`. Narrow by the day of the help
    (`from`, `to`) and by state (confirmed, waiting, declined).
    """
    who = caller()
    member_id = args["member_id"] or who.member_id
    if member_id != who.member_id and not who.at_least("broker"):
        raise NotAllowed("You can list only your own exchanges.")
    key = cursor_key(args["cursor"])
    session = db.session()
    account_id = member_account_id(session, who.bank_id, member_id)
    if account_id is None:
        raise NotFound(f"There is no member {member_id} in this time bank.")
    query = exchanges_query(who.bank_id).where(
        on_account(account_id), *happened_between(args["from_"], args["to"])
    )
    if args["state"] is not None:
        query = query.where(state_is(args["state"]))
    if key is not None:
        query = query.where(after(key))
    rows = session.execute(query.order_by(*NEWEST_FIRST).limit(args["limit"] + 1)).all()
    return page([named_body(row) for row in rows], args["limit"], key_of)


@blp.get("/transfers/<uuid:transfer_id>")
@require_role("member")
@blp.response(200, TransferSchema)
def get_transfer(transfer_id: uuid.UUID) -> dict[str, Any]:
    """Return one exchange: one of your own, or any in the bank for a broker."""
    return named_body(visible_exchange(db.session(), transfer_id))


# Confirm, decline, reverse.


@blp.post("/transfers/<uuid:transfer_id>/confirm")
@require_role("member")
@with_idempotency_key
@blp.arguments(ConfirmSchema(), location="json")
@blp.response(200, TransferSchema)
def confirm_transfer(
    args: dict[str, Any], transfer_id: uuid.UUID, key: str | None
) -> dict[str, Any]:
    """Confirm an exchange waiting for you (the receiver; or a broker), for fewer minutes if so.

    Send an `id` (UUID) or an `Idempotency-Key` header, as when recording: sending the same
    confirmation again answers the same, and reusing the id for anything else answers 409.
    """
    who = caller()
    session = db.session()
    visible_exchange(session, transfer_id)
    confirm_pending(
        session,
        who.bank_id,
        transfer_id,
        resolution_id(args, key, "confirm", transfer_id, args["minutes"]),
        who.member_id,
        args["minutes"],
        acting_role=who.role,
    )
    return named_body(visible_exchange(session, transfer_id))


@blp.post("/transfers/<uuid:transfer_id>/decline")
@require_role("member")
@with_idempotency_key
@blp.arguments(DeclineSchema(), location="json")
@blp.response(200, TransferSchema)
def decline_transfer(
    args: dict[str, Any], transfer_id: uuid.UUID, key: str | None
) -> dict[str, Any]:
    """Decline an exchange waiting for you, or withdraw one you logged, with a reason.

    Send an `id` (UUID) or an `Idempotency-Key` header, as when recording: sending the same
    decline again answers the same, and reusing the id for anything else answers 409.
    """
    who = caller()
    session = db.session()
    visible_exchange(session, transfer_id)
    reason = args["reason"].strip()
    decline_pending(
        session,
        who.bank_id,
        transfer_id,
        resolution_id(args, key, "decline", transfer_id, reason),
        who.member_id,
        reason,
        acting_role=who.role,
    )
    return named_body(visible_exchange(session, transfer_id))


@blp.post("/transfers/<uuid:transfer_id>/reverse")
@require_role("broker")
@with_idempotency_key
@blp.arguments(ReverseSchema(), location="json")
@blp.response(201, TransferSchema)
@blp.alt_response(200, schema=TransferSchema, description="A replay: the reversal already made.")
def reverse_exchange(
    args: dict[str, Any], transfer_id: uuid.UUID, key: str | None
) -> tuple[dict[str, Any], int]:
    """Correct a confirmed exchange (brokers): a new transfer moves its hours back, once.

    A reason is required. Send an `id` (UUID) or an `Idempotency-Key` header for the
    reversal, as when recording. The answer is the reversal itself.
    """
    who = caller()
    reversal_id = write_id(args["id"], key, f"reverse:{transfer_id}")
    session = db.session()
    result = reverse_exchange_hours(
        session, who.bank_id, transfer_id, reversal_id, who.member_id, args["reason"]
    )
    row = exchange_row(session, who.bank_id, result.id)
    if row is None:  # pragma: no cover - a reversal is always an original posted transfer
        raise NotFound("The reversal could not be found.")
    return named_body(row), 200 if result.replayed else 201
