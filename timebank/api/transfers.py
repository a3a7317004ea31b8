"""Transfers: record an exchange of hours, confirm, decline or reverse it, and list them.

The ledger's services do the work and hold the rules (who may record what, pending or
posted, the limits, idempotency); these views check the input, pass it on and describe the
result. Every write is idempotent: its id comes from the body's `id`, or else from the
`Idempotency-Key` header, mapped to a UUID for this bank, caller and endpoint. The same id
with the same body answers 200 with the first answer; with a different body, 409.

An exchange as the API shows it is one original transfer (posted at once, or pending) with
its state: `confirmed`, `waiting` (for the receiver) or `declined`. Confirmations and
declines are separate ledger rows but not separate resources here; a reversal is a
transfer of its own (code `reversal`) that names the exchange it reverses.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import request
from flask_smorest import Blueprint
from webargs.flaskparser import abort as webargs_abort

from timebank.api.auth import Caller, api_blueprint, caller, require_role
from timebank.api.pagination import PageArgsSchema, decode_cursor, page, page_schema
from timebank.api.schemas import plain_text
from timebank.broker.announce import announce_pending
from timebank.clock import as_utc, utcnow
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.claims import claim_write
from timebank.ledger.models import Account, Transfer
from timebank.ledger.queries import EXCHANGE_STATES, member_account_id
from timebank.ledger.resolutions import confirm_pending, decline_pending, reverse_transfer
from timebank.ledger.rules import ABSOLUTE_MAX_MINUTES
from timebank.ledger.services import ExchangeRequest, TransferResult, record_exchange
from timebank.members.models import Member, Organisation
from timebank.offers.models import SkillCategory
from timebank.offers.skills import DEFAULT_SKILL_CATEGORIES

blp = api_blueprint(
    "api_transfers",
    __name__,
    "Exchanges of hours between members: record, confirm, decline, reverse and list them.",
)

# Ids made from an Idempotency-Key live here, so they never meet a client's random UUIDs.
IDEMPOTENCY_NAMESPACE = uuid.UUID("0b7d2f4e-8a61-4c1f-9f3e-5d2a7c9e1b40")
MAX_KEY_LENGTH = 200
MAX_ID = 2**31 - 1


# Input checks shared with the group exchanges.


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


_KEY_LENGTH = ma.validate.Length(min=1, max=MAX_KEY_LENGTH)
# The Idempotency-Key header as OpenAPI shows it: the alternative to an `id` in the body.
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "description": "Any string up to 200 characters, unique per write.",
    "schema": {
        "type": "string",
        "default": None,
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "nullable": True,
    },
    "required": False,
}


def idempotency_key() -> str | None:
    """Return the Idempotency-Key header, or None; answer 422 if it is empty or too long.

    Read here rather than through a schema of its own: a second schema parsed on every
    write cost more than the check itself. The 422 is the one a schema would give.
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        try:
            _KEY_LENGTH(key)
        except ma.ValidationError as error:
            messages = {"headers": {"Idempotency-Key": error.messages}}
            webargs_abort(422, exc=error, messages=messages)
    return key


def with_idempotency_key(view: Callable) -> Callable:
    """Decorate a write to check its Idempotency-Key before the body and pass it as `key`."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        return view(*args, key=idempotency_key(), **kwargs)

    return Blueprint.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])(checked)


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


# Helpers for every write.


def write_id(body_id: uuid.UUID | None, key: str | None, purpose: str) -> uuid.UUID:
    """Return the id of a write: the body's `id`, else one made from the Idempotency-Key."""
    if body_id is not None:
        return body_id
    if key is None:
        raise InvalidInput(
            "Give this write an id: an 'id' (a UUID) in the body, or an Idempotency-Key header."
        )
    who = caller()
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{who.bank_id}:{who.member_id}:{purpose}:{key}")


