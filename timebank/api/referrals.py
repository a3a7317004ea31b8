"""/api/v1/referrals: brokers follow GP referrals; a practice makes and follows its own.

Brokers (and admins) see everything the web referral page shows, the reason included. A
practice's token sees only its own partner's referrals, and of those only the reference,
the status and the dates: the same as the feedback texts a practice gets, never the
patient's name, number, reason or the outcome in the broker's words. Members get 403.

A practice's token can also make a referral: the same as texting REFER, through the same
code (the number must be a mobile we can text, NHS-number-like digits are stripped from
the reason, the patient is invited by text and brokers are told).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import marshmallow as ma
import sqlalchemy as sa

from timebank.api.auth import api_blueprint, caller
from timebank.api.pagination import PageArgsSchema, decode_cursor, page, page_schema
from timebank.clock import as_utc
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.extensions import db
from timebank.referrals.grammar import MAX_REASON, reference
from timebank.referrals.making import ReferralRequest, refer_patient
from timebank.referrals.models import REFERRAL_STATUSES, Referral, ReferralPartner
from timebank.referrals.services import member_with_mobile, referral_history

P = ParamSpec("P")
R = TypeVar("R")

blp = api_blueprint(
    "api_referrals",
    __name__,
    "GP referrals: brokers see them in full; a practice's token sees its own referrals' status.",
)

# Ids are 32-bit integers in the database; anything larger cannot name a row.
MAX_ID = 2**31 - 1
BROKERS_ONLY = "Brokers only; not given to a practice's token."


def _when(value: dt.datetime | None) -> dt.datetime | None:
    """Give a stored time with its zone (SQLite hands back naive UTC)."""
    return None if value is None else as_utc(value)


class ReferralStepSchema(ma.Schema):
    status = ma.fields.String(required=True)
    at = ma.fields.DateTime(required=True)
    actor = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Null: the service did it."}
    )
    note = ma.fields.String(required=True)


class ReferralSchema(ma.Schema):
    """A referral. A practice's token gets only the reference, status and dates."""

    id = ma.fields.Integer(required=True)
    reference = ma.fields.String(required=True, metadata={"description": "As texted: R-0042."})
    status = ma.fields.String(
        required=True, metadata={"description": "One of: " + ", ".join(REFERRAL_STATUSES)}
    )
    partner_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "Null: they texted JOIN."}
    )
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    invited_at = ma.fields.DateTime(required=True, allow_none=True)
    answered_at = ma.fields.DateTime(required=True, allow_none=True)
    joined_at = ma.fields.DateTime(required=True, allow_none=True)
    first_exchange_at = ma.fields.DateTime(required=True, allow_none=True)
    closed_at = ma.fields.DateTime(required=True, allow_none=True)
    partner_name = ma.fields.String(allow_none=True, metadata={"description": BROKERS_ONLY})
    first_name = ma.fields.String(metadata={"description": BROKERS_ONLY})
    mobile = ma.fields.String(metadata={"description": BROKERS_ONLY + " E.164."})
    reason = ma.fields.String(
        metadata={"description": BROKERS_ONLY + " Special category data: never put in texts."}
    )
    outcome = ma.fields.String(allow_none=True, metadata={"description": BROKERS_ONLY})
    member_id = ma.fields.Integer(
        allow_none=True, metadata={"description": BROKERS_ONLY + " The member it led to."}
    )


class ReferralDetailSchema(ReferralSchema):
    """A referral with, for brokers, its steps and a member who has the same mobile."""

    steps = ma.fields.List(
        ma.fields.Nested(ReferralStepSchema), metadata={"description": BROKERS_ONLY}
    )
    same_mobile_member_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": BROKERS_ONLY + " An unlinked member with this mobile."},
    )


class ReferralListArgsSchema(PageArgsSchema):
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(REFERRAL_STATUSES),
        metadata={"description": "Only referrals with this status."},
    )
    partner_id = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=MAX_ID),
        metadata={"description": "Only this referral partner's referrals."},
    )


ReferralPageSchema = page_schema(ReferralSchema, "ReferralPage")


def printable(value: str) -> None:
    """Refuse control characters (a NUL cannot even be stored)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ma.ValidationError("Use plain text, without control characters.")


def not_blank(value: str) -> None:
    """Refuse a value of spaces only."""
    if not value.strip():
        raise ma.ValidationError("Fill this in.")


class NewReferralArgsSchema(ma.Schema):
    mobile = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=30), printable],
        metadata={"description": "The patient's mobile, e.g. 07700 900123."},
    )
    first_name = ma.fields.String(
        required=True,
        validate=[ma.validate.Length(min=1, max=40), printable, not_blank],
        metadata={"description": "The patient's first name only."},
    )
    reason = ma.fields.String(
        load_default="",
        validate=[ma.validate.Length(max=MAX_REASON), printable],
        metadata={
            "description": "A few words of need. Never NHS numbers or diagnoses: long "
            "numbers are removed."
        },
    )


class NewReferralSchema(ReferralSchema):
    reason_redacted = ma.fields.Boolean(
        required=True, metadata={"description": "A long number was removed from the reason."}
    )


def brokers_or_practice(view: Callable[P, R]) -> Callable[P, R]:
    """Let brokers (and admins) and practices' tokens through, before the input is read."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        who = caller()
        if who.role != "practice" and not who.at_least("broker"):
            raise NotAllowed("Referrals are for brokers, and for a practice's own token.")
        return view(*args, **kwargs)

    return guarded


