"""Outreach pages for brokers: the worklist of members who went quiet, and each member's case.

Members never see these pages: flags are about them, for the people who support them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from timebank.broker import outreach_actions, outreach_worklist
from timebank.broker.models import OutreachFlag
from timebank.errors import NotFound, TimeBankError
from timebank.extensions import db
from timebank.ledger.queries import balance_summary
from timebank.phones import format_national
from timebank.web.access import member_in_bank, role_required
from timebank.web.confirm import Question, are_you_sure
from timebank.web.forms import show_error

bp = Blueprint("outreach", __name__)

METHOD_NAMES = {
    "phoned": "Phoned",
    "texted": "Texted",
    "visited": "Visited",
    "no_answer": "No answer",
}
OUTCOME_NAMES = {
    "re_engaged": "Re-engaged",
    "needs_support": "Needs support",
    "paused": "Paused",
    "left": "Left",
}
VIEW_NAMES = {"all": "Everyone", "mine": "Assigned to me", "unassigned": "Not assigned yet"}
STATUS_NAMES = {
    "open": "Open",
    "snoozed": "Snoozed",
    "resolved": "Resolved",
    "cleared": "Cleared: they are active again",
}


def _choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    """Only the CSRF token: the button is the action."""


class AssignForm(FlaskForm):
    broker = SelectField("Assign to", validators=[InputRequired("Choose a broker.")])


class ContactForm(FlaskForm):
    method = RadioField(
        "How did you try to reach them?",
        choices=_choices(METHOD_NAMES.items()),
        validators=[InputRequired("Choose how you tried to reach them.")],
    )
    outcome = RadioField(
        "How did it go?",
        choices=_choices([("", "Nothing to record yet"), *OUTCOME_NAMES.items()]),
        default="",
        validators=[Optional()],
    )
    note = TextAreaField("Note (optional)")


class SnoozeForm(FlaskForm):
    until = DateField(
        "Put aside until", validators=[InputRequired("Enter the date to bring them back.")]
    )


class ResolveForm(FlaskForm):
    outcome = RadioField(
        "How did it end?",
        choices=_choices((key, OUTCOME_NAMES[key]) for key in outreach_actions.RESOLVING_OUTCOMES),
        validators=[InputRequired("Choose how it ended.")],
    )


class NudgeForm(FlaskForm):
    text = TextAreaField("Text to send", validators=[InputRequired("Write the text to send.")])


def _names() -> dict[str, object]:
    return {
        "methods": METHOD_NAMES,
        "outcomes": OUTCOME_NAMES,
        "views": VIEW_NAMES,
        "statuses": STATUS_NAMES,
    }


@bp.app_context_processor
def _outreach_count() -> dict[str, object]:
    """Let the broker dashboard ask how many members are waiting, only when it shows it."""

    def outreach_waiting() -> int:
        return outreach_worklist.members_waiting(db.session(), current_user.bank_id)

    return {"outreach_waiting": outreach_waiting}


@bp.get("/broker/outreach")
@role_required("broker")
def worklist() -> ResponseReturnValue:
    view = request.args.get("show", "all")
    view = view if view in outreach_worklist.WORKLIST_VIEWS else "all"
    snoozed = request.args.get("snoozed") == "1"
    page = outreach_worklist.worklist(
        db.session(),
        current_user.bank_id,
        current_user.id,
        view,
        snoozed,
        request.args.get("page", 1, type=int),
    )
    return render_template(
        "outreach/worklist.html", page=page, view=view, snoozed=snoozed, **_names()
    )


def _flag(flag_id: int) -> OutreachFlag:
    flag = db.session.get(OutreachFlag, flag_id)
    if flag is None or flag.bank_id != current_user.bank_id:
        abort(404)
    return flag


def _forms(flag: OutreachFlag, **given: FlaskForm) -> dict[str, FlaskForm]:
    """Return every form of the member's page; `given` ones carry what was just posted."""
    session = db.session()
    forms: dict[str, Any] = {
        "assign": AssignForm(prefix="assign", formdata=None),
        "contact": ContactForm(prefix="contact", formdata=None),
        "snooze": SnoozeForm(prefix="snooze", formdata=None),
        "resolve": ResolveForm(prefix="resolve", formdata=None),
        "nudge": NudgeForm(prefix="nudge", formdata=None),
        "action": ActionForm(formdata=None),
    }
    forms.update(given)
    brokers = outreach_worklist.brokers_of(session, flag.bank_id)
    forms["assign"].broker.choices = _choices((str(b.id), b.display_name) for b in brokers)
    if forms["assign"].broker.data is None:
        forms["assign"].broker.data = str(flag.assigned_to_id or current_user.id)
    if not forms["nudge"].text.data:
        forms["nudge"].text.data = outreach_actions.nudge_text(
            session, flag.bank_id, flag.id, current_user.id
        )
    return forms


def _case_page(flag: OutreachFlag, status: int = 200, **given: FlaskForm) -> tuple[str, int]:
    session = db.session()
    member = member_in_bank(flag.member_id)
    open_flags = outreach_worklist.member_flags(session, flag.bank_id, member.id)
    page = render_template(
        "outreach/case.html",
        flag=flag,
        member=member,
        mobile=format_national(member.mobile_e164) if member.mobile_e164 else None,
        balance=balance_summary(session, flag.bank_id, member.id),
        last_exchange=outreach_worklist.last_exchange_on(session, flag.bank_id, member.id),
        open_flags=open_flags,
        contacts=outreach_worklist.contact_history(session, flag.bank_id, member.id),
        forms=_forms(flag, **given) if open_flags else {},
        **_names(),
    )
    return page, status


