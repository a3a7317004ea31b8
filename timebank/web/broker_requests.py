"""Requests waiting for a helper: the broker's queue and proposals, the helper's yes or no,
and the helpers suggested to a member for their own request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import RadioField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from timebank.broker import (
    exchange_links,
    introductions,
    proposal_checks,
    proposals,
    requester_proposals,
)
from timebank.broker.candidates import suggest_helpers
from timebank.broker.models import Proposal
from timebank.broker.request_queue import open_requests, proposals_for_request
from timebank.errors import NotFound
from timebank.extensions import db
from timebank.ledger.models import Account
from timebank.members.models import Member
from timebank.offers.models import Listing
from timebank.web.access import current_bank, role_required
from timebank.web.errors import flashed_errors, form_errors

bp = Blueprint("broker_requests", __name__)

SUGGESTIONS_SHOWN = 10


class SendForm(FlaskForm):
    helpers = SelectMultipleField(
        "Who to ask", coerce=int, validators=[InputRequired("Choose at least one member to ask.")]
    )
    channel = RadioField(
        "How to ask them",
        choices=[
            SelectChoice("sms", "By text message (they reply YES or NO with a number)"),
            SelectChoice("web", "On the web (they see it on their home page when they sign in)"),
        ],
        default="sms",
        validators=[InputRequired("Choose how to ask them.")],
    )
    message = TextAreaField("A note for them to read on the web (optional)")


def _request_in_bank(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.bank_id != current_bank().id or listing.kind != "request":
        abort(404)
    return listing


def _proposal_in_bank(proposal_id: int) -> Proposal:
    try:
        return proposal_checks.proposal_in_bank(db.session(), current_bank().id, proposal_id)
    except NotFound:  # the plain 404 page, without the service's words
        abort(404)


def _posted() -> None:
    """Refuse a POST whose form (its CSRF token) does not check out."""
    if not FlaskForm().validate_on_submit():
        abort(400)


# --- The broker's queue and request page -----------------------------------------------------


@bp.get("/broker/requests")
@role_required("broker")
def queue() -> ResponseReturnValue:
    bank_id = current_bank().id
    return render_template("broker_requests/queue.html", rows=open_requests(db.session(), bank_id))


def _suggestions(listing: Listing, asked: set[int]) -> list[tuple[Member, int, str]]:
    """Return the best members not yet asked, as (member, score out of 100, why)."""
    found = suggest_helpers(
        db.session(), listing.bank_id, listing.id, SUGGESTIONS_SHOWN + len(asked)
    )
    chosen = [s for s in found if s.member_id not in asked][:SUGGESTIONS_SHOWN]
    members = {
        m.id: m
        for m in db.session.query(Member).filter(Member.id.in_([s.member_id for s in chosen]))
    }
    return [(members[s.member_id], round(s.score), s.why) for s in chosen]


def _render_request(listing: Listing, form: SendForm | None = None) -> str:
    bank = current_bank()
    rows = proposals_for_request(db.session(), bank.id, listing.id)
    is_open = listing.open_for_matching
    suggestions = _suggestions(listing, {row.helper.id for row in rows}) if is_open else []
    form = form or SendForm()
    form.helpers.choices = [
        SelectChoice(member.id, f"{member.display_name}, {score} out of 100: {why}")
        for member, score, why in suggestions
    ]
    candidates = {
        row.proposal.id: exchange_links.candidate_transfers(db.session(), bank.id, row.proposal.id)
        for row in rows
        if row.proposal.status == "matched" and row.proposal.transfer_id is None
    }
    return render_template(
        "broker_requests/request.html",
        listing=listing,
        requester=db.session.get(Member, listing.member_id),
        is_open=is_open,
        needs_check=proposal_checks.needs_check(db.session(), listing),
        form=form,
        rows=rows,
        candidates=candidates,
        names=_account_names(bank.id),
        meeting=lambda p: introductions.meeting_words(p.meeting_at, p.meeting_place, bank.timezone),
    )


def _account_names(bank_id: int) -> dict[int, str]:
    """Return the members' names by account id, for the exchanges offered for linking."""
    found = db.session.execute(
        db.select(Account.id, Member.display_name)
        .join(Member, Member.id == Account.member_id)
        .where(Account.bank_id == bank_id)
    )
    return {account_id: name for account_id, name in found}


