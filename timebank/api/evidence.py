"""/api/v1/reports: the evidence report for a period, and each GP practice's own report.

Brokers and admins get the whole report, as brokers see it or (`view=funder`, a calendar
month, quarter or year only) with counts of people rounded to 5 and counts of 1 to 7 people
hidden. A practice's token gets only its own referrals' outcomes, exactly. A hidden count is
the text "1 to 7", as in the CSV downloads.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma

from timebank.api.auth import api_blueprint, caller, require_role
from timebank.api.referrals import brokers_or_practice
from timebank.api.reports import FiguresArgsSchema
from timebank.errors import InvalidInput, NotFound
from timebank.extensions import db
from timebank.reports.build import build_practice_report, build_report
from timebank.reports.formatting import HIDDEN_WORDS
from timebank.reports.tables import SUPPRESSED, Report, Value

blp = api_blueprint(
    "api_evidence",
    __name__,
    "Evidence reports: figures for brokers and funders, and each GP practice's own outcomes.",
)

HIDDEN = HIDDEN_WORDS


def plain(value: Value) -> Any:
    """Return a report value as JSON has it: dates as text, hidden counts as "1 to 7"."""
    if value is SUPPRESSED:
        return HIDDEN
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class ReportArgsSchema(FiguresArgsSchema):
    view = ma.fields.String(
        load_default="broker",
        validate=ma.validate.OneOf(("broker", "funder")),
        metadata={
            "description": "broker: every figure exactly; funder: a calendar month, quarter "
            "or year, counts of people rounded to 5 and 1 to 7 hidden."
        },
    )


class PracticeArgsSchema(FiguresArgsSchema):
    partner_id = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "Brokers: which practice. A practice's token: leave it out."},
    )


class ColumnSchema(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    kind = ma.fields.String(
        required=True,
        metadata={
            "description": "count, people (a count of people: protected in the funder view), "
            "minutes, pence, days, percent, month, date or text."
        },
    )


class FigureSchema(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    value = ma.fields.Raw(
        required=True,
        allow_none=True,
        metadata={"description": 'A number, a date, text, null (none yet) or "1 to 7" (hidden).'},
    )
    kind = ma.fields.String(required=True)
    definition = ma.fields.String(required=True, metadata={"description": "What it counts."})


class TableSchema(ma.Schema):
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    definition = ma.fields.String(required=True, metadata={"description": "What it counts."})
    columns = ma.fields.List(ma.fields.Nested(ColumnSchema), required=True)
    rows = ma.fields.List(ma.fields.List(ma.fields.Raw(allow_none=True)), required=True)


class SectionSchema(ma.Schema):
    key = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    note = ma.fields.String(required=True)
    figures = ma.fields.List(ma.fields.Nested(FigureSchema), required=True)
    tables = ma.fields.List(ma.fields.Nested(TableSchema), required=True)


class ReportSchema(ma.Schema):
    title = ma.fields.String(required=True)
    bank_name = ma.fields.String(required=True)
    start = ma.fields.Date(required=True, data_key="from")
    end = ma.fields.Date(required=True, data_key="to")
    audience = ma.fields.String(required=True)
    sections = ma.fields.List(ma.fields.Nested(SectionSchema), required=True)
    definitions = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "What each figure counts, in words."},
    )


def as_json(report: Report) -> dict[str, Any]:
    """Return a report as plain data for `ReportSchema`."""
    sections = [
        {
            "key": section.key,
            "title": section.title,
            "note": section.note,
            "figures": [
                {
                    "key": figure.key,
                    "label": figure.label,
                    "value": plain(figure.value),
                    "kind": figure.kind,
                    "definition": figure.definition,
                }
                for figure in section.figures
            ],
            "tables": [
                {
                    "key": table.key,
                    "title": table.title,
                    "definition": table.definition,
                    "columns": table.columns,
                    "rows": [[plain(value) for value in row] for row in table.rows],
                }
                for table in section.tables
            ],
        }
        for section in report.sections
    ]
    return {
        "title": report.title,
        "bank_name": report.bank_name,
        "start": report.start,
        "end": report.end,
        "audience": report.audience,
        "sections": sections,
        "definitions": report.definitions,
    }


@blp.get("/reports")
@require_role("broker")
@blp.arguments(ReportArgsSchema(), location="query")
@blp.response(200, ReportSchema)
def report(args: dict[str, Any]) -> dict[str, Any]:
    """Return the time bank's report for a period: exchanges, members, networks and more.

    The same figures as the report pages, each with its definition. `view=funder` protects
    counts of people as the printed report for funders does, for a calendar month, quarter
    or year only.
    """
    found = build_report(db.session(), caller().bank_id, args["start"], args["end"], args["view"])
    return as_json(found)


@blp.get("/reports/practice")
@brokers_or_practice
@blp.arguments(PracticeArgsSchema(), location="query")
@blp.response(200, ReportSchema)
def practice_report(args: dict[str, Any]) -> dict[str, Any]:
    """Return what became of one GP practice's referrals in a period, exactly.

    A practice's token always gets its own practice; brokers name one with `partner_id`.
    """
    who = caller()
    partner_id = args.get("partner_id")
    if who.role == "practice":
        if partner_id not in (None, who.partner_id):
            raise NotFound("There is no such referral partner in this time bank.")
        partner_id = who.partner_id
    if partner_id is None:
        raise InvalidInput("Please say which practice, with partner_id.")
    found = build_practice_report(db.session(), who.bank_id, partner_id, args["start"], args["end"])
    return as_json(found)