def practice_only(view: Callable[P, R]) -> Callable[P, R]:
    """Let only a practice's token through, before the input is read."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        if caller().role != "practice":
            raise NotAllowed("Only a practice's own token can make a referral.")
        return view(*args, **kwargs)

    return guarded


def _partner_scope() -> int | None:
    """Return the practice's partner id for a practice token; None for brokers."""
    who = caller()
    return who.partner_id if who.role == "practice" else None


def _public(referral: Referral) -> dict[str, Any]:
    return {
        "id": referral.id,
        "reference": reference(referral.id),
        "status": referral.status,
        "partner_id": referral.partner_id,
        "created_at": _when(referral.created_at),
        "updated_at": _when(referral.updated_at),
        "invited_at": _when(referral.invited_at),
        "answered_at": _when(referral.answered_at),
        "joined_at": _when(referral.joined_at),
        "first_exchange_at": _when(referral.first_exchange_at),
        "closed_at": _when(referral.closed_at),
    }


def _for_broker(referral: Referral, partner_name: str | None) -> dict[str, Any]:
    return _public(referral) | {
        "partner_name": partner_name,
        "first_name": referral.first_name,
        "mobile": referral.patient_e164,
        "reason": referral.reason,
        "outcome": referral.outcome,
        "member_id": referral.member_id,
    }


def _with_partner() -> sa.Select[tuple[Referral, str]]:
    # A purged referral is kept only for reports' counts: nobody reads it here.
    return (
        sa.select(Referral, ReferralPartner.name)
        .outerjoin(
            ReferralPartner,
            sa.and_(
                ReferralPartner.id == Referral.partner_id,
                ReferralPartner.bank_id == Referral.bank_id,
            ),
        )
        .where(Referral.purged_at.is_(None))
    )


def _after(cursor: str | None) -> int | None:
    key = decode_cursor(cursor, 1)
    if key is None:
        return None
    if type(key[0]) is not int or not 0 <= key[0] <= MAX_ID:
        raise InvalidInput("That cursor is not one this API gave out. Start from the first page.")
    return key[0]


@blp.get("/referrals")
@brokers_or_practice
@blp.arguments(ReferralListArgsSchema(), location="query")
@blp.response(200, ReferralPageSchema)
def list_referrals(args: dict[str, Any]) -> dict[str, Any]:
    """List referrals, oldest first; a practice's token sees only its own.

    Filter by `status` and `partner_id`. Brokers get every field; a practice gets the
    reference, status and dates only.
    """
    partner_scope = _partner_scope()
    query = _with_partner().where(Referral.bank_id == caller().bank_id)
    if partner_scope is not None:
        query = query.where(Referral.partner_id == partner_scope)
    if args["partner_id"] is not None:
        query = query.where(Referral.partner_id == args["partner_id"])
    if args["status"] is not None:
        query = query.where(Referral.status == args["status"])
    after = _after(args["cursor"])
    if after is not None:
        query = query.where(Referral.id > after)
    rows = db.session.execute(query.order_by(Referral.id).limit(args["limit"] + 1)).all()
    shape = _public if partner_scope is not None else None
    items = [shape(ref) if shape else _for_broker(ref, name) for ref, name in rows]
    return page(items, args["limit"], lambda item: [item["id"]])


@blp.get("/referrals/<int:referral_id>")
@brokers_or_practice
@blp.response(200, ReferralDetailSchema)
def get_referral(referral_id: int) -> dict[str, Any]:
    """Return one referral: in full with its steps for brokers, its status for a practice."""
    partner_scope = _partner_scope()
    who = caller()
    query = _with_partner().where(Referral.bank_id == who.bank_id, Referral.id == referral_id)
    if partner_scope is not None:
        query = query.where(Referral.partner_id == partner_scope)
    found = db.session.execute(query).first() if referral_id <= MAX_ID else None
    if found is None:
        raise NotFound("There is no such referral in this time bank.")
    referral, partner_name = found
    if partner_scope is not None:
        return _public(referral)
    session = db.session()
    same = None
    if referral.member_id is None:
        same = member_with_mobile(session, who.bank_id, referral.patient_e164)
    steps = [
        {"status": s.status, "at": _when(s.at), "actor": s.actor, "note": s.note}
        for s in referral_history(session, who.bank_id, referral.id)
    ]
    return _for_broker(referral, partner_name) | {
        "steps": steps,
        "same_mobile_member_id": same.id if same else None,
    }


@blp.post("/referrals")
@practice_only
@blp.arguments(NewReferralArgsSchema(), location="json")
@blp.response(201, NewReferralSchema)
def make_referral(args: dict[str, Any]) -> dict[str, Any]:
    """Refer a patient, as the practice's token: as texting REFER does.

    We text the patient to ask if they want to be contacted, and tell the brokers. Answers
    the referral as a practice sees it (reference, status and dates).
    """
    who = caller()
    if who.partner_id is None:  # pragma: no cover - a practice's token always names one
        raise NotAllowed("Only a practice's own token can make a referral.")
    request = ReferralRequest(args["mobile"], args["first_name"], args["reason"])
    made = refer_patient(db.session(), who.bank_id, who.partner_id, request)
    return _public(made.referral) | {"reason_redacted": made.reason_redacted}
