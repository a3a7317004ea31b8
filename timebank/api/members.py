"""Members, for brokers and admins: search, details, signing up, and admins' status and roles."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, url_for
from flask_smorest import abort

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.pagination import PageArgsSchema, page, page_schema
from timebank.api.schemas import (
    ID,
    BalanceSchema,
    Text,
    UtcDateTime,
    balance_body,
    id_cursor,
)
from timebank.broker.joining import JOIN_REASON_LIMIT, set_join_date
from timebank.extensions import db
from timebank.ledger.queries import balance_summary
from timebank.members.models import MEMBER_STATUSES, ROLES, Member
from timebank.members.profile import member_of_bank
from timebank.membership.services import set_member_role, set_member_status
from timebank.membership.signup import SignUp, sign_up_member

blp = api_blueprint("api_members", __name__, "Members of the time bank, for brokers and admins.")

# What an admin may set a member to through the API (applicants come from sign-up).
SETTABLE_STATUSES = ("active", "suspended", "left")
MOST_SEARCH_WORDS = 8


class MemberListArgsSchema(PageArgsSchema):
    q = Text(
        load_default="",
        validate=ma.validate.Length(max=100),
        metadata={"description": "Words in the member's name."},
    )
    status = Text(load_default=None, validate=ma.validate.OneOf(MEMBER_STATUSES))
    role = Text(load_default=None, validate=ma.validate.OneOf(ROLES))


class MemberSummarySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": ", ".join(MEMBER_STATUSES)})
    role = ma.fields.String(required=True, metadata={"description": ", ".join(ROLES)})
    area = ma.fields.String(required=True, allow_none=True)
    joined_at = UtcDateTime(required=True)


class MemberDetailSchema(MemberSummarySchema):
    mobile = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "E.164, e.g. +447123456789."}
    )
    email = ma.fields.String(required=True, allow_none=True)
    skills = ma.fields.String(required=True)
    help_wanted = ma.fields.String(required=True)
    availability = ma.fields.String(required=True)
    erased = ma.fields.Boolean(
        required=True, metadata={"description": "An admin erased this member's details."}
    )
    balance = ma.fields.Nested(BalanceSchema, required=True)


class NewMemberSchema(ma.Schema):
    name = Text(required=True, validate=ma.validate.Length(min=1, max=80))
    mobile = Text(
        load_default="",
        validate=ma.validate.Length(max=30),
        metadata={
            "description": "A mobile number of a country the bank allows (UK only by"
            " default), as people write it; optional. Letters are refused."
        },
    )
    area = Text(load_default="", validate=ma.validate.Length(max=80))
    skills = Text(load_default="", validate=ma.validate.Length(max=300))
    help_wanted = Text(load_default="", validate=ma.validate.Length(max=300))
    consent = ma.fields.Boolean(
        required=True,
        metadata={"description": "They agree to the time bank keeping these details."},
    )


class MemberStatusSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(SETTABLE_STATUSES))


class MemberRoleSchema(ma.Schema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(ROLES))


class JoinDateSchema(ma.Schema):
    joined_on = ma.fields.Date(
        required=True,
        metadata={
            "description": "The day they really joined: not after today in the time bank's "
            "time zone, nor before 1 January 1990."
        },
    )
    reason = Text(
        required=True,
        validate=ma.validate.Length(min=1, max=JOIN_REASON_LIMIT),
        metadata={"description": "Why it changes, for the audit trail (e.g. paper records)."},
    )


MemberPageSchema = page_schema(MemberSummarySchema, "MemberPage")


def _summary(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "display_name": member.display_name,
        "status": member.status,
        "role": member.role,
        "area": member.area,
        "joined_at": member.joined_at,
    }


def _details(member: Member) -> dict[str, Any]:
    summary = balance_summary(db.session(), member.bank_id, member.id)
    return _summary(member) | {
        "mobile": member.mobile_e164,
        "email": member.email,
        "skills": member.skills,
        "help_wanted": member.help_wanted,
        "availability": member.availability,
        "erased": member.erased_at is not None,
        "balance": balance_body(member.id, summary),
    }


@blp.get("/members")
@require_role("broker")
@blp.arguments(MemberListArgsSchema(), location="query")
@blp.response(200, MemberPageSchema)
def list_members(args: dict[str, Any]) -> dict[str, Any]:
    """List the time bank's members by id, found by name, status or role (brokers)."""
    query = sa.select(Member).where(Member.bank_id == caller().bank_id)
    for word in args["q"].split()[:MOST_SEARCH_WORDS]:
        query = query.where(
            sa.func.lower(Member.display_name).contains(word.lower(), autoescape=True)
        )
    if args["status"]:
        query = query.where(Member.status == args["status"])
    if args["role"]:
        query = query.where(Member.role == args["role"])
    after = id_cursor(args["cursor"])
    if after is not None:
        query = query.where(Member.id > after)
    rows = db.session.scalars(query.order_by(Member.id).limit(args["limit"] + 1)).all()
    result = page(list(rows), args["limit"], lambda member: [member.id])
    return {"items": [_summary(m) for m in result["items"]], "next_cursor": result["next_cursor"]}


