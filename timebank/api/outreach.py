"""Outreach flags, for brokers: members the dormancy scan says need a call, and what was done.

Every action goes through `timebank.broker.outreach_actions`, as on the broker's web pages:
an action on one flag covers all of that member's open flags and writes an audit line.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest import abort

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.pagination import PageArgsSchema, page, page_schema
from timebank.api.schemas import ID, MAX_ID, Text, UtcDateTime, id_cursor
from timebank.broker import outreach_actions
from timebank.broker.models import CONTACT_METHODS, CONTACT_OUTCOMES, FLAG_STATUSES, OutreachFlag
from timebank.broker.outreach_worklist import contact_history, flag_in_bank, member_flags
from timebank.extensions import db
from timebank.members.models import Member

blp = api_blueprint("api_outreach", __name__, "Outreach to quiet members, for brokers.")

ASSIGNED_CHOICES = ("me", "none", "any")


class OutreachFlagListArgsSchema(PageArgsSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(FLAG_STATUSES))
    assigned = ma.fields.String(
        load_default="any",
        validate=ma.validate.OneOf(ASSIGNED_CHOICES),
        metadata={"description": "me: assigned to the caller; none: to nobody; any."},
    )


class OutreachFlagSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    member_id = ma.fields.Integer(required=True)
    member_name = ma.fields.String(required=True)
    rule = ma.fields.String(required=True)
    reason = ma.fields.String(required=True, metadata={"description": "In plain words."})
    since = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, metadata={"description": ", ".join(FLAG_STATUSES)})
    raised_at = UtcDateTime(required=True)
    assigned_to_id = ma.fields.Integer(required=True, allow_none=True)
    snoozed_until = ma.fields.Date(required=True, allow_none=True)
    outcome = ma.fields.String(required=True, allow_none=True)
    resolved_at = UtcDateTime(required=True, allow_none=True)
    resolved_by_id = ma.fields.Integer(required=True, allow_none=True)


class OutreachContactSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    flag_id = ma.fields.Integer(required=True, allow_none=True)
    broker_id = ma.fields.Integer(required=True)
    broker_name = ma.fields.String(required=True)
    method = ma.fields.String(required=True)
    outcome = ma.fields.String(required=True, allow_none=True)
    note = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)


class OutreachFlagDetailSchema(OutreachFlagSchema):
    contacts = ma.fields.List(
        ma.fields.Nested(OutreachContactSchema),
        required=True,
        metadata={"description": "The latest tries to reach the member, newest first."},
    )


class OutreachAssignSchema(ma.Schema):
    broker_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "The broker to give it to; the caller when left out."},
    )


class NewOutreachContactSchema(ma.Schema):
    method = Text(required=True, validate=ma.validate.OneOf(CONTACT_METHODS))
    outcome = Text(load_default=None, allow_none=True, validate=ma.validate.OneOf(CONTACT_OUTCOMES))
    note = Text(load_default="", validate=ma.validate.Length(max=outreach_actions.NOTE_LIMIT))


class OutreachSnoozeSchema(ma.Schema):
    until = ma.fields.Date(required=True, metadata={"description": "A day after today."})


class OutreachResolveSchema(ma.Schema):
    outcome = ma.fields.String(
        required=True, validate=ma.validate.OneOf(outreach_actions.RESOLVING_OUTCOMES)
    )


OutreachFlagPageSchema = page_schema(OutreachFlagSchema, "OutreachFlagPage")


def _flag(flag: OutreachFlag, member_name: str) -> dict[str, Any]:
    fields = (
        "id",
        "member_id",
        "rule",
        "reason",
        "since",
        "status",
        "raised_at",
        "assigned_to_id",
        "snoozed_until",
        "outcome",
        "resolved_at",
        "resolved_by_id",
    )
    return {name: getattr(flag, name) for name in fields} | {"member_name": member_name}


def _contact(contact: Any, broker_name: str) -> dict[str, Any]:
    fields = ("id", "flag_id", "broker_id", "method", "outcome", "note", "created_at")
    return {name: getattr(contact, name) for name in fields} | {"broker_name": broker_name}


def _details(flag_id: int) -> dict[str, Any]:
    session = db.session()
    flag = flag_in_bank(session, caller().bank_id, flag_id)
    member = session.get(Member, flag.member_id)
    assert member is not None  # the flag's foreign key guarantees the member
    contacts = contact_history(session, flag.bank_id, flag.member_id)
    return _flag(flag, member.display_name) | {
        "contacts": [_contact(contact, name) for contact, name in contacts]
    }


def _on_worklist(flag_id: int) -> None:
    """Answer 409 when the flag's member has no open flags left: nothing to act on."""
    session = db.session()
    flag = flag_in_bank(session, caller().bank_id, flag_id)
    if not member_flags(session, flag.bank_id, flag.member_id):
        abort(409, message="This member is no longer on the worklist.")


