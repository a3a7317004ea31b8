"""The community pot, for brokers: what it holds, gifts to it and grants from it.

The ledger's pot use cases hold the rules (brokers only for grants, a reason for each, the
pot never below zero, a member never below their overdraft, active members only). Writes
are idempotent like every ledger write: an `id` in the body or an `Idempotency-Key`.
"""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.idempotency import with_idempotency_key, write_id
from timebank.api.schemas import plain_text
from timebank.api.transfer_schemas import member_id_field, minutes_field, not_blank
from timebank.clock import as_utc
from timebank.extensions import db
from timebank.ledger.models import Account, Transfer
from timebank.ledger.pot import (
    POT_REASON_LIMIT,
    PotDonation,
    PotGrant,
    donate_to_pot,
    grant_from_pot,
    pot_balance,
)
from timebank.ledger.services import TransferResult

blp = api_blueprint(
    "api_pot",
    __name__,
    "The community pot: hours members give to it, and hours it gives to members (brokers).",
)

_ID_FIELD = {"description": "Your id for this write (a UUID); or send Idempotency-Key."}


class PotSchema(ma.Schema):
    """What the community pot holds."""

    account_id = ma.fields.Integer(required=True)
    balance_minutes = ma.fields.Integer(
        required=True, metadata={"description": "Never below zero: the pot gives what it holds."}
    )


class DonationCreateSchema(ma.Schema):
    """A member gives some of their hours to the community pot."""

    id = ma.fields.UUID(load_default=None, allow_none=True, metadata=_ID_FIELD)
    member_id = member_id_field(required=True, metadata={"description": "The member who gives."})
    minutes = minutes_field(required=True)
    note = ma.fields.String(
        load_default="",
        validate=[ma.validate.Length(max=POT_REASON_LIMIT), plain_text],
        metadata={"description": "Anything to remember about it, up to 500 characters."},
    )


class GrantCreateSchema(ma.Schema):
    """The community pot gives some hours to a member, for a reason."""

    id = ma.fields.UUID(load_default=None, allow_none=True, metadata=_ID_FIELD)
    member_id = member_id_field(required=True, metadata={"description": "The member it helps."})
    minutes = minutes_field(required=True)
    reason = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=POT_REASON_LIMIT), plain_text, not_blank],
        metadata={"description": "Why the pot gives these hours, for the records."},
    )


class PotTransferSchema(ma.Schema):
    """A gift to the pot or a grant from it, as recorded, and what the pot holds now."""

    id = ma.fields.UUID(required=True)
    code = ma.fields.String(required=True, metadata={"description": "donation or grant"})
    member_id = ma.fields.Integer(required=True)
    minutes = ma.fields.Integer(required=True)
    happened_on = ma.fields.Date(required=True)
    recorded_at = ma.fields.DateTime(required=True)
    recorded_by_id = ma.fields.Integer(required=True, allow_none=True)
    note = ma.fields.String(required=True)
    reason = ma.fields.String(required=True, allow_none=True)
    pot_balance_minutes = ma.fields.Integer(required=True)


def _answer(result: TransferResult) -> tuple[dict[str, Any], int]:
    """Describe the recorded transfer; 201 the first time, 200 for a replay."""
    session = db.session()
    row = session.get(Transfer, result.id)
    assert row is not None
    member_account = row.debit_account_id if row.code == "donation" else row.credit_account_id
    account = session.get(Account, member_account)
    body = {
        "id": row.id,
        "code": row.code,
        "member_id": account.member_id if account is not None else None,
        "minutes": row.amount,
        "happened_on": row.happened_on,
        "recorded_at": as_utc(row.recorded_at),
        "recorded_by_id": row.recorded_by_id,
        "note": row.description,
        "reason": row.reason,
        "pot_balance_minutes": pot_balance(session, row.bank_id).balance,
    }
    return body, 200 if result.replayed else 201


@blp.get("/pot")
@require_role("broker")
@blp.response(200, PotSchema)
def get_pot() -> dict[str, Any]:
    """Return what the community pot holds, in minutes (brokers)."""
    pot = pot_balance(db.session(), caller().bank_id)
    return {"account_id": pot.account_id, "balance_minutes": pot.balance}


@blp.post("/pot/donations")
@require_role("broker")
@with_idempotency_key
@blp.arguments(DonationCreateSchema(), location="json")
@blp.response(201, PotTransferSchema)
@blp.alt_response(200, schema=PotTransferSchema, description="A replay: the first answer.")
def create_donation(args: dict[str, Any], key: str | None) -> tuple[dict[str, Any], int]:
    """Record that a member gave some of their hours to the community pot (brokers).

    The member must be active, and the gift cannot take them below their overdraft limit
    (409). Sending the same `id` or `Idempotency-Key` again answers 200 with the first
    answer; reusing it for something else answers 409.
    """
    who = caller()
    transfer_id: uuid.UUID = write_id(args["id"], key, "pot_donations")
    request = PotDonation(
        transfer_id, who.bank_id, args["member_id"], args["minutes"], who.member_id, args["note"]
    )
    return _answer(donate_to_pot(db.session(), request))


@blp.post("/pot/grants")
@require_role("broker")
@with_idempotency_key
@blp.arguments(GrantCreateSchema(), location="json")
@blp.response(201, PotTransferSchema)
@blp.alt_response(200, schema=PotTransferSchema, description="A replay: the first answer.")
def create_grant(args: dict[str, Any], key: str | None) -> tuple[dict[str, Any], int]:
    """Record that the community pot gave some hours to a member, with a reason (brokers).

    The pot gives only what it holds: more answers 409 `pot_too_low`. The member must be
    active. Replays and conflicts as for gifts.
    """
    who = caller()
    transfer_id = write_id(args["id"], key, "pot_grants")
    request = PotGrant(
        transfer_id, who.bank_id, args["member_id"], args["minutes"], who.member_id, args["reason"]
    )
    return _answer(grant_from_pot(db.session(), request))
