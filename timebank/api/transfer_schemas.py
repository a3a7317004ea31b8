"""The shapes of exchanges in the API: what a write takes and what a read gives back.

Schemas only shape data: the ledger's services hold the rules (who may record, the day,
the limits), and their errors become problem+json answers.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from timebank.api.pagination import PageArgsSchema, page_schema
from timebank.api.schemas import plain_text
from timebank.ledger.rules import ABSOLUTE_MAX_MINUTES
from timebank.ledger.states import EXCHANGE_STATES

MAX_ID = 2**31 - 1


# Input checks shared with the group exchanges and the community pot.


def not_blank(value: str) -> None:
    """Refuse text that is only spaces."""
    if not value.strip():
        raise ma.ValidationError("Write something here.")


def member_id_field(**kwargs: Any) -> ma.fields.Integer:
    """Return a field for a member's id: a whole number in range."""
    return ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_ID, error="That is not a member's id."),
        **kwargs,
    )


def minutes_field(**kwargs: Any) -> ma.fields.Integer:
    """Return a field for a number of minutes, as the ledger takes them."""
    return ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(
            min=1,
            max=ABSOLUTE_MAX_MINUTES,
            error=f"Give a whole number of minutes from 1 to {ABSOLUTE_MAX_MINUTES}.",
        ),
        **kwargs,
    )


class RecordFieldsSchema(ma.Schema):
    """What every new exchange says: the client's id, minutes, day, kind of help, note."""

    id = ma.fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "Your id for this write (a UUID); or send Idempotency-Key."},
    )
    minutes = minutes_field(required=True)
    happened_on = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "The day of the help, not after today in the time bank's time zone "
            "and at most the bank's limit of days back (90 unless set); today if left out."
        },
    )
    skill_category = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=60),
        metadata={"description": "One of the time bank's kinds of help."},
    )
    note = ma.fields.String(
        load_default="",
        validate=[ma.validate.Length(max=500), plain_text],
        metadata={"description": "Anything else about it, up to 500 characters."},
    )
    reason = ma.fields.String(
        load_default="",
        validate=[ma.validate.Length(max=500), plain_text],
        metadata={
            "description": "Brokers only: why the exchange is dated further back than "
            "members may date one."
        },
    )


class TransferCreateSchema(RecordFieldsSchema):
    """A new exchange: who gave whom how many minutes of help."""

    giver_id = member_id_field(
        required=True, metadata={"description": "The member who gave the help."}
    )
    receiver_id = member_id_field(
        required=True, metadata={"description": "The member who received it."}
    )


class RecordedTransferSchema(ma.Schema):
    """An exchange as it was recorded."""

    id = ma.fields.UUID(required=True)
    code = ma.fields.String(
        required=True,
        metadata={"description": "exchange, group, donation, grant, reversal or adjustment"},
    )
    state = ma.fields.String(
        required=True, metadata={"description": "confirmed, waiting or declined"}
    )
    giver_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "None for an organisation."}
    )
    receiver_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "None for an organisation."}
    )
    giver_account_id = ma.fields.Integer(required=True)
    receiver_account_id = ma.fields.Integer(required=True)
    minutes = ma.fields.Integer(
        required=True, metadata={"description": "The minutes that moved, or will move."}
    )
    logged_minutes = ma.fields.Integer(
        required=True, metadata={"description": "The minutes first recorded."}
    )
    happened_on = ma.fields.Date(required=True)
    recorded_at = ma.fields.DateTime(required=True)
    recorded_by_id = ma.fields.Integer(required=True, allow_none=True)
    skill_category = ma.fields.String(required=True, allow_none=True)
    note = ma.fields.String(required=True)
    group_id = ma.fields.UUID(required=True, allow_none=True)
    reverses_id = ma.fields.UUID(
        required=True, allow_none=True, metadata={"description": "The exchange a reversal undoes."}
    )
    reason = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Why it was declined or reversed."},
    )


class TransferSchema(RecordedTransferSchema):
    """An exchange with both sides named and its state now."""

    giver_name = ma.fields.String(required=True)
    receiver_name = ma.fields.String(required=True)


class TransferListArgsSchema(PageArgsSchema):
    """Which exchanges to list: whose, between which days, in which state."""

    member_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Whose exchanges (brokers: anyone in the bank); you if left out."},
    )
    from_ = ma.fields.Date(
        data_key="from", load_default=None, metadata={"description": "Happened on or after."}
    )
    to = ma.fields.Date(load_default=None, metadata={"description": "Happened on or before."})
    state = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(EXCHANGE_STATES),
        metadata={"description": "confirmed, waiting or declined"},
    )


def resolution_id_field() -> ma.fields.UUID:
    """Return the field for the client's id of a confirmation or decline."""
    return ma.fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "Your id for this write (a UUID); or send Idempotency-Key."},
    )


class ConfirmSchema(ma.Schema):
    """Confirm a waiting exchange, for the logged minutes or fewer."""

    id = resolution_id_field()
    minutes = minutes_field(
        load_default=None,
        allow_none=True,
        metadata={"description": "Fewer minutes than logged, if so; all of them if left out."},
    )


class DeclineSchema(ma.Schema):
    """Decline a waiting exchange, or withdraw one you logged."""

    id = resolution_id_field()
    reason = ma.fields.String(load_default="", validate=[ma.validate.Length(max=500), plain_text])


class ReverseSchema(ma.Schema):
    """Correct a confirmed exchange by moving its hours back."""

    id = ma.fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "Your id for the reversal (a UUID); or send Idempotency-Key."},
    )
    reason = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=500), plain_text, not_blank],
        metadata={"description": "Why the hours go back, for the members and the records."},
    )


TransferPageSchema = page_schema(TransferSchema, "TransferPage")
