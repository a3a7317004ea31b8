"""Log hours: with one person, and (for brokers) for two other members.

One thing per page: who, the details, a check page, then a confirmation. The group pages are
in `timebank.web.group_log`, on the same blueprint (`timebank.web.exchange_blueprint`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required
from werkzeug.wrappers import Response

from timebank.broker.announce import announce_pending
from timebank.extensions import db
from timebank.ledger.queries import (
    MemberChoice,
    recent_partners,
    search_members,
)
from timebank.ledger.recorded import RecordedExchange, recorded_exchange
from timebank.ledger.services import ExchangeRequest, record_exchange
from timebank.members.models import Member, first_name_of
from timebank.minutes import format_duration
from timebank.web.access import current_bank, member_in_bank, role_required
from timebank.web.exchange_blueprint import bp
from timebank.web.exchange_drafts import (
    Draft,
    Flow,
    SummaryRow,
    change_draft,
    check_step,
    chosen_member_id,
    detail_rows,
    details_step,
    earlier_result,
    fresh_draft,
    has_details,
    join_names,
    kind_of_help,
    load_draft,
    long_date,
    me,
    recorded_details,
)
from timebank.web.exchange_forms import ChooseMemberForm
from timebank.web.forms import show_error

MINE = Flow("log_draft", "exchanges.log_hours", "exchanges.details", "exchanges.check")
FOR_OTHERS = Flow(
    "log_others_draft",
    "exchanges.for_others",
    "exchanges.for_others_details",
    "exchanges.for_others_check",
)


@bp.app_template_filter("kind_of_help")
def _kind_of_help_filter(category: str | None) -> str:
    return kind_of_help(category)


@bp.app_template_filter("long_date")
def _long_date_filter(day: dt.date) -> str:
    return long_date(day)


def _choice_label(choice: MemberChoice) -> str:
    return f"{choice.name} ({choice.area})" if choice.area else choice.name


def _who_page(
    form: ChooseMemberForm,
    choices: list[MemberChoice],
    *,
    heading: str,
    endpoint: str,
    q: str,
    chosen: int | None,
    intro: str = "",
    back: str | None = None,
) -> str:
    form.member.label.text = "Choose one person"
    form.member.choices = [(str(c.id), _choice_label(c)) for c in choices]
    if not form.is_submitted() and chosen is not None:
        form.member.data = str(chosen)
    return render_template(
        "exchanges/who.html",
        form=form,
        heading=heading,
        intro=intro,
        endpoint=endpoint,
        q=q,
        has_choices=bool(choices),
        back=back,
    )


def _take_choice(form: ChooseMemberForm, not_ids: set[int], same_message: str) -> int | None:
    """Return the member chosen on a who page, or None after putting the error on the form."""
    if not form.validate_on_submit():
        return None
    member_id = chosen_member_id(form.member.data)
    if member_id is None:
        show_error(form, "member", "Choose a person.")
        return None
    member = member_in_bank(member_id)
    if member.id in not_ids:
        show_error(form, "member", same_message)
        return None
    return member.id


def _search_text() -> str:
    return (request.args.get("q") or "").strip()[:80]


def _partners_then_matches(q: str) -> list[MemberChoice]:
    """Return the people I traded with lately (those matching `q`), then other matches."""
    bank_id, my_id = current_bank().id, me().id
    recent = recent_partners(db.session(), bank_id, my_id)
    if not q:
        return recent
    recent = [c for c in recent if q.lower() in c.name.lower()]
    seen = [my_id, *(c.id for c in recent)]
    return recent + search_members(db.session(), bank_id, q, exclude_ids=seen)


@bp.route("/log", methods=["GET", "POST"])
@login_required
def log_hours() -> ResponseReturnValue:
    draft = fresh_draft(MINE)
    q = _search_text()
    form = ChooseMemberForm()
    chosen = _take_choice(form, {me().id}, "Choose someone other than yourself.")
    if chosen is not None:
        change_draft(MINE, draft, partner_id=chosen)
        return redirect(url_for("exchanges.details"))
    return _who_page(
        form,
        _partners_then_matches(q),
        heading="Who did you swap time with?",
        endpoint="exchanges.log_hours",
        q=q,
        chosen=draft.get("partner_id"),
        intro="People you swapped time with lately are listed first.",
    )


def _partner(draft: Draft) -> Member | None:
    partner_id = draft.get("partner_id")
    return member_in_bank(partner_id) if partner_id else None


@bp.route("/log/details", methods=["GET", "POST"])
@login_required
def details() -> ResponseReturnValue:
    draft = load_draft(MINE)
    partner = _partner(draft)
    if partner is None:
        return redirect(url_for(MINE.start))
    return details_step(MINE, draft, partner.first_name, url_for(MINE.start))


def _my_exchange(draft: Draft, transfer_id: uuid.UUID) -> ExchangeRequest:
    partner_id = draft["partner_id"]
    gave = draft.get("direction") == "gave"
    return _request(
        draft,
        transfer_id,
        giver_id=me().id if gave else partner_id,
        receiver_id=partner_id if gave else me().id,
    )


def _request(
    draft: Draft, transfer_id: uuid.UUID, *, giver_id: int, receiver_id: int
) -> ExchangeRequest:
    return ExchangeRequest(
        transfer_id=transfer_id,
        bank_id=current_bank().id,
        giver_id=giver_id,
        receiver_id=receiver_id,
        **recorded_details(draft),
    )


def _record_and_show(request_: ExchangeRequest) -> Response:
    result = record_exchange(db.session(), request_, also=announce_pending)
    return redirect(url_for("exchanges.done", transfer_id=result.id))


def _done_if_mine(transfer_id: uuid.UUID) -> Response | None:
    found = recorded_exchange(db.session(), current_bank().id, transfer_id)
    if found is None or not found.involves(me().id):
        return None
    return redirect(url_for("exchanges.done", transfer_id=found.id))


@bp.route("/log/check", methods=["GET", "POST"])
@login_required
def check() -> ResponseReturnValue:
    draft = load_draft(MINE)
    if (earlier := earlier_result(draft, _done_if_mine)) is not None:
        return earlier
    partner = _partner(draft)
    if partner is None:
        return redirect(url_for(MINE.start))
    if not has_details(draft) or draft.get("direction") not in ("gave", "received"):
        return redirect(url_for(MINE.details))
    helped = (
        f"You helped {partner.display_name}"
        if draft["direction"] == "gave"
        else f"{partner.display_name} helped you"
    )
    rows = [
        SummaryRow("Who", partner.display_name, url_for(MINE.start), "who it was"),
        SummaryRow("What happened", helped, url_for(MINE.details), "what happened"),
        *detail_rows(MINE, draft),
    ]
    return check_step(
        MINE,
        draft,
        rows,
        lambda transfer_id: _record_and_show(_my_exchange(draft, transfer_id)),
        _done_if_mine,
        "Check the hours before you log them",
    )


def exchange_sentence(exchange: RecordedExchange, viewer_id: int) -> str:
    """Say in plain words what was recorded, from the point of view of `viewer_id`."""
    hours = format_duration(exchange.minutes)
    what = kind_of_help(exchange.skill_category)
    giver, receiver = exchange.giver_name, exchange.receiver_name
    waiting = exchange.phase == "pending"
    if viewer_id == exchange.giver_id:
        first = first_name_of(receiver)
        then = f"{first} needs to confirm it." if waiting else "It is now in both your balances."
        return f"You gave {receiver} {hours} for {what}. {then}"
    if viewer_id == exchange.receiver_id:
        then = (
            "Please confirm it on your home page."
            if waiting
            else "It is now in both your balances."
        )
        return f"{giver} gave you {hours} for {what}. {then}"
    then = f"{receiver} needs to confirm it." if waiting else "It is now in both their balances."
    return f"{giver} gave {receiver} {hours} for {what}. {then}"


@bp.get("/log/done/<uuid:transfer_id>")
@login_required
def done(transfer_id: uuid.UUID) -> ResponseReturnValue:
    exchange = recorded_exchange(db.session(), current_bank().id, transfer_id)
    if exchange is None or not exchange.involves(me().id):
        abort(404)
    for_others = me().id not in (exchange.giver_id, exchange.receiver_id)
    return render_template(
        "exchanges/done.html",
        sentence=exchange_sentence(exchange, me().id),
        again=url_for(FOR_OTHERS.start if for_others else MINE.start),
    )


# Brokers record for others: choose the giver, then the receiver, then the same steps.


@bp.route("/log/for-others", methods=["GET", "POST"])
@role_required("broker")
def for_others() -> ResponseReturnValue:
    draft = fresh_draft(FOR_OTHERS)
    q = _search_text()
    form = ChooseMemberForm()
    chosen = _take_choice(form, set(), "")
    if chosen is not None:
        change_draft(FOR_OTHERS, draft, giver_id=chosen)
        return redirect(url_for("exchanges.for_others_receiver"))
    return _who_page(
        form,
        search_members(db.session(), current_bank().id, q),
        heading="Who gave the help?",
        endpoint="exchanges.for_others",
        q=q,
        chosen=draft.get("giver_id"),
        intro="Record hours for two other members, for example someone without a phone.",
    )


@bp.route("/log/for-others/receiver", methods=["GET", "POST"])
@role_required("broker")
def for_others_receiver() -> ResponseReturnValue:
    draft = load_draft(FOR_OTHERS)
    if not draft.get("giver_id"):
        return redirect(url_for(FOR_OTHERS.start))
    giver = member_in_bank(draft["giver_id"])
    q = _search_text()
    form = ChooseMemberForm()
    chosen = _take_choice(form, {giver.id}, f"Choose someone other than {giver.display_name}.")
    if chosen is not None:
        change_draft(FOR_OTHERS, draft, receiver_id=chosen)
        return redirect(url_for(FOR_OTHERS.details))
    matches = search_members(db.session(), current_bank().id, q, exclude_ids=[giver.id])
    return _who_page(
        form,
        matches,
        heading=f"Who did {giver.display_name} help?",
        endpoint="exchanges.for_others_receiver",
        q=q,
        chosen=draft.get("receiver_id"),
        back=url_for(FOR_OTHERS.start),
    )


def _others(draft: Draft) -> tuple[Member, Member] | None:
    if not draft.get("giver_id") or not draft.get("receiver_id"):
        return None
    return member_in_bank(draft["giver_id"]), member_in_bank(draft["receiver_id"])


@bp.route("/log/for-others/details", methods=["GET", "POST"])
@role_required("broker")
def for_others_details() -> ResponseReturnValue:
    draft = load_draft(FOR_OTHERS)
    if _others(draft) is None:
        return redirect(url_for(FOR_OTHERS.start))
    return details_step(FOR_OTHERS, draft, None, url_for("exchanges.for_others_receiver"))


@bp.route("/log/for-others/check", methods=["GET", "POST"])
@role_required("broker")
def for_others_check() -> ResponseReturnValue:
    draft = load_draft(FOR_OTHERS)
    if (earlier := earlier_result(draft, _done_if_mine)) is not None:
        return earlier
    people = _others(draft)
    if people is None:
        return redirect(url_for(FOR_OTHERS.start))
    if not has_details(draft):
        return redirect(url_for(FOR_OTHERS.details))
    giver, receiver = people
    rows = [
        SummaryRow("Who gave the help", giver.display_name, url_for(FOR_OTHERS.start), "who gave"),
        SummaryRow(
            "Who received it",
            receiver.display_name,
            url_for("exchanges.for_others_receiver"),
            "who received",
        ),
        *detail_rows(FOR_OTHERS, draft),
    ]
    return check_step(
        FOR_OTHERS,
        draft,
        rows,
        lambda transfer_id: _record_and_show(
            _request(draft, transfer_id, giver_id=giver.id, receiver_id=receiver.id)
        ),
        _done_if_mine,
        f"Check the hours {giver.first_name} gave {receiver.first_name}",
    )


__all__ = ["bp", "exchange_sentence", "join_names", "long_date"]
