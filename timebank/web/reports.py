"""Report pages for brokers and admins: the evidence report, its CSV tables and print layouts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Flask, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from timebank.errors import InvalidInput
from timebank.extensions import db
from timebank.referrals import partners
from timebank.reports import period as periods
from timebank.reports.charts import chart_svg
from timebank.reports.export import to_csv
from timebank.reports.formatting import format_date, format_value, is_numeric
from timebank.reports.printout import SummaryNote, printout
from timebank.reports.summaries import up_to_words
from timebank.reports.summary import Summarised
from timebank.reports.tables import Report, Table
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank
from timebank.web.access import current_bank, role_required

bp = Blueprint("reports", __name__)

# Far enough either way for any time bank's records (as the API allows).
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)

CHOICES = (
    ("last_12_months", "The last 12 whole months"),
    ("this_year", "This year so far (1 January to today)"),
    ("this_month", "This month so far"),
    ("last_month", "Last month"),
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("this_financial_year", "This financial year (April to March)"),
    ("year", "A calendar year"),
    ("custom", "Dates I choose"),
)


def init_app(app: Flask) -> None:
    """Register the blueprint and the filters report templates use."""
    app.register_blueprint(bp)
    app.jinja_env.filters["report_value"] = format_value
    app.jinja_env.filters["report_chart"] = chart_svg
    app.jinja_env.filters["long_date"] = format_date
    app.jinja_env.filters["figures_up_to"] = up_to_words
    app.jinja_env.tests["numeric_kind"] = is_numeric
    app.jinja_env.globals["definition_of"] = definition_of


def chosen_period(bank: TimeBank, view: str | None = None) -> periods.Period:
    """Return the period the query string asks for: dates, a preset, or a default.

    The default is the last 12 months, or for the funder view (which covers fixed calendar
    periods only) the last whole quarter.
    """
    args = request.args
    name = args.get("period") or ("custom" if "from" in args or "to" in args else None)
    if name == "custom":
        return _custom_period(args.get("from"), args.get("to"))
    default = "last_quarter" if (view or audience()) == "funder" else "last_12_months"
    return periods.preset(name or default, today_in_zone(bank.timezone), _year())


def _custom_period(start: str | None, end: str | None) -> periods.Period:
    """Return the period between two dates typed in, within the years a time bank can have."""
    try:
        found = periods.parse_period(start, end)
    except ValueError:  # five years on from the start is past the year 9999
        found = None
    if found is None or not (EARLIEST <= found.start and found.end <= LATEST):
        raise InvalidInput(f"Please choose dates between {EARLIEST.year} and {LATEST.year}.")
    return found


def _year() -> int | None:
    """Return the calendar year asked for, if any, or say in words that it is not a year."""
    text = (request.args.get("year") or "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput("Please write the year as four numbers, such as 2025.")
    return int(text)


def audience() -> str:
    """Return who the report is for: everything for staff, or the funder view."""
    return "funder" if request.args.get("view") == "funder" else "broker"


def period_args(found: periods.Period, view: str = "broker") -> dict[str, Any]:
    """Return the query arguments that name this period (and the funder view) in a link."""
    args = {"from": found.start.isoformat(), "to": found.end.isoformat()}
    return args | ({"view": "funder"} if view == "funder" else {})


def make_report(bank: TimeBank, found: periods.Period, view: str) -> Report:
    """Build the bank's report for the period, for staff or for funders."""
    from timebank.reports.build import build_report

    return build_report(db.session(), bank.id, found.start, found.end, view)


def make_summarised(bank: TimeBank, found: periods.Period, view: str) -> Summarised:
    """Build the bank's report for the period with its summary against the period before."""
    from timebank.reports.summary import build_summarised_report

    return build_summarised_report(db.session(), bank.id, found.start, found.end, view)


def definition_of(report: Report, key: str, given: str = "") -> tuple[str | None, str]:
    """Return a definition's anchor on the definitions page (None if not there) and words."""
    for candidate in (given, key):
        if candidate in report.definitions:
            return candidate, report.definitions[candidate]
    return None, given


@bp.get("/reports")
@role_required("broker")
def report_page() -> ResponseReturnValue:
    bank = current_bank()
    try:
        found = chosen_period(bank)
    except InvalidInput as error:
        return _bad_period(str(error))
    view = audience()
    try:
        summarised = make_summarised(bank, found, view)
    except InvalidInput as error:  # the funder view of a period off the fixed calendar
        return _bad_period(str(error))
    return render_template(
        "reports/index.html",
        form=_form_values(),
        choices=CHOICES,
        error=None,
        report=summarised.report,
        summary=summarised.summary,
        period=found,
        args=period_args(found, view),
        print_args=period_args(found),
        staff_print_args=period_args(found) | {"view": "broker"},
        printable_period=periods.grid_kind(found) is not None,
        practices=partners.list_partners(db.session(), bank.id),
    )


