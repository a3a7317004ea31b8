"""Group log: one member helped several people, or several people helped one member.

For a gardening morning or a lunch club. The pages are on the exchanges blueprint
(`timebank.web.exchange_blueprint`): the direction, the people (ticked, with a search that
keeps the ticks), the details, a check page and a confirmation. Recording is all or nothing
(record_group_exchange).
"""

from __future__ import annotations

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
from timebank.ledger.recorded import RecordedExchange, recorded_group
from timebank.ledger.services import GroupExchangeRequest, record_group_exchange
from timebank.minutes import format_duration
from timebank.web.access import current_bank
from timebank.web.exchange_blueprint import bp
from timebank.web.exchange_drafts import (
    Draft,
    Flow,
    SummaryRow,
    change_draft,
    check_step,
    detail_rows,
    details_step,
    earlier_result,
    fresh_draft,
    has_details,
    join_names,
    kind_of_help,
    load_draft,
    me,
    members_named,
    recorded_details,
)
from timebank.web.exchange_forms import ChooseMembersForm, GroupDirectionForm
from timebank.web.forms import show_error

GROUP = Flow(
    "log_group_draft", "exchanges.group", "exchanges.group_details", "exchanges.group_check"
)


@bp.route("/log/group", methods=["GET", "POST"])
@login_required
def group() -> ResponseReturnValue:
    draft = fresh_draft(GROUP)
    form = GroupDirectionForm()
    if form.validate_on_submit():
        change_draft(GROUP, draft, direction=form.direction.data)
        return redirect(url_for("exchanges.group_people"))
    if not form.is_submitted():
        form.direction.data = draft.get("direction")
    return render_template("exchanges/group_direction.html", form=form)


def _people_choices(chosen: list[MemberChoice], q: str) -> list[MemberChoice]:
    """Return the people already ticked, then matches for `q` (or recent partners)."""
    bank_id, my_id = current_bank().id, me().id
    skip = [my_id, *(c.id for c in chosen)]
    if q:
        more = search_members(db.session(), bank_id, q, exclude_ids=skip)
    else:
        more = [
            c for c in recent_partners(db.session(), bank_id, my_id, limit=8) if c.id not in skip
        ]
    return chosen + more


def _as_choices(ids: list[int]) -> list[MemberChoice]:
    return [MemberChoice(m.id, m.display_name) for m in members_named(ids)]


@bp.route("/log/group/people", methods=["GET", "POST"])
@login_required
def group_people() -> ResponseReturnValue:
    draft = load_draft(GROUP)
    if draft.get("direction") not in ("gave", "received"):
        return redirect(url_for(GROUP.start))
    form = ChooseMembersForm()
    q = ""
    if form.validate_on_submit():
        ids = [m.id for m in members_named(form.members.data or []) if m.id != me().id]
        change_draft(GROUP, draft, member_ids=ids)
        if request.form.get("action") == "search":
            q = (form.q.data or "").strip()[:80]
        elif not ids:
            show_error(form, "members", "Tick at least one person.")
        else:
            return redirect(url_for(GROUP.details))
    form.members.data = list(draft.get("member_ids") or [])
    choices = _people_choices(_as_choices(form.members.data), q)
    form.members.choices = [(c.id, c.name) for c in choices]
    form.q.data = q
    heading = "Who did you help?" if draft["direction"] == "gave" else "Who helped you?"
    form.members.label.text = heading
    return render_template("exchanges/group_people.html", form=form, heading=heading, q=q)


def _group_ready(draft: Draft) -> bool:
    return draft.get("direction") in ("gave", "received") and bool(draft.get("member_ids"))


@bp.route("/log/group/details", methods=["GET", "POST"])
@login_required
def group_details() -> ResponseReturnValue:
    draft = load_draft(GROUP)
    if not _group_ready(draft):
        return redirect(url_for(GROUP.start))
    return details_step(GROUP, draft, None, url_for("exchanges.group_people"))


def _group_request(draft: Draft, group_id: uuid.UUID) -> GroupExchangeRequest:
    others, mine = list(draft["member_ids"]), [me().id]
    gave = draft["direction"] == "gave"
    return GroupExchangeRequest(
        group_id=group_id,
        bank_id=current_bank().id,
        giver_ids=mine if gave else others,
        receiver_ids=others if gave else mine,
        **recorded_details(draft),
    )


def _record_group(draft: Draft, group_id: uuid.UUID) -> Response:
    record_group_exchange(db.session(), _group_request(draft, group_id), also=announce_pending)
    return redirect(url_for("exchanges.group_done", group_id=group_id))


def _group_done_if_mine(group_id: uuid.UUID) -> Response | None:
    found = recorded_group(db.session(), current_bank().id, group_id)
    if not _recorded_by_me(found):
        return None
    return redirect(url_for("exchanges.group_done", group_id=group_id))


def _recorded_by_me(exchanges: list[RecordedExchange]) -> bool:
    return bool(exchanges) and all(e.recorded_by_id == me().id for e in exchanges)


@bp.route("/log/group/check", methods=["GET", "POST"])
@login_required
def group_check() -> ResponseReturnValue:
    draft = load_draft(GROUP)
    if (earlier := earlier_result(draft, _group_done_if_mine)) is not None:
        return earlier
    if not _group_ready(draft):
        return redirect(url_for(GROUP.start))
    if not has_details(draft):
        return redirect(url_for(GROUP.details))
    names = join_names(sorted(m.display_name for m in members_named(draft["member_ids"])))
    people = url_for("exchanges.group_people")
    gave = draft["direction"] == "gave"
    rows = [
        SummaryRow("What happened", _direction_words(gave), url_for(GROUP.start), "what happened"),
        SummaryRow("You helped" if gave else "Who helped you", names, people, "who was there"),
        *detail_rows(GROUP, draft),
    ]
    return check_step(
        GROUP,
        draft,
        rows,
        lambda group_id: _record_group(draft, group_id),
        _group_done_if_mine,
        "Check the group's hours before you log them",
    )


def _direction_words(gave: bool) -> str:
    return "You helped several people" if gave else "Several people helped you"


def group_sentence(exchanges: list[RecordedExchange], viewer_id: int) -> str:
    """Say in plain words what a group exchange recorded, for the member on the single side."""
    first = exchanges[0]
    hours = format_duration(first.minutes)
    what = kind_of_help(first.skill_category)
    if all(e.giver_id == viewer_id for e in exchanges):
        names = join_names([e.receiver_name for e in exchanges])
        if first.phase == "pending":
            return f"You gave {names} {hours} each for {what}. Each of them needs to confirm it."
        return f"You gave {names} {hours} each for {what}. It is now in everyone's balances."
    names = join_names([e.giver_name for e in exchanges])
    return f"{names} each gave you {hours} for {what}. It is now in everyone's balances."


@bp.get("/log/group/done/<uuid:group_id>")
@login_required
def group_done(group_id: uuid.UUID) -> ResponseReturnValue:
    exchanges = recorded_group(db.session(), current_bank().id, group_id)
    if not _recorded_by_me(exchanges):
        abort(404)
    return render_template(
        "exchanges/done.html",
        sentence=group_sentence(exchanges, me().id),
        again=url_for(GROUP.start),
    )