@bp.get("/broker/requests/<int:listing_id>")
@role_required("broker")
def request_page(listing_id: int) -> ResponseReturnValue:
    return _render_request(_request_in_bank(listing_id))


@bp.post("/broker/requests/<int:listing_id>/send")
@role_required("broker")
def send(listing_id: int) -> ResponseReturnValue:
    listing = _request_in_bank(listing_id)
    form = SendForm()
    form.helpers.choices = [
        SelectChoice(int(value), value)
        for value in request.form.getlist("helpers")
        if value.isdigit()
    ]
    if form.validate_on_submit():
        with form_errors(form, "helpers") as shown:
            made = proposals.send_proposals(
                db.session(),
                listing.bank_id,
                current_user.id,
                listing.id,
                form.helpers.data or [],
                form.channel.data or "",
                form.message.data or "",
            )
        if not shown.failed:
            how = "by text" if form.channel.data == "sms" else "on the web"
            flash(f"Asked {len(made)} member(s) {how}.", "success")
            return redirect(url_for(".request_page", listing_id=listing.id))
    return _render_request(listing, form)


def _back_to(proposal: Proposal) -> Response:
    return redirect(url_for(".request_page", listing_id=proposal.request_id))


def _flash_result(action: Callable[[], object], success: str) -> None:
    """Run a service call; flash `success`, or the service's own words when it refuses."""
    with flashed_errors() as shown:
        action()
    if not shown.failed:
        flash(success, "success")