@bp.get("/broker/outreach/<int:flag_id>")
@role_required("broker")
def case(flag_id: int) -> ResponseReturnValue:
    return _case_page(_flag(flag_id))


def _act(
    flag_id: int,
    name: str,
    form: FlaskForm,
    action: Callable[[OutreachFlag], object],
    done: str,
) -> ResponseReturnValue:
    """Run one broker action from a form, then show the member's page with what happened."""
    flag = _flag(flag_id)
    if form.validate_on_submit():
        try:
            action(flag)
        except TimeBankError as error:  # a refusal not about a field goes back to the case page
            if isinstance(error, NotFound):
                abort(404)
            field = getattr(error, "field", None)
            if field is None or not hasattr(form, field):
                # Not about what was typed (e.g. someone else resolved it meanwhile).
                flash(error.message, "error")
                return redirect(url_for("outreach.case", flag_id=flag.id))
            show_error(form, field, error)
        else:
            flash(done, "success")
            return redirect(url_for("outreach.case", flag_id=flag.id))
    elif not form.errors:
        abort(400)  # only a missing or stale CSRF token leaves no error on a field
    return _case_page(flag, 422, **{name: form})


@bp.post("/broker/outreach/<int:flag_id>/assign")
@role_required("broker")
def assign(flag_id: int) -> ResponseReturnValue:
    form = AssignForm(prefix="assign")
    names = {
        str(b.id): b.display_name
        for b in outreach_worklist.brokers_of(db.session(), current_user.bank_id)
    }
    form.broker.choices = _choices(names.items())
    chosen = names.get(form.broker.data or "", "the broker")
    return _act(
        flag_id,
        "assign",
        form,
        lambda flag: outreach_actions.assign(
            db.session(), flag.bank_id, flag.id, current_user.id, int(form.broker.data)
        ),
        f"Assigned to {chosen}.",
    )


@bp.post("/broker/outreach/<int:flag_id>/assign-me")
@role_required("broker")
def assign_me(flag_id: int) -> ResponseReturnValue:
    return _act(
        flag_id,
        "action",
        ActionForm(),
        lambda flag: outreach_actions.assign(
            db.session(), flag.bank_id, flag.id, current_user.id, current_user.id
        ),
        "Assigned to you.",
    )


@bp.post("/broker/outreach/<int:flag_id>/contact")
@role_required("broker")
def contact(flag_id: int) -> ResponseReturnValue:
    form = ContactForm(prefix="contact")
    outcome = form.outcome.data or None
    done = "Contact recorded."
    if outcome in outreach_actions.RESOLVING_OUTCOMES:
        done = f"Contact recorded. They are off the worklist: {OUTCOME_NAMES[outcome].lower()}."
    return _act(
        flag_id,
        "contact",
        form,
        lambda flag: outreach_actions.record_contact(
            db.session(),
            flag.bank_id,
            flag.id,
            current_user.id,
            form.method.data or "",
            outcome,
            form.note.data or "",
        ),
        done,
    )


@bp.post("/broker/outreach/<int:flag_id>/snooze")
@role_required("broker")
def snooze(flag_id: int) -> ResponseReturnValue:
    form = SnoozeForm(prefix="snooze")
    until = form.until.data
    return _act(
        flag_id,
        "snooze",
        form,
        lambda flag: outreach_actions.snooze(
            db.session(), flag.bank_id, flag.id, current_user.id, until
        ),
        f"Put aside until {until:%-d %B %Y}." if until else "Put aside.",
    )


@bp.post("/broker/outreach/<int:flag_id>/resolve")
@role_required("broker")
def resolve(flag_id: int) -> ResponseReturnValue:
    form = ResolveForm(prefix="resolve")
    return _act(
        flag_id,
        "resolve",
        form,
        lambda flag: outreach_actions.resolve(
            db.session(), flag.bank_id, flag.id, current_user.id, form.outcome.data or ""
        ),
        "Resolved. They are off the worklist.",
    )


@bp.post("/broker/outreach/<int:flag_id>/nudge")
@role_required("broker")
def nudge(flag_id: int) -> ResponseReturnValue:
    form = NudgeForm(prefix="nudge")
    return _act(
        flag_id,
        "nudge",
        form,
        lambda flag: outreach_actions.send_nudge(
            db.session(), flag.bank_id, flag.id, current_user.id, form.text.data or ""
        ),
        "Text queued. It goes out in a moment, and is recorded as a contact.",
    )


@bp.get("/broker/outreach/<int:flag_id>/do-not-contact")
@role_required("broker")
def do_not_contact_question(flag_id: int) -> ResponseReturnValue:
    """Ask "Are you sure?" first; the page's button posts to `do_not_contact`."""
    flag = _flag(flag_id)
    member = member_in_bank(flag.member_id)
    return are_you_sure(
        Question(
            heading=f"Did {member.display_name} ask not to be contacted?",
            what_happens=(
                f"{member.display_name} comes off the worklist and will not be flagged for "
                "outreach again. A broker can change this later on their member page."
            ),
            yes="Yes, they asked not to be contacted",
            action=url_for("outreach.do_not_contact", flag_id=flag.id),
            back=url_for("outreach.case", flag_id=flag.id),
        )
    )


@bp.post("/broker/outreach/<int:flag_id>/do-not-contact")
@role_required("broker")
def do_not_contact(flag_id: int) -> ResponseReturnValue:
    form = ActionForm()
    return _act(
        flag_id,
        "action",
        form,
        lambda flag: outreach_actions.member_do_not_contact(
            db.session(), flag.bank_id, flag.id, current_user.id
        ),
        "Recorded: they asked not to be contacted. They will not be flagged again.",
    )
