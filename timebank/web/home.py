"""The member's home page (balance, what waits for them, recent exchanges) and their history."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from wtforms import Form, SelectField

from timebank.broker.request_queue import helper_side
from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.ledger import errors
from timebank.ledger.queries import (
    BalanceSummary,
    ExchangeLine,
    HistoryFilters,
    all_partners,
    balance_summary,
    exchange_line,
    exchange_lines,
    history_page,
    monthly_statement,
    waiting_for_member,
    waiting_for_others,
)
from timebank.ledger.resolutions import confirm_pending, decline_pending
from timebank.minutes import format_clock, format_duration
from timebank.tenancy.days import today_in_zone
from timebank.web.access import current_bank
from timebank.web.confirm import Question, are_you_sure
from timebank.web.exchange_drafts import kind_of_help, long_date, me
from timebank.web.exchange_forms import SubmitOnceForm, choices_of

bp = Blueprint("home", __name__)

RECENT_ON_HOME = 5
HISTORY_PAGE_SIZE = 20
MONTHS_TO_OFFER = 24


def limit_sentence(summary: BalanceSummary) -> str:
    """Say how far a member's balance may go, in words."""
    if summary.min_balance is None:
        low = "There is no lower limit on your balance."
    elif summary.min_balance == 0:
        low = "Your balance cannot go below zero."
    else:
        low = f"You can go down to minus {format_duration(-summary.min_balance)}."
    if summary.max_balance is None:
        return low
    return f"{low} You can go up to {format_duration(summary.max_balance)}."


def _fresh_ids(lines: list[ExchangeLine]) -> dict[uuid.UUID, str]:
    # Each button carries a new resolution id: a double tap on it replays the first answer.
    return {line.id: str(uuid.uuid4()) for line in lines}


@bp.get("/home")
@login_required
def home() -> ResponseReturnValue:
    bank_id, member = current_bank().id, me()
    summary = balance_summary(db.session(), bank_id, member.id)
    to_confirm = waiting_for_member(db.session(), bank_id, member.id)
    return render_template(
        "home/home.html",
        summary=summary,
        limit_text=limit_sentence(summary),
        to_confirm=to_confirm,
        resolution_ids=_fresh_ids(to_confirm),
        waiting=waiting_for_others(db.session(), bank_id, member.id),
        recent=exchange_lines(db.session(), bank_id, member.id, limit=RECENT_ON_HOME),
        form=SubmitOnceForm(),
        **helper_side(db.session(), current_bank(), member.id),
    )


def _resolution_id(form: SubmitOnceForm) -> uuid.UUID:
    return form.chosen_id() or uuid.uuid4()


def _my_waiting_line(transfer_id: uuid.UUID, *, as_receiver: bool) -> ExchangeLine:
    """Return one of my exchanges (one I received when `as_receiver`), or answer 404."""
    line = exchange_line(db.session(), current_bank().id, me().id, transfer_id)
    if line is None or not line.is_trade or line.given == as_receiver:
        abort(404)
    return line


def _about(line: ExchangeLine) -> str:
    what = kind_of_help(line.skill_category)
    return f"{format_duration(line.minutes)} from {line.other_name} for {what}"


def _answer_again(error: TimeBankError) -> None:
    """Tell a member, without alarm, that this exchange was already answered."""
    if isinstance(error, errors.AlreadyResolved | errors.NotPending):
        flash(f"{error.message} There is nothing more to do.", "info")
    else:
        flash(error.message, "error")


@bp.post("/home/exchanges/<uuid:transfer_id>/confirm")
@login_required
def confirm(transfer_id: uuid.UUID) -> ResponseReturnValue:
    line = _my_waiting_line(transfer_id, as_receiver=True)
    form = SubmitOnceForm()
    if not form.validate_on_submit():
        abort(400)
    bank_id = current_bank().id
    try:
        result = confirm_pending(db.session(), bank_id, line.id, _resolution_id(form), me().id)
    except TimeBankError as error:  # an answer already given is news, not an error
        _answer_again(error)
        return redirect(url_for("home.home"))
    if result.replayed:
        flash("You already confirmed this exchange. There is nothing more to do.", "info")
    else:
        balance = balance_summary(db.session(), bank_id, me().id).balance
        flash(
            f"You confirmed {_about(line)}. Your balance is now {format_clock(balance)}.",
            "success",
        )
    return redirect(url_for("home.home"))