@bp.post("/broker/proposals/<int:proposal_id>/reply")
@role_required("broker")
def record_reply(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal_in_bank(proposal_id)
    _posted()
    yes = request.form.get("answer") == "yes"
    _flash_result(
        lambda: proposals.record_reply(
            db.session(), proposal.bank_id, current_user.id, proposal.id, yes
        ),
        "Recorded that they said yes." if yes else "Recorded that they said no.",
    )
    return _back_to(proposal)


def _meeting_at(day: str, time: str, timezone: str) -> dt.datetime | None:
    """Return the meeting's date and time from the form as UTC, None if not given."""
    if not day:
        return None
    local = dt.datetime.combine(
        dt.date.fromisoformat(day), dt.time.fromisoformat(time or "10:00")
    ).replace(tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.UTC)


@bp.post("/broker/proposals/<int:proposal_id>/introduce")
@role_required("broker")
def introduce(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal_in_bank(proposal_id)
    _posted()
    try:
        meeting_at = _meeting_at(
            request.form.get("meeting_date", "").strip(),
            request.form.get("meeting_time", "").strip(),
            current_bank().timezone,
        )
    except ValueError:
        flash(
            "Enter the meeting date as a date, for example 2026-03-03, and a time like 10:00.",
            "error",
        )
        return _back_to(proposal)
    _flash_result(
        lambda: introductions.introduce(
            db.session(),
            proposal.bank_id,
            current_user.id,
            proposal.id,
            meeting_at,
            request.form.get("meeting_place", ""),
            request.form.get("note", ""),
        ),
        "Introduced them. Each was told about the other and how to reach you.",
    )
    return _back_to(proposal)


@bp.post("/broker/proposals/<int:proposal_id>/matched")
@role_required("broker")
def mark_matched(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal_in_bank(proposal_id)
    _posted()
    _flash_result(
        lambda: introductions.mark_matched(
            db.session(), proposal.bank_id, current_user.id, proposal.id
        ),
        "Marked as matched. The request is closed.",
    )
    return _back_to(proposal)


@bp.post("/broker/proposals/<int:proposal_id>/withdraw")
@role_required("broker")
def withdraw(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal_in_bank(proposal_id)
    _posted()
    _flash_result(
        lambda: introductions.withdraw(
            db.session(), proposal.bank_id, current_user.id, proposal.id
        ),
        "Withdrawn.",
    )
    return _back_to(proposal)


@bp.post("/broker/proposals/<int:proposal_id>/link")
@role_required("broker")
def link(proposal_id: int) -> ResponseReturnValue:
    proposal = _proposal_in_bank(proposal_id)
    _posted()
    try:
        transfer_id = uuid.UUID(request.form.get("transfer_id", ""))
    except ValueError:
        flash("Choose the exchange to link.", "error")
        return _back_to(proposal)
    _flash_result(
        lambda: exchange_links.link_exchange(
            db.session(), proposal.bank_id, current_user.id, proposal.id, transfer_id
        ),
        "Linked the exchange to this match.",
    )
    return _back_to(proposal)


# --- The helper answers on the web -------------------------------------------------------------


def _answer(proposal_id: int, yes: bool) -> Response:
    _posted()
    # The service answers only the helper's own proposal; anyone else's is not found (404).
    with flashed_errors("info") as shown:
        proposal = proposals.answer_proposal(
            db.session(), current_user.bank_id, proposal_id, current_user.id, yes
        )
    if not shown.failed:
        flash(_thanks(proposal, yes), "success")
    return redirect(url_for("home.home"))


def _thanks(proposal: Proposal, yes: bool) -> str:
    listing = db.session.get(Listing, proposal.request_id)
    requester = db.session.get(Member, listing.member_id) if listing else None
    name = requester.first_name if requester else "them"
    if yes:
        return f"Thank you for saying yes to helping {name}. We will be in touch to introduce you."
    return f"Thank you for letting us know. We will ask someone else to help {name}."


@bp.post("/proposals/<int:proposal_id>/yes")
@login_required
def say_yes(proposal_id: int) -> ResponseReturnValue:
    return _answer(proposal_id, True)


@bp.post("/proposals/<int:proposal_id>/no")
@login_required
def say_no(proposal_id: int) -> ResponseReturnValue:
    return _answer(proposal_id, False)


# --- The requester's suggested helpers --------------------------------------------------------


def _own_request(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if (
        listing is None
        or listing.bank_id != current_user.bank_id
        or listing.member_id != current_user.id
        or listing.kind != "request"
    ):
        abort(404)
    return listing


@bp.get("/my-requests/<int:listing_id>/helpers")
@login_required
def my_helpers(listing_id: int) -> ResponseReturnValue:
    listing = _own_request(listing_id)
    is_open = listing.open_for_matching
    suggestions = (
        requester_proposals.requester_suggestions(
            db.session(), listing.bank_id, current_user.id, listing.id
        )
        if is_open
        else []
    )
    ids = [s.member_id for s in suggestions]
    names = {m.id: m.first_name for m in db.session.query(Member).filter(Member.id.in_(ids))}
    asked = proposals_for_request(db.session(), listing.bank_id, listing.id)
    return render_template(
        "broker_requests/helpers.html",
        listing=listing,
        is_open=is_open,
        suggestions=[(s, names[s.member_id]) for s in suggestions],
        asked=asked,
    )


@bp.post("/my-requests/<int:listing_id>/helpers/<int:helper_id>/ask")
@login_required
def ask_helper(listing_id: int, helper_id: int) -> ResponseReturnValue:
    _posted()
    # The service asks only for the member's own request; anyone else's is not found (404).
    with flashed_errors() as shown:
        proposal = requester_proposals.ask_suggested_helper(
            db.session(), current_user.bank_id, current_user.id, listing_id, helper_id
        )
    if not shown.failed:
        helper = db.session.get(Member, proposal.helper_id)
        name = helper.first_name if helper else "They"
        flash(f"We asked {name}. They will see your request when they sign in.", "success")
    return redirect(url_for(".my_helpers", listing_id=listing_id))
