"""Group exchanges: one member helped several people, or several people helped one member.

For a lunch club or a gardening morning: the same minutes for each pair, recorded all or
nothing by `record_group_exchange`. Each pair is a transfer of its own (code `group`), and
each receiver confirms or declines their own through /transfers when the giver recorded it.
The id rules are those of /transfers: an `id` in the body or an `Idempotency-Key` header.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import marshmallow as ma

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.exchange_reads import check_details, exchange_body, group_rows
from timebank.api.idempotency import with_idempotency_key, write_id
from timebank.api.transfer_schemas import RecordFieldsSchema, member_id_field
from timebank.broker.announce import announce_pending
from timebank.clock import as_utc, utcnow
from timebank.errors import NotFound
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.claims import claim_write
from timebank.ledger.services import (
    GroupExchangeRequest,
    TransferResult,
    group_transfer_id,
    record_group_exchange,
)
from timebank.ledger.states import state_when_recorded

blp = api_blueprint(
    "api_group_exchanges",
    __name__,
    "Group exchanges: one member helped several people, or several people helped one.",
)

MAX_PEOPLE = 100


def _people(description: str) -> ma.fields.List[Any]:
    return ma.fields.List(
        member_id_field(),
        required=True,
        validate=ma.validate.Length(
            min=1, max=MAX_PEOPLE, error=f"Name from 1 to {MAX_PEOPLE} people."
        ),
        metadata={"description": description},
    )


class GroupExchangeCreateSchema(RecordFieldsSchema):
    """A new group exchange: one giver and several receivers, or several givers and one."""

    giver_ids = _people("The members who gave the help (one, if several received).")
    receiver_ids = _people("The members who received it (one, if several gave).")


class GroupPairSchema(ma.Schema):
    """One giver and receiver of a group exchange: a transfer of its own."""

    id = ma.fields.UUID(required=True, metadata={"description": "The transfer's id."})
    giver_id = ma.fields.Integer(required=True)
    receiver_id = ma.fields.Integer(required=True)
    state = ma.fields.String(
        required=True, metadata={"description": "confirmed, waiting or declined"}
    )
    minutes = ma.fields.Integer(
        required=True, metadata={"description": "The minutes that moved, or will move."}
    )


class GroupExchangeSchema(ma.Schema):
    """A group exchange and the transfer of each pair, in the order they were named."""

    id = ma.fields.UUID(required=True)
    giver_ids = ma.fields.List(ma.fields.Integer(), required=True)
    receiver_ids = ma.fields.List(ma.fields.Integer(), required=True)
    minutes = ma.fields.Integer(required=True, metadata={"description": "Minutes for each pair."})
    happened_on = ma.fields.Date(required=True)
    recorded_at = ma.fields.DateTime(required=True)
    recorded_by_id = ma.fields.Integer(required=True, allow_none=True)
    skill_category = ma.fields.String(required=True, allow_none=True)
    note = ma.fields.String(required=True)
    transfers = ma.fields.List(ma.fields.Nested(GroupPairSchema), required=True)


def _unique(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def _group_body(
    group_id: uuid.UUID, pairs: list[dict[str, Any]], head: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": group_id,
        "giver_ids": _unique([p["giver_id"] for p in pairs]),
        "receiver_ids": _unique([p["receiver_id"] for p in pairs]),
        **head,
        "transfers": pairs,
    }


def _first_answer(
    group_id: uuid.UUID, args: dict[str, Any], results: list[TransferResult], stamp: dt.datetime
) -> dict[str, Any]:
    """Describe a newly recorded group from the request and the ledger's results alone."""
    pairs = [(g, r) for g in args["giver_ids"] for r in args["receiver_ids"]]
    return _group_body(
        group_id,
        [
            {
                "id": result.id,
                "giver_id": giver_id,
                "receiver_id": receiver_id,
                "state": state_when_recorded(result.phase),
                "minutes": result.amount,
            }
            for (giver_id, receiver_id), result in zip(pairs, results, strict=True)
        ],
        {
            "minutes": args["minutes"],
            "happened_on": results[0].happened_on,
            "recorded_at": stamp,
            "recorded_by_id": caller().member_id,
            "skill_category": args["skill_category"],
            "note": args["note"],
        },
    )


def _stored_group(group_id: uuid.UUID, *, as_recorded: bool) -> dict[str, Any] | None:
    """Read a group of this bank from its transfers: as it is now, or as first recorded."""
    who = caller()
    rows = group_rows(db.session(), who.bank_id, group_id)
    if not rows:
        return None
    if not as_recorded and not (
        who.at_least("broker")
        or any(who.member_id in (r.giver_id, r.receiver_id, r.recorded_by_id) for r in rows)
    ):
        return None
    position = {group_transfer_id(group_id, i): i for i in range(len(rows))}
    rows.sort(key=lambda r: position.get(r.id, len(rows)))
    bodies = [exchange_body(row, as_recorded=as_recorded) for row in rows]
    first = rows[0]
    return _group_body(
        group_id,
        [
            {key: body[key] for key in ("id", "giver_id", "receiver_id", "state", "minutes")}
            for body in bodies
        ],
        {
            "minutes": first.amount,
            "happened_on": first.happened_on,
            "recorded_at": as_utc(first.recorded_at),
            "recorded_by_id": first.recorded_by_id,
            "skill_category": first.skill_category,
            "note": first.description,
        },
    )


@blp.post("/group-exchanges")
@require_role("member")
@with_idempotency_key
@blp.arguments(GroupExchangeCreateSchema(), location="json")
@blp.response(201, GroupExchangeSchema)
@blp.alt_response(200, schema=GroupExchangeSchema, description="A replay: the first answer.")
def create_group_exchange(
    args: dict[str, Any], key: str | None
) -> dict[str, Any] | tuple[dict[str, Any], int]:
    """Record a group exchange: the same minutes for each giver and receiver, all or nothing.

    One giver and several receivers, or several givers and one receiver; nobody twice.
    Recorded by the single receiver, or by a broker for others, it is confirmed at once;
    recorded by the single giver, each receiver confirms their own. The same `id` or
    `Idempotency-Key` again answers 200 with the first answer; for a different group, 409.
    """
    who = caller()
    group_id = write_id(args["id"], key, "group-exchanges")
    givers, receivers = args["giver_ids"], args["receiver_ids"]
    session = db.session()
    claim_write(session, group_id)  # before any check: a retry waits for the original
    check_details(session, who.bank_id, args, group_transfer_id(group_id, 0))
    stamp = utcnow()
    results = record_group_exchange(
        session,
        GroupExchangeRequest(
            group_id=group_id,
            bank_id=who.bank_id,
            giver_ids=givers,
            receiver_ids=receivers,
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
    if results and results[0].replayed:
        body = _stored_group(group_id, as_recorded=True)
        if body is None:  # the id was used for something that is not a group exchange
            raise errors.IdempotencyConflict(group_id)
        return body, 200
    return _first_answer(group_id, args, results, stamp)


@blp.get("/group-exchanges/<uuid:group_id>")
@require_role("member")
@blp.response(200, GroupExchangeSchema)
def get_group_exchange(group_id: uuid.UUID) -> dict[str, Any]:
    """Return a group exchange you took part in or recorded (any in the bank for a broker)."""
    body = _stored_group(group_id, as_recorded=False)
    if body is None:
        raise NotFound(f"There is no group exchange {group_id} for you in this time bank.")
    return body