def check_details(
    session: so.Session, bank_id: int, args: dict[str, Any], transfer_id: uuid.UUID
) -> None:
    """Check the kind of help is one the bank shows (the ledger checks the day).

    A write whose id is already used passes, whatever it says: the ledger then replays it
    or refuses it as a conflict, so a retry still succeeds after the bank hid a category.
    """
    skill = args["skill_category"]
    if skill is not None and not _known_skill(session, bank_id, skill, caller()):
        problem = f"'{skill}' is not one of this time bank's kinds of help."
    else:
        return
    if session.scalar(sa.select(Transfer.id).where(Transfer.id == transfer_id)) is None:
        raise InvalidInput(problem)


_skills = SkillCategory.__table__
# Whether the bank shows a category of that name, and whether it has its own list at all.
_SKILL_QUERY = sa.select(
    sa.exists().where(
        _skills.c.bank_id == sa.bindparam("bank_id"),
        _skills.c.name == sa.bindparam("name"),
        _skills.c.active.is_(True),
    ),
    sa.exists().where(_skills.c.bank_id == sa.bindparam("bank_id")),
)


def _known_skill(session: so.Session, bank_id: int, name: str, who: Caller) -> bool:
    """Tell whether members may choose this category now (`offers.skills`, in one query).

    A bank without its own rows uses the defaults; once it has rows, the shown rows. A
    token's query already said whether the bank has rows: without, no query is needed.
    """
    if who.own_skill_categories is False:
        return name in DEFAULT_SKILL_CATEGORIES
    shown, has_own = session.execute(_SKILL_QUERY, {"bank_id": bank_id, "name": name}).one()
    return bool(shown) or (not has_own and name in DEFAULT_SKILL_CATEGORIES)


def state_when_recorded(phase: str) -> str:
    """Return an original transfer's state when it was recorded."""
    return "waiting" if phase == "pending" else "confirmed"


# Reading exchanges: one query, with both sides, the resolution and what a reversal undoes.

_t = Transfer.__table__.alias("t")
_resolution = Transfer.__table__.alias("resolution")
_reversed = Transfer.__table__.alias("reversed")
_giver_account = Account.__table__.alias("giver_account")
_receiver_account = Account.__table__.alias("receiver_account")
_giver = Member.__table__.alias("giver")
_receiver = Member.__table__.alias("receiver")
_giver_org = Organisation.__table__.alias("giver_org")
_receiver_org = Organisation.__table__.alias("receiver_org")

_STATES = {
    "confirmed": sa.or_(_t.c.phase == "posted", _resolution.c.phase == "post_pending"),
    "waiting": sa.and_(_t.c.phase == "pending", _resolution.c.id.is_(None)),
    "declined": _resolution.c.phase == "void_pending",
}
_NEWEST_FIRST = (_t.c.happened_on.desc(), _t.c.recorded_at.desc(), _t.c.id.desc())


def exchanges_query(bank_id: int) -> sa.Select:
    """Build the query of the bank's exchanges (original transfers) as the API shows them."""
    return (
        sa.select(
            _t.c.id,
            _t.c.code,
            _t.c.phase,
            _t.c.amount,
            _resolution.c.phase.label("resolved_as"),
            _resolution.c.amount.label("resolved_amount"),
            _resolution.c.reason.label("resolved_reason"),
            _t.c.credit_account_id,
            _t.c.debit_account_id,
            _giver_account.c.member_id.label("giver_id"),
            sa.func.coalesce(_giver.c.display_name, _giver_org.c.name).label("giver_name"),
            _receiver_account.c.member_id.label("receiver_id"),
            sa.func.coalesce(_receiver.c.display_name, _receiver_org.c.name).label("receiver_name"),
            _t.c.happened_on,
            _t.c.recorded_at,
            _t.c.recorded_by_id,
            _t.c.skill_category,
            _t.c.description,
            _t.c.group_id,
            sa.func.coalesce(_reversed.c.pending_id, _t.c.reverses_id).label("reverses_id"),
            _t.c.reason,
        )
        .select_from(_t)
        .outerjoin(_resolution, _resolution.c.pending_id == _t.c.id)
        .outerjoin(_reversed, _reversed.c.id == _t.c.reverses_id)
        .join(_giver_account, _giver_account.c.id == _t.c.credit_account_id)
        .join(_receiver_account, _receiver_account.c.id == _t.c.debit_account_id)
        .outerjoin(_giver, _giver.c.id == _giver_account.c.member_id)
        .outerjoin(_receiver, _receiver.c.id == _receiver_account.c.member_id)
        .outerjoin(_giver_org, _giver_org.c.id == _giver_account.c.organisation_id)
        .outerjoin(_receiver_org, _receiver_org.c.id == _receiver_account.c.organisation_id)
        .where(_t.c.bank_id == bank_id, _t.c.phase.in_(("posted", "pending")))
    )


