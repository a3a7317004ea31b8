"""What the log-hours pages share: the draft kept in the session, the details and check steps.

A draft is a small dict in the Flask session, one per flow (with one person, for others, for a
group). The id the ledger will record under is fixed when the check page is first shown and
kept until what would be recorded changes, so pressing "Log these hours" twice, or going back
and pressing it again, replays the first write instead of making a second one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.wrappers import Response

from timebank.errors import TimeBankError
from timebank.ledger.errors import ExchangeDateNotAllowed
from timebank.ledger.rules import check_exchange_date
from timebank.members.models import Member
from timebank.minutes import format_duration
from timebank.offers.skills import skill_in_sentence
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank
from timebank.web.access import current_bank, member_in_bank
from timebank.web.exchange_forms import DetailsForm, SubmitOnceForm, parse_uuid
from timebank.web.forms import show_error

Draft = dict[str, Any]


@dataclass(frozen=True)
class Flow:
    """One way of logging hours: where its draft lives and the endpoints of its pages."""

    key: str
    start: str
    details: str
    check: str


def load_draft(flow: Flow) -> Draft:
    """Return a copy of this flow's draft."""
    return dict(session.get(flow.key) or {})


def save_draft(flow: Flow, draft: Draft) -> None:
    """Keep this flow's draft in the session."""
    session[flow.key] = draft


def fresh_draft(flow: Flow) -> Draft:
    """Return the draft, or an empty one when the last one has been recorded."""
    draft = load_draft(flow)
    if draft.get("recorded") and request.method == "GET":
        draft = {}
        save_draft(flow, draft)
    return draft


def change_draft(flow: Flow, draft: Draft, **values: Any) -> None:
    """Store new values; when what would be recorded changes, the next write gets a new id."""
    if any(draft.get(name) != value for name, value in values.items()):
        draft.pop("transfer_id", None)
        draft.pop("recorded", None)
    draft.update(values)
    save_draft(flow, draft)


def members_named(ids: Sequence[int]) -> list[Member]:
    """Return these members of the signed-in member's bank (404 for anyone else's)."""
    return [member_in_bank(member_id) for member_id in ids]


def chosen_member_id(text: str | None) -> int | None:
    """Return the member id a radio button carried, if it is a number."""
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def kind_of_help(category: str | None) -> str:
    """Return a skill category as it reads inside a sentence ('help' when there is none)."""
    return skill_in_sentence(category)


def join_names(names: Sequence[str]) -> str:
    """Join names as people write them: 'Ann, Bob and Cy'."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def long_date(day: dt.date) -> str:
    """Format a date in words: 3 November 2026."""
    return f"{day.day} {day:%B %Y}"


def details_step(
    flow: Flow, draft: Draft, partner_name: str | None, back: str
) -> ResponseReturnValue:
    """Show or take the details page; `partner_name` asks who helped whom."""
    bank = current_bank()
    today = today_in_zone(bank.timezone)
    form = DetailsForm()
    if not me().has_role("broker"):
        del form.reason
    form.offer_categories(bank.id)
    if partner_name:
        form.direction.choices = [
            ("gave", f"I helped {partner_name}"),
            ("received", f"{partner_name} helped me"),
        ]
    else:
        del form.direction
    if form.is_submitted():
        values = _detail_values(form, bank, today)
        if values is not None:
            change_draft(flow, draft, **values)
            return redirect(url_for(flow.check))
    else:
        _fill_details(form, draft, today)
    return render_template(
        "exchanges/details.html",
        form=form,
        partner_name=partner_name,
        back=back,
        past_days=bank.exchange_past_days,
    )


def _detail_values(form: DetailsForm, bank: TimeBank, today: dt.date) -> dict[str, Any] | None:
    """Return the details typed, or None when the form shows errors."""
    valid = form.validate()
    minutes = form.chosen_minutes()
    happened_on = form.chosen_date()
    reason = (form.reason.data or "").strip() if "reason" in form else ""
    if happened_on is not None:
        happened_on = _allowed_date(form, bank, happened_on, today, reason)
    if not valid or minutes is None or happened_on is None:
        return None
    values = {
        "minutes": minutes,
        "happened_on": happened_on.isoformat(),
        "skill_category": form.skill_category.data,
        "note": (form.note.data or "").strip(),
    }
    if "direction" in form:
        values["direction"] = form.direction.data
    if "reason" in form:
        values["reason"] = reason
    return values


def _allowed_date(
    form: DetailsForm, bank: TimeBank, day: dt.date, today: dt.date, reason: str
) -> dt.date | None:
    """Check the day against the ledger's date rule now, so the error shows beside the date."""
    try:
        return check_exchange_date(
            day, today, bank.exchange_past_days, by_broker=me().has_role("broker"), reason=reason
        )
    except ExchangeDateNotAllowed as error:
        form.day.errors = [*form.day.errors, error.message]
        return None