@blp.get(f"/members/<{ID}:member_id>")
@require_role("broker")
@blp.response(200, MemberDetailSchema)
def get_member(member_id: int) -> dict[str, Any]:
    """Return what a broker may see of a member: contact details, skills and balance."""
    return _details(member_of_bank(db.session(), caller().bank_id, member_id))


@blp.post("/members")
@require_role("broker")
@blp.arguments(NewMemberSchema(), location="json")
@blp.response(201, MemberDetailSchema)
def add_member(args: dict[str, Any]) -> dict[str, Any]:
    """Sign up a new active member, with their consent; they get a welcome text (brokers)."""
    who = caller()
    sign_in_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for("auth.request_code")
    member = sign_up_member(db.session(), who.bank_id, who.member_id, SignUp(**args), sign_in_url)
    return _details(member)


@blp.patch(f"/members/<{ID}:member_id>/status")
@require_role("admin")
@blp.arguments(MemberStatusSchema(), location="json")
@blp.response(200, MemberDetailSchema)
def change_status(args: dict[str, Any], member_id: int) -> dict[str, Any]:
    """Set a member active, suspended or left; only active members can exchange (admins)."""
    bank_id = caller().bank_id
    member = member_of_bank(db.session(), bank_id, member_id)
    if member.erased_at is not None:
        abort(409, message="This member's details were erased, so their status stays as it is.")
    return _details(set_member_status(db.session(), bank_id, member_id, args["status"]))


@blp.patch(f"/members/<{ID}:member_id>/role")
@require_role("admin")
@blp.arguments(MemberRoleSchema(), location="json")
@blp.response(200, MemberDetailSchema)
def change_role(args: dict[str, Any], member_id: int) -> dict[str, Any]:
    """Make a member a member, broker or admin; it signs them out everywhere (admins).

    Their tokens acting above the new role are revoked. The only admin of a time bank
    cannot be made anything else (422).
    """
    bank_id = caller().bank_id
    member = member_of_bank(db.session(), bank_id, member_id)
    if member.erased_at is not None:
        abort(409, message="This member's details were erased, so their role stays as it is.")
    return _details(set_member_role(db.session(), bank_id, member_id, args["role"]))


@blp.put(f"/members/<{ID}:member_id>/joined-on")
@require_role("broker")
@blp.arguments(JoinDateSchema(), location="json")
@blp.response(200, MemberDetailSchema)
def change_join_date(args: dict[str, Any], member_id: int) -> dict[str, Any]:
    """Set the day a member really joined, with a reason, e.g. moved over from paper (brokers).

    The reports count them as a new member on that day. The old date and the reason are kept
    in the broker audit trail. Sending the same date again records it again, harmlessly.
    """
    who = caller()
    member = set_join_date(
        db.session(), who.bank_id, who.member_id, member_id, args["joined_on"], args["reason"]
    )
    return _details(member)
