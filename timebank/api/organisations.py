"""Organisation accounts (admins): GP practices' and community groups' own hours, and linking
a practice's account to its referral partner. The same use cases as the admin pages."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.schemas import ID, MAX_ID, plain_text
from timebank.extensions import db
from timebank.membership.organisations import (
    OPEN_KINDS,
    OrganisationAccount,
    open_organisation_account,
    organisation_accounts,
)
from timebank.referrals.partners import link_partner_account

blp = api_blueprint(
    "api_organisations",
    __name__,
    "Organisation accounts: a GP practice's or community group's own hours (admins).",
)


class OrganisationSchema(ma.Schema):
    """An organisation and its hour account."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(OPEN_KINDS)})
    account_id = ma.fields.Integer(required=True)
    balance_minutes = ma.fields.Integer(required=True)


class OrganisationListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OrganisationSchema), required=True)


class NewOrganisationSchema(ma.Schema):
    """An organisation to open an hour account for."""

    name = ma.fields.String(
        required=True, validate=[ma.validate.Length(min=1, max=120), plain_text]
    )
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(OPEN_KINDS)))


class PartnerAccountSchema(ma.Schema):
    """The GP practice account a referral partner is, or null for none."""

    organisation_id = ma.fields.Integer(
        required=True, allow_none=True, validate=ma.validate.Range(min=1, max=MAX_ID)
    )


class PartnerLinkSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    organisation_id = ma.fields.Integer(required=True, allow_none=True)


def _body(account: OrganisationAccount) -> dict[str, Any]:
    return account.__dict__


@blp.get("/organisations")
@require_role("admin")
@blp.response(200, OrganisationListSchema)
def list_organisations() -> dict[str, Any]:
    """List the bank's GP practice and community group accounts, with their balances."""
    found = organisation_accounts(db.session(), caller().bank_id)
    return {"items": [_body(account) for account in found]}


@blp.post("/organisations")
@require_role("admin")
@blp.arguments(NewOrganisationSchema(), location="json")
@blp.response(201, OrganisationSchema)
def open_organisation(args: dict[str, Any]) -> dict[str, Any]:
    """Open an hour account for a GP practice or a community group."""
    who = caller()
    return _body(
        open_organisation_account(
            db.session(), who.bank_id, who.member_id, args["name"], args["kind"]
        )
    )


@blp.put(f"/referral-partners/<{ID}:partner_id>/account")
@require_role("admin")
@blp.arguments(PartnerAccountSchema(), location="json")
@blp.response(200, PartnerLinkSchema)
def link_account(args: dict[str, Any], partner_id: int) -> dict[str, Any]:
    """Link a referral partner to its GP practice's hour account (null unlinks it)."""
    who = caller()
    partner = link_partner_account(
        db.session(), who.bank_id, who.member_id, partner_id, args["organisation_id"]
    )
    return {"id": partner.id, "name": partner.name, "organisation_id": partner.organisation_id}