def _fill_details(form: DetailsForm, draft: Draft, today: dt.date) -> None:
    if draft.get("minutes"):
        form.show_minutes(draft["minutes"])
    happened_on = draft.get("happened_on")
    form.show_date(dt.date.fromisoformat(happened_on) if happened_on else today)
    if "direction" in form:
        form.direction.data = draft.get("direction")
    form.skill_category.data = draft.get("skill_category", "")
    form.note.data = draft.get("note", "")
    if "reason" in form:
        form.reason.data = draft.get("reason", "")


def has_details(draft: Draft) -> bool:
    """Say whether the details page has been filled in."""
    return bool(draft.get("minutes") and draft.get("happened_on"))


class RecordedDetails(TypedDict):
    """What every log-hours flow records from its details page, and who recorded it."""

    minutes: int
    recorded_by_id: int
    happened_on: dt.date
    description: str
    skill_category: str | None
    reason: str


def recorded_details(draft: Draft) -> RecordedDetails:
    """Return the draft's details as the ledger's exchange requests take them."""
    return RecordedDetails(
        minutes=draft["minutes"],
        recorded_by_id=me().id,
        happened_on=dt.date.fromisoformat(draft["happened_on"]),
        description=draft.get("note", ""),
        skill_category=draft.get("skill_category") or None,
        reason=draft.get("reason", ""),
    )


@dataclass(frozen=True)
class SummaryRow:
    """One line of a check page: what, the answer, and where to change it."""

    label: str
    value: str
    change_url: str
    change_what: str


def detail_rows(flow: Flow, draft: Draft) -> list[SummaryRow]:
    """Return the check page's lines for how long, when, what kind of help and the note."""
    details = url_for(flow.details)
    return [
        SummaryRow("How long", format_duration(draft["minutes"]), details, "how long"),
        SummaryRow(
            "When", long_date(dt.date.fromisoformat(draft["happened_on"])), details, "the date"
        ),
        SummaryRow(
            "What kind of help", draft.get("skill_category") or "", details, "the kind of help"
        ),
        SummaryRow("Note", draft.get("note") or "None", details, "the note"),
    ] + (
        [SummaryRow("Why logged late", draft["reason"], details, "the reason")]
        if draft.get("reason")
        else []
    )


def check_step(
    flow: Flow,
    draft: Draft,
    rows: list[SummaryRow],
    record: Callable[[uuid.UUID], ResponseReturnValue],
    already_done: Callable[[uuid.UUID], Response | None],
    heading: str,
) -> ResponseReturnValue:
    """Show the check page, or record the draft once under the id the page carried."""
    if not draft.get("transfer_id"):
        draft["transfer_id"] = str(uuid.uuid4())
        save_draft(flow, draft)
    form = SubmitOnceForm()
    if form.validate_on_submit():
        posted = form.chosen_id()
        if posted is None or str(posted) != draft["transfer_id"]:
            return _stale_submit(flow, posted, already_done)
        try:
            done = record(posted)
        except TimeBankError as error:  # any refusal, even a partner gone, is told on this step
            show_error(form, None, error)
        else:
            draft["recorded"] = True
            save_draft(flow, draft)
            return done
    form.transfer_id.data = draft["transfer_id"]
    return render_template("exchanges/check.html", form=form, rows=rows, heading=heading)


def earlier_result(
    draft: Draft, already_done: Callable[[uuid.UUID], Response | None]
) -> Response | None:
    """Answer a check page submitted again after its draft moved on with that page's result.

    Going back to an old check page and pressing its button again, after starting another
    log, shows what that press recorded the first time instead of recording anything.
    """
    if request.method != "POST":
        return None
    posted = parse_uuid(request.form.get("transfer_id"))
    if posted is None or str(posted) == draft.get("transfer_id"):
        return None
    return already_done(posted)


def _stale_submit(
    flow: Flow, posted: uuid.UUID | None, already_done: Callable[[uuid.UUID], Response | None]
) -> Response:
    """Answer a check page that is no longer the current one: show its result if it had one."""
    if posted is not None and (done := already_done(posted)) is not None:
        return done
    flash("Some details changed since that page was shown. Check them and log the hours.", "info")
    return redirect(url_for(flow.check))


def me() -> Member:
    """Return the signed-in member."""
    member: Member = current_user._get_current_object()
    return member