def exchange_body(row: sa.Row, *, as_recorded: bool = False) -> dict[str, Any]:
    """Turn a row of `exchanges_query` into the API's shape: now, or as first recorded."""
    if as_recorded or row.resolved_as is None:
        state, minutes, reason = state_when_recorded(row.phase), row.amount, row.reason
    elif row.resolved_as == "post_pending":
        state, minutes, reason = "confirmed", row.resolved_amount, row.reason
    else:
        state, minutes, reason = "declined", 0, row.resolved_reason
    return {
        "id": row.id,
        "code": row.code,
        "state": state,
        "giver_id": row.giver_id,
        "receiver_id": row.receiver_id,
        "giver_account_id": row.credit_account_id,
        "receiver_account_id": row.debit_account_id,
        "minutes": minutes,
        "logged_minutes": row.amount,
        "happened_on": row.happened_on,
        "recorded_at": as_utc(row.recorded_at),
        "recorded_by_id": row.recorded_by_id,
        "skill_category": row.skill_category,
        "note": row.description,
        "group_id": row.group_id,
        "reverses_id": row.reverses_id,
        "reason": reason,
    }


def named_body(row: sa.Row) -> dict[str, Any]:
    """Return an exchange as it is now, with both sides named."""
    return exchange_body(row) | {"giver_name": row.giver_name, "receiver_name": row.receiver_name}


def exchange_row(session: so.Session, bank_id: int, transfer_id: uuid.UUID) -> sa.Row | None:
    """Return one exchange of this bank, or None."""
    return session.execute(exchanges_query(bank_id).where(_t.c.id == transfer_id)).first()


def group_rows(session: so.Session, bank_id: int, group_id: uuid.UUID) -> list[sa.Row]:
    """Return the transfers of one group exchange of this bank, in no set order."""
    query = exchanges_query(bank_id).where(_t.c.group_id == group_id, _t.c.code == "group")
    return list(session.execute(query).all())


def sees(row: sa.Row) -> bool:
    """Tell whether the caller may see this exchange: a broker, or one of its people."""
    who = caller()
    return who.at_least("broker") or who.member_id in (
        row.giver_id,
        row.receiver_id,
        row.recorded_by_id,
    )


def visible_exchange(session: so.Session, transfer_id: uuid.UUID) -> sa.Row:
    """Return an exchange the caller may see, or raise NotFound."""
    row = exchange_row(session, caller().bank_id, transfer_id)
    if row is None or not sees(row):
        raise NotFound(f"There is no exchange {transfer_id} for you in this time bank.")
    return row


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
def create_transfer(args: dict[str, Any], key: str | None):
    """Record that one member gave another some minutes of help.

    Logged by the giver it waits for the receiver to confirm; logged by the receiver, or by
    a broker for two other members, it is confirmed at once. Send an `id` (UUID) or an
    `Idempotency-Key` header: sending the same again answers 200 with the first answer, and
    reusing it for a different exchange answers 409. Limits refused by the ledger answer
    409 with the reason in plain words.
    """
    who = caller()
    transfer_id = write_id(args["id"], key, "transfers")
    if not who.at_least("broker") and who.member_id not in (args["giver_id"], args["receiver_id"]):
        raise errors.NotYourExchange("Only the two members or a broker can record this exchange.")
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