@blp.get("/outreach/flags")
@require_role("broker")
@blp.arguments(OutreachFlagListArgsSchema(), location="query")
@blp.response(200, OutreachFlagPageSchema)
def list_flags(args: dict[str, Any]) -> dict[str, Any]:
    """List outreach flags by id, filtered by status and by who they are assigned to."""
    who = caller()
    query = (
        sa.select(OutreachFlag, Member.display_name)
        .join(
            Member,
            sa.and_(Member.bank_id == OutreachFlag.bank_id, Member.id == OutreachFlag.member_id),
        )
        .where(OutreachFlag.bank_id == who.bank_id)
    )
    if args["status"]:
        query = query.where(OutreachFlag.status == args["status"])
    if args["assigned"] == "me":
        query = query.where(OutreachFlag.assigned_to_id == who.member_id)
    elif args["assigned"] == "none":
        query = query.where(OutreachFlag.assigned_to_id.is_(None))
    after = id_cursor(args["cursor"])
    if after is not None:
        query = query.where(OutreachFlag.id > after)
    rows = db.session.execute(query.order_by(OutreachFlag.id).limit(args["limit"] + 1)).all()
    result = page(list(rows), args["limit"], lambda row: [row[0].id])
    return {
        "items": [_flag(flag, name) for flag, name in result["items"]],
        "next_cursor": result["next_cursor"],
    }


@blp.get(f"/outreach/flags/<{ID}:flag_id>")
@require_role("broker")
@blp.response(200, OutreachFlagDetailSchema)
def get_flag(flag_id: int) -> dict[str, Any]:
    """Return an outreach flag and the latest tries to reach its member."""
    return _details(flag_id)


@blp.post(f"/outreach/flags/<{ID}:flag_id>/assign")
@require_role("broker")
@blp.arguments(OutreachAssignSchema(), location="json", required=False)
@blp.response(200, OutreachFlagDetailSchema)
def assign_flag(args: dict[str, Any], flag_id: int) -> dict[str, Any]:
    """Give the member's outreach (all their open flags) to a broker: the caller by default."""
    who = caller()
    to_broker = args["broker_id"] or who.member_id
    _on_worklist(flag_id)
    outreach_actions.assign(db.session(), who.bank_id, flag_id, who.member_id, to_broker)
    return _details(flag_id)


@blp.post(f"/outreach/flags/<{ID}:flag_id>/contacts")
@require_role("broker")
@blp.arguments(NewOutreachContactSchema(), location="json")
@blp.response(201, OutreachContactSchema)
def add_contact(args: dict[str, Any], flag_id: int) -> dict[str, Any]:
    """Record a try at reaching the member; an outcome that ends the outreach resolves it."""
    who = caller()
    _on_worklist(flag_id)
    contact = outreach_actions.record_contact(
        db.session(), who.bank_id, flag_id, who.member_id, **args
    )
    broker = db.session.get(Member, who.member_id)
    assert broker is not None
    return _contact(contact, broker.display_name)


@blp.post(f"/outreach/flags/<{ID}:flag_id>/snooze")
@require_role("broker")
@blp.arguments(OutreachSnoozeSchema(), location="json")
@blp.response(200, OutreachFlagDetailSchema)
def snooze_flag(args: dict[str, Any], flag_id: int) -> dict[str, Any]:
    """Put the member's outreach aside until a day within the next year."""
    who = caller()
    _on_worklist(flag_id)
    outreach_actions.snooze(db.session(), who.bank_id, flag_id, who.member_id, args["until"])
    return _details(flag_id)


@blp.post(f"/outreach/flags/<{ID}:flag_id>/resolve")
@require_role("broker")
@blp.arguments(OutreachResolveSchema(), location="json")
@blp.response(200, OutreachFlagDetailSchema)
def resolve_flag(args: dict[str, Any], flag_id: int) -> dict[str, Any]:
    """Take the member off the worklist with how it ended: re_engaged, paused or left."""
    who = caller()
    _on_worklist(flag_id)
    outreach_actions.resolve(db.session(), who.bank_id, flag_id, who.member_id, args["outcome"])
    return _details(flag_id)
