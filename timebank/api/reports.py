"""GET /api/v1/reports/figures: a time bank's headline figures for a period (brokers+)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

import marshmallow as ma

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.errors import InvalidInput
from timebank.extensions import db
from timebank.reports.definitions import ACTIVE_DAYS
from timebank.reports.figures import DEFINITIONS, bank_figures

blp = api_blueprint(
    "api_reports", __name__, "Report figures: evidence that falls out of normal use."
)

# Far enough either way for any time bank's records; keeps date sums in range.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_DAYS = 366 * 20


class FiguresArgsSchema(ma.Schema):
    start = ma.fields.Date(
        required=True,
        data_key="from",
        validate=ma.validate.Range(min=EARLIEST, max=LATEST),
        metadata={"description": "The first day of the period (YYYY-MM-DD)."},
    )
    end = ma.fields.Date(
        required=True,
        data_key="to",
        validate=ma.validate.Range(min=EARLIEST, max=LATEST),
        metadata={"description": "The last day of the period, included (YYYY-MM-DD)."},
    )


class CategoryFiguresSchema(ma.Schema):
    category = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Null: no kind of help given."}
    )
    minutes_exchanged = ma.fields.Integer(required=True)
    exchanges = ma.fields.Integer(required=True)
    members = ma.fields.Integer(required=True, metadata={"description": DEFINITIONS["members"]})
    minutes_credited = ma.fields.Integer(
        required=True, metadata={"description": DEFINITIONS["minutes_credited"]}
    )


class FiguresSchema(ma.Schema):
    start = ma.fields.Date(required=True, data_key="from")
    end = ma.fields.Date(required=True, data_key="to")
    minutes_exchanged = ma.fields.Integer(
        required=True, metadata={"description": DEFINITIONS["minutes_exchanged"]}
    )
    minutes_credited = ma.fields.Integer(
        required=True, metadata={"description": DEFINITIONS["minutes_credited"]}
    )
    exchanges = ma.fields.Integer(required=True, metadata={"description": DEFINITIONS["exchanges"]})
    active_members = ma.fields.Integer(
        required=True, metadata={"description": DEFINITIONS["active_members"]}
    )
    active_days = ma.fields.Integer(
        required=True, metadata={"description": "The days counted for active members."}
    )
    new_members = ma.fields.Integer(
        required=True, metadata={"description": DEFINITIONS["new_members"]}
    )
    by_category = ma.fields.List(ma.fields.Nested(CategoryFiguresSchema), required=True)
    definitions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "What each figure counts, in words."},
    )


@blp.get("/reports/figures")
@require_role("broker")
@blp.arguments(FiguresArgsSchema(), location="query")
@blp.response(200, FiguresSchema)
def figures(args: dict[str, Any]) -> dict[str, Any]:
    """Return the hours exchanged, exchanges, active and new members for a period.

    Also the period's exchanges by kind of help. Each figure's definition comes with it.
    """
    start, end = args["start"], args["end"]
    if start > end:
        raise InvalidInput("'from' must be on or before 'to'.")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput("Ask for at most twenty years at a time.")
    found = bank_figures(db.session(), caller().bank_id, start, end)
    return asdict(found) | {"active_days": ACTIVE_DAYS, "definitions": DEFINITIONS}