def _cursor_key(cursor: str | None) -> tuple[dt.date, dt.datetime, uuid.UUID] | None:
    key = decode_cursor(cursor, 3)
    if key is None:
        return None
    try:
        day = dt.date.fromisoformat(key[0])
        stamp = as_utc(dt.datetime.fromisoformat(key[1]))
        last_id = uuid.UUID(key[2])
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise InvalidInput(
            "That cursor is not one this API gave out. Start from the first page."
        ) from None
    return day, stamp, last_id


def _after(key: tuple[dt.date, dt.datetime, uuid.UUID]) -> sa.ColumnElement[bool]:
    """Return the condition that a row comes after `key`, newest first."""
    day, stamp, last_id = key
    return sa.or_(
        _t.c.happened_on < day,
        sa.and_(_t.c.happened_on == day, _t.c.recorded_at < stamp),
        sa.and_(_t.c.happened_on == day, _t.c.recorded_at == stamp, _t.c.id < last_id),
    )


def _key_of(item: dict[str, Any]) -> list[str]:
    return [item["happened_on"].isoformat(), item["recorded_at"].isoformat(), str(item["id"])]


@blp.get("/transfers")
@require_role("member")
@blp.arguments(TransferListArgsSchema(), location="query")
@blp.response(200, TransferPageSchema)
def list_transfers(args: dict[str, Any]):
    """List a member's exchanges, newest first, a page at a time.

    Your own unless you are a broker and give `member_id`. Narrow by the day of the help
    (`from`, `to`) and by state (confirmed, waiting, declined).
    """
    who = caller()
    member_id = args["member_id"] or who.member_id
    if member_id != who.member_id and not who.at_least("broker"):
        raise NotAllowed("You can list only your own exchanges.")
    key = _cursor_key(args["cursor"])
    session = db.session()
    account_id = member_account_id(session, who.bank_id, member_id)
    if account_id is None:
        raise NotFound(f"There is no member {member_id} in this time bank.")
    query = exchanges_query(who.bank_id).where(
        sa.or_(_t.c.debit_account_id == account_id, _t.c.credit_account_id == account_id)
    )
    if args["from_"] is not None:
        query = query.where(_t.c.happened_on >= args["from_"])
    if args["to"] is not None:
        query = query.where(_t.c.happened_on <= args["to"])
    if args["state"] is not None:
        query = query.where(_STATES[args["state"]])
    if key is not None:
        query = query.where(_after(key))
    rows = session.execute(query.order_by(*_NEWEST_FIRST).limit(args["limit"] + 1)).all()
    return page([named_body(row) for row in rows], args["limit"], _key_of)


@blp.get("/transfers/<uuid:transfer_id>")
@require_role("member")
@blp.response(200, TransferSchema)
def get_transfer(transfer_id: uuid.UUID):
    """Return one exchange: one of your own, or any in the bank for a broker."""
    return named_body(visible_exchange(db.session(), transfer_id))


# Confirm, decline, reverse.

# Without an id or a key, a confirmation's or decline's id is made from what it says, so
# sending it again is a replay, while a different resolution of the same exchange is
# refused as already resolved.
RESOLUTION_NAMESPACE = uuid.UUID("5e0c8b1a-2f47-4d93-a6b8-41c7e2d90f55")


def _resolution_id(
    args: dict[str, Any], key: str | None, action: str, transfer_id: uuid.UUID, detail: object
) -> uuid.UUID:
    """Return a confirmation's or decline's id: the client's, else one made from the request.

    One Idempotency-Key names one confirmation or decline of the caller, whichever exchange
    it is sent for: reused for another action or exchange it is a conflict.
    """
    if args["id"] is not None or key is not None:
        return write_id(args["id"], key, "resolutions")
    who = caller()
    return uuid.uuid5(
        RESOLUTION_NAMESPACE, f"{who.bank_id}:{who.member_id}:{action}:{transfer_id}:{detail}"
    )