@bp.get("/reports/definitions")
@role_required("broker")
def definitions() -> ResponseReturnValue:
    from timebank.reports.definitions import DEFINITIONS

    return render_template("reports/definitions.html", definitions=DEFINITIONS)


@bp.get("/reports/<table_key>.csv")
@role_required("broker")
def table_csv(table_key: str) -> ResponseReturnValue:
    bank = current_bank()
    try:
        found = chosen_period(bank)
    except InvalidInput as error:
        return Response(str(error) + "\n", status=400, mimetype="text/plain")
    view = audience()
    try:
        table = make_report(bank, found, view).table(table_key)
    except InvalidInput as error:
        return Response(str(error) + "\n", status=400, mimetype="text/plain")
    if table is None:
        abort(404)
    words = [bank.slug, table_key] + (["funder-view"] if view == "funder" else [])
    return _csv_download(table, words, found)


def _csv_download(table: Table, words: list[str], found: periods.Period) -> Response:
    """Answer with a table as a CSV file named after the bank, the table and the period."""
    name = "-".join([*words[:2], found.start.isoformat(), "to", found.end.isoformat(), *words[2:]])
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", name)
    return Response(
        "\ufeff" + to_csv(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'},
    )


@bp.get("/reports/print")
@role_required("broker")
def printable() -> ResponseReturnValue:
    # The funder view unless staff ask for their own exact copy (`view=broker`).
    view = "broker" if request.args.get("view") == "broker" else "funder"
    bank = current_bank()
    try:
        found = chosen_period(bank, view)
        summarised = make_summarised(bank, found, view)
    except InvalidInput as error:
        return _bad_period(str(error))
    back = url_for("reports.report_page", **period_args(found, view))
    return _print_page(summarised, back, period_args(found, view), "reports.table_csv")


def _print_page(
    summarised: Summarised, back: str, csv_args: dict[str, Any], csv_endpoint: str
) -> str:
    """Render a report for A4 paper: the summary, the shorter details, then the notes."""
    lines = summarised.summary.lines
    notes = tuple(SummaryNote(line.key, line.definition, line.label) for line in lines)
    return render_template(
        "reports/print.html",
        printed=printout(summarised.report, notes),
        report=summarised.report,
        summary=summarised.summary,
        back=back,
        csv_args=csv_args,
        csv_endpoint=csv_endpoint,
    )


@bp.get("/reports/practices/<int:partner_id>")
@role_required("broker")
def practice(partner_id: int) -> ResponseReturnValue:
    from timebank.reports.summary import build_summarised_practice_report

    session = db.session()
    partner = partners.partner_in_bank(session, current_user.bank_id, partner_id)
    try:
        found = chosen_period(current_bank())
    except InvalidInput as error:
        return _bad_period(str(error))
    summarised = build_summarised_practice_report(
        session, partner.bank_id, partner.id, found.start, found.end
    )
    back = url_for("reports.report_page", **period_args(found))
    csv_args = period_args(found) | {"partner_id": partner.id}
    return _print_page(summarised, back, csv_args, "reports.practice_csv")


@bp.get("/reports/practices/<int:partner_id>/<table_key>.csv")
@role_required("broker")
def practice_csv(partner_id: int, table_key: str) -> ResponseReturnValue:
    from timebank.reports.build import build_practice_report

    session = db.session()
    partner = partners.partner_in_bank(session, current_user.bank_id, partner_id)
    try:
        found = chosen_period(current_bank())
    except InvalidInput as error:
        return Response(str(error) + "\n", status=400, mimetype="text/plain")
    report = build_practice_report(session, partner.bank_id, partner.id, found.start, found.end)
    table = report.table(table_key)
    if table is None:
        abort(404)
    return _csv_download(table, [current_bank().slug, f"practice-{partner.id}", table_key], found)


def _bad_period(message: str) -> tuple[str, int]:
    """Answer 400 with the report form, saying what is wrong with the dates."""
    page = render_template(
        "reports/index.html", form=_form_values(), choices=CHOICES, error=message, report=None
    )
    return page, 400


def _form_values() -> dict[str, str]:
    """Return what the period form was sent with, to show it again."""
    return {key: request.args.get(key, "") for key in ("period", "from", "to", "year", "view")}