@bp.get("/home/exchanges/<uuid:transfer_id>/decline")
@login_required
def decline_question(transfer_id: uuid.UUID) -> ResponseReturnValue:
    """Ask "Are you sure?" before declining; the page's button posts to `decline`."""
    line = _my_waiting_line(transfer_id, as_receiver=True)
    if line.state != "waiting":
        flash("This exchange has already been confirmed or declined. There is nothing more to do.")
        return redirect(url_for("home.home"))
    return are_you_sure(
        Question(
            heading="Decline this exchange?",
            details=(
                f"{line.other_name} says they gave you {format_duration(line.minutes)} for "
                f"{kind_of_help(line.skill_category)} on {long_date(line.happened_on)}.",
            ),
            what_happens=(
                f"If you decline, no hours move and {line.other_name} is told. "
                "You cannot confirm it afterwards."
            ),
            yes="Yes, decline",
            action=url_for("home.decline", transfer_id=line.id),
            back=url_for("home.home"),
            carried=(("transfer_id", str(uuid.uuid4())),),
        )
    )


@bp.post("/home/exchanges/<uuid:transfer_id>/decline")
@login_required
def decline(transfer_id: uuid.UUID) -> ResponseReturnValue:
    line = _my_waiting_line(transfer_id, as_receiver=True)
    form = SubmitOnceForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = decline_pending(
            db.session(), current_bank().id, line.id, _resolution_id(form), me().id
        )
    except TimeBankError as error:  # an answer already given is news, not an error
        _answer_again(error)
        return redirect(url_for("home.home"))
    if result.replayed:
        flash("You already declined this exchange. There is nothing more to do.", "info")
    else:
        flash(f"You declined {_about(line)}. No hours moved.", "success")
    return redirect(url_for("home.home"))


# History and the monthly statement.


def _months_back(today: dt.date, count: int) -> list[tuple[int, int]]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def month_key(year: int, month: int) -> str:
    """Return the form a month takes in a web address: 2026-10."""
    return f"{year:04d}-{month:02d}"


def parse_month(text: str | None) -> tuple[int, int] | None:
    """Return (year, month) from '2026-10', or None when it is not a month."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
    except ValueError:
        return None
    return (year, month) if 1 <= month <= 12 and 1900 < year < 3000 else None


def month_name(year: int, month: int) -> str:
    """Return a month in words: October 2026."""
    return f"{dt.date(year, month, 1):%B %Y}"


class HistoryFilterForm(Form):
    month = SelectField("Month")
    direction = SelectField(
        "Given or received",
        choices=choices_of(
            [("", "Both"), ("given", "Hours I gave"), ("received", "Hours I received")]
        ),
    )
    state = SelectField(
        "State",
        choices=choices_of(
            [
                ("", "Any"),
                ("confirmed", "Confirmed"),
                ("waiting", "Waiting for confirmation"),
                ("declined", "Declined"),
            ]
        ),
    )
    other = SelectField("Who with")


def _filters_from(form: HistoryFilterForm) -> HistoryFilters:
    other = form.other.data or ""
    return HistoryFilters(
        month=parse_month(form.month.data),
        direction=form.direction.data or None,
        state=form.state.data or None,
        other_member_id=int(other) if other.isdigit() else None,
    )


def _page_number() -> int:
    text = request.args.get("page", "1")
    return int(text) if text.isdigit() else 1


def _page_url(page: int) -> str:
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    args["page"] = str(page)
    return url_for("home.history") + "?" + urlencode(args)


@bp.get("/history")
@login_required
def history() -> ResponseReturnValue:
    bank, member = current_bank(), me()
    today = today_in_zone(bank.timezone)
    form = HistoryFilterForm(request.args)
    form.month.choices = [("", "Any month")] + [
        (month_key(y, m), month_name(y, m)) for y, m in _months_back(today, MONTHS_TO_OFFER)
    ]
    partners = all_partners(db.session(), bank.id, member.id)
    form.other.choices = [("", "Anyone")] + [(str(p.id), p.name) for p in partners]
    filters = _filters_from(form)
    page = history_page(
        db.session(), bank.id, member.id, filters, _page_number(), HISTORY_PAGE_SIZE
    )
    statement_month = month_key(*(filters.month or (today.year, today.month)))
    return render_template(
        "home/history.html",
        form=form,
        page=page,
        filtered=filters != HistoryFilters(),
        previous_url=_page_url(page.page - 1) if page.page > 1 else None,
        next_url=_page_url(page.page + 1) if page.page < page.pages else None,
        statement_url=url_for("home.statement", month=statement_month),
    )


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year, month + 1) if month < 12 else (year + 1, 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


@bp.get("/history/statement")
@login_required
def statement() -> ResponseReturnValue:
    bank, member = current_bank(), me()
    today = today_in_zone(bank.timezone)
    wanted = request.args.get("month")
    chosen = parse_month(wanted) if wanted else (today.year, today.month)
    if chosen is None:
        abort(404)
    year, month = chosen
    later = _next_month(year, month)
    return render_template(
        "home/statement.html",
        statement=monthly_statement(db.session(), bank.id, member.id, year, month),
        month_title=month_name(year, month),
        bank_name_for_print=bank.name,
        previous_url=url_for("home.statement", month=month_key(*_previous_month(year, month))),
        next_url=(
            url_for("home.statement", month=month_key(*later))
            if later <= (today.year, today.month)
            else None
        ),
    )