@blp.post("/transfers/<uuid:transfer_id>/confirm")
@require_role("member")
@with_idempotency_key
@blp.arguments(ConfirmSchema(), location="json")
@blp.response(200, TransferSchema)
def confirm_transfer(args: dict[str, Any], transfer_id: uuid.UUID, key: str | None):
    """Confirm an exchange waiting for you (the receiver; or a broker), for fewer minutes if so.

    Send an `id` (UUID) or an `Idempotency-Key` header, as when recording: sending the same
    confirmation again answers the same, and reusing the id for anything else answers 409.
    """
    who = caller()
    session = db.session()
    row = visible_exchange(session, transfer_id)
    if not who.at_least("broker") and who.member_id != row.receiver_id:
        raise errors.NotYourExchange(
            "Only the person who received the help, or a broker, can confirm."
        )
    confirm_pending(
        session,
        who.bank_id,
        transfer_id,
        _resolution_id(args, key, "confirm", transfer_id, args["minutes"]),
        who.member_id,
        args["minutes"],
    )
    return named_body(visible_exchange(session, transfer_id))


@blp.post("/transfers/<uuid:transfer_id>/decline")
@require_role("member")
@with_idempotency_key
@blp.arguments(DeclineSchema(), location="json")
@blp.response(200, TransferSchema)
def decline_transfer(args: dict[str, Any], transfer_id: uuid.UUID, key: str | None):
    """Decline an exchange waiting for you, or withdraw one you logged, with a reason.

    Send an `id` (UUID) or an `Idempotency-Key` header, as when recording: sending the same
    decline again answers the same, and reusing the id for anything else answers 409.
    """
    who = caller()
    session = db.session()
    row = visible_exchange(session, transfer_id)
    if not who.at_least("broker") and who.member_id not in (row.receiver_id, row.giver_id):
        raise errors.NotYourExchange(
            "Only the two members, or a broker, can decline this exchange."
        )
    reason = args["reason"].strip()
    decline_pending(
        session,
        who.bank_id,
        transfer_id,
        _resolution_id(args, key, "decline", transfer_id, reason),
        who.member_id,
        reason,
    )
    return named_body(visible_exchange(session, transfer_id))


@blp.post("/transfers/<uuid:transfer_id>/reverse")
@require_role("broker")
@with_idempotency_key
@blp.arguments(ReverseSchema(), location="json")
@blp.response(201, TransferSchema)
@blp.alt_response(200, schema=TransferSchema, description="A replay: the reversal already made.")
def reverse_exchange(args: dict[str, Any], transfer_id: uuid.UUID, key: str | None):
    """Correct a confirmed exchange (brokers): a new transfer moves its hours back, once.

    A reason is required. Send an `id` (UUID) or an `Idempotency-Key` header for the
    reversal, as when recording. The answer is the reversal itself.
    """
    who = caller()
    reversal_id = write_id(args["id"], key, f"reverse:{transfer_id}")
    session = db.session()
    # A confirmed exchange that waited first moved its hours in its confirmation: undo that.
    moved_by = session.scalar(
        sa.select(Transfer.id).where(
            Transfer.bank_id == who.bank_id,
            Transfer.pending_id == transfer_id,
            Transfer.phase == "post_pending",
        )
    )
    result = reverse_transfer(
        session, who.bank_id, moved_by or transfer_id, reversal_id, who.member_id, args["reason"]
    )
    row = exchange_row(session, who.bank_id, result.id)
    if row is None:  # pragma: no cover - a reversal is always an original posted transfer
        raise NotFound("The reversal could not be found.")
    return named_body(row), 200 if result.replayed else 201
