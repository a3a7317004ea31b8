"""Helpers suggested for a request: the broker's ranked list, or the requester's own view.

A broker sees each suggestion's score out of 100, its parts and every reason. The member who
asked sees the helpers suggested for their own request as the web page shows them: first
names and reasons worded for them, without scores or what only a broker weighs. Anyone else
is told there is no such request.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.schemas import ID
from timebank.broker.candidates import suggest_helpers
from timebank.broker.proposal_checks import request_in_bank
from timebank.broker.requester_proposals import requester_suggestions
from timebank.extensions import db

blp = api_blueprint("api_suggestions", __name__, "Members suggested to help with a request.")

MOST_SUGGESTIONS = 20


class SuggestionArgsSchema(ma.Schema):
    limit = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.Range(min=1, max=MOST_SUGGESTIONS),
        metadata={"description": f"How many suggestions at most (1-{MOST_SUGGESTIONS})."},
    )


class SuggestionSchema(ma.Schema):
    member_id = ma.fields.Integer(metadata={"description": "Brokers only."})
    first_name = ma.fields.String(required=True)
    score = ma.fields.Float(metadata={"description": "Brokers only: out of 100."})
    parts = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Float(),
        metadata={"description": "Brokers only: the score's parts, by name."},
    )
    reasons = ma.fields.List(ma.fields.String(), required=True)


class SuggestionListSchema(ma.Schema):
    request_id = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(SuggestionSchema), required=True)


def _for_broker(suggestion: Any) -> dict[str, Any]:
    return {
        "member_id": suggestion.member_id,
        "first_name": suggestion.first_name,
        "score": suggestion.score,
        "parts": dict(suggestion.parts),
        "reasons": list(suggestion.reasons),
    }


def _for_requester(suggestion: Any) -> dict[str, Any]:
    return {"first_name": suggestion.first_name, "reasons": list(suggestion.reasons)}


@blp.get(f"/listings/<{ID}:listing_id>/suggestions")
@require_role("member")
@blp.arguments(SuggestionArgsSchema(), location="query")
@blp.response(200, SuggestionListSchema)
def suggestions(args: dict[str, Any], listing_id: int) -> dict[str, Any]:
    """Suggest helpers for a request, best first: in full for brokers, or for its requester.

    The requester sees at most five, and not members already asked about the request, as
    on the web page for their request.
    """
    who = caller()
    session = db.session()
    if who.at_least("broker"):
        listing = request_in_bank(session, who.bank_id, listing_id)
        found = suggest_helpers(session, who.bank_id, listing.id, args["limit"])
        return {"request_id": listing.id, "items": [_for_broker(s) for s in found]}
    # Only the requester's own request: the service answers anyone else's as not found.
    found = requester_suggestions(session, who.bank_id, who.member_id, listing_id)
    return {"request_id": listing_id, "items": [_for_requester(s) for s in found[: args["limit"]]]}
