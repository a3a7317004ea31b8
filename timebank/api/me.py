"""GET /api/v1/me: who the caller is, in which time bank, with which role."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from timebank.api.auth import api_blueprint, caller
from timebank.extensions import db
from timebank.members.models import Member
from timebank.tenancy.models import TimeBank

blp = api_blueprint("api_me", __name__, "The caller: who they are and what they may do.")


class MeSchema(ma.Schema):
    member_id = ma.fields.Integer(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(
        required=True, metadata={"description": "member, broker, admin or practice"}
    )
    bank_id = ma.fields.Integer(required=True)
    bank_slug = ma.fields.String(required=True)
    bank_name = ma.fields.String(required=True)
    token_id = ma.fields.Integer(allow_none=True)
    partner_id = ma.fields.Integer(allow_none=True)


@blp.get("/me")
@blp.response(200, MeSchema)
def me() -> dict[str, Any]:
    """Return the caller: their member id and name, time bank and role."""
    who = caller()
    row = db.session.execute(
        sa.select(Member.display_name, TimeBank.slug, TimeBank.name)
        .join(TimeBank, TimeBank.id == Member.bank_id)
        .where(Member.bank_id == who.bank_id, Member.id == who.member_id)
    ).one()
    return {
        "member_id": who.member_id,
        "display_name": row.display_name,
        "role": who.role,
        "bank_id": who.bank_id,
        "bank_slug": row.slug,
        "bank_name": row.name,
        "token_id": who.token_id,
        "partner_id": who.partner_id,
    }
