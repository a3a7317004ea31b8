"""A broker's page about one member: safeguarding checks, blocks, and do-not-contact.

Brokers and admins of the member's own time bank only: members get 403, and another
bank's member id is 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length, Optional

from timebank.broker import safeguarding
from timebank.broker.joining import JOIN_REASON_LIMIT, joined_on, set_join_date
from timebank.extensions import db
from timebank.members.models import Member
from timebank.membership.services import account_of
from timebank.phones import format_national
from timebank.tenancy.audit import actions_about
from timebank.tenancy.days import today_in_zone
from timebank.web.access import current_bank, member_in_bank, role_required
from timebank.web.confirm import Question, are_you_sure
from timebank.web.errors import flashed_errors, form_errors
from timebank.web.forms import show_error
from timebank.web.sessions import last_sign_in_words

bp = Blueprint("broker_members", __name__)

# Never list more matches than a broker can read through when picking someone to block.
MOST_MATCHES = 10
DATE_HINT = "For example: 2026-03-14"


class CheckForm(FlaskForm):
    checked_on = StringField(
        "Date of the check", validators=[InputRequired("Enter the date of the check.")]
    )
    expires_on = StringField("Runs out on (optional)", validators=[Optional()])
    reference = StringField(
        "Certificate number or reference (optional)",
        validators=[Length(max=60, message="Keep the reference to 60 characters or fewer.")],
    )


class BlockForm(FlaskForm):
    other = StringField(
        "Their name or member number",
        validators=[InputRequired("Enter the name or member number of the other member.")],
    )
    reason = StringField(
        "Why (optional, only brokers see it)",
        validators=[Length(max=200, message="Keep the reason to 200 characters or fewer.")],
    )


class JoinDateForm(FlaskForm):
    joined_on = StringField(
        "The day they really joined", validators=[InputRequired("Enter the day they joined.")]
    )
    reason = StringField(
        "Why it changes",
        validators=[
            InputRequired("Say why the join date changes, for example: on paper records."),
            Length(
                max=JOIN_REASON_LIMIT,
                message=f"Keep the reason to {JOIN_REASON_LIMIT} characters or fewer.",
            ),
        ],
    )


class SwitchForm(FlaskForm):
    """Only the CSRF token and the value to set."""

    value = HiddenField()


def _date(form: FlaskForm, name: str, text: str) -> dt.date | None:
    """Read a date typed as 2026-03-14 (as the date picker sends it), or note the error."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        show_error(form, name, "Enter the date as year-month-day, for example 2026-03-14.")
        return None


def _page(person: Member, **forms: Any) -> str:
    """Render the member's page with fresh forms, or the ones given (with their errors)."""
    session = db.session()
    timezone = current_bank().timezone
    today = today_in_zone(timezone)
    checks = safeguarding.checks_of(session, person.bank_id, person.id)
    return render_template(
        "broker_members/member.html",
        person=person,
        mobile=format_national(person.mobile_e164) if person.mobile_e164 else "",
        balance=account_of(session, person.bank_id, person.id).balance,
        last_sign_in=last_sign_in_words(person, timezone),
        checks=[(check, safeguarding.check_is_current(check, today)) for check in checks],
        blocks=safeguarding.blocks_of(session, person.bank_id, person.id),
        actions=actions_about(session, person.bank_id, person.id, limit=10),
        check_form=forms.get("check_form") or CheckForm(formdata=None),
        block_form=forms.get("block_form") or BlockForm(formdata=None),
        join_form=forms.get("join_form") or JoinDateForm(formdata=None),
        joined=joined_on(person),
        matches=forms.get("matches") or [],
        check_names=safeguarding.CHECK_NAMES,
        date_hint=DATE_HINT,
    )


def _back(person: Member, message: str, category: str = "success") -> ResponseReturnValue:
    flash(message, category)
    return redirect(url_for("broker_members.member", member_id=person.id))


@bp.get("/broker/members/<int:member_id>")
@role_required("broker")
def member(member_id: int) -> ResponseReturnValue:
    return _page(member_in_bank(member_id))


@bp.post("/broker/members/<int:member_id>/checks")
@role_required("broker")
def record_check(member_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    form = CheckForm()
    if form.validate_on_submit():
        checked_on = _date(form, "checked_on", form.checked_on.data or "")
        expires = form.expires_on.data or ""
        expires_on = _date(form, "expires_on", expires) if expires.strip() else None
        if checked_on is not None and not form.expires_on.errors:
            with form_errors(form) as shown:
                safeguarding.record_check(
                    db.session(),
                    person.bank_id,
                    current_user.id,
                    person.id,
                    checked_on,
                    expires_on,
                    form.reference.data or "",
                )
            if not shown.failed:
                return _back(person, f"The check for {person.display_name} is recorded.")
    return _page(person, check_form=form)


@bp.post("/broker/members/<int:member_id>/join-date")
@role_required("broker")
def change_join_date(member_id: int) -> ResponseReturnValue:
    """Set the day a member really joined, for members moved over from paper records."""
    person = member_in_bank(member_id)
    form = JoinDateForm()
    if form.validate_on_submit():
        day = _date(form, "joined_on", form.joined_on.data or "")
        if day is not None:
            old = joined_on(person)
            with form_errors(form) as shown:
                set_join_date(
                    db.session(),
                    person.bank_id,
                    current_user.id,
                    person.id,
                    day,
                    form.reason.data or "",
                )
            if not shown.failed:
                return _back(
                    person,
                    f"{person.display_name} joined on {day:%-d %B %Y}, not {old:%-d %B %Y}. "
                    "The reports count them from that day.",
                )
    return _page(person, join_form=form), 422


@bp.post("/broker/members/<int:member_id>/checks/<int:check_id>/withdraw")
@role_required("broker")
def withdraw_check(member_id: int, check_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    if SwitchForm().validate_on_submit():
        check = safeguarding.checks_of(db.session(), person.bank_id, person.id)
        if check_id not in {each.id for each in check}:
            return _back(person, "There is no such check for this member.", "info")
        with flashed_errors("info") as shown:
            safeguarding.withdraw_check(db.session(), person.bank_id, current_user.id, check_id)
        if not shown.failed:
            return _back(person, "The check is withdrawn. It stays in the history.")
    return redirect(url_for("broker_members.member", member_id=person.id))


def _find_others(person: Member, words: str) -> list[Member]:
    """Return members of the bank a broker may mean by a name or member number."""
    query = sa.select(Member).where(
        Member.bank_id == person.bank_id, Member.id != person.id, Member.erased_at.is_(None)
    )
    if words.isdigit():
        query = query.where(Member.id == int(words))
    else:
        needle = " ".join(words.lower().split())
        query = query.where(sa.func.lower(Member.display_name).contains(needle, autoescape=True))
    return list(db.session().scalars(query.order_by(Member.display_name).limit(MOST_MATCHES + 1)))


def _named_other(person: Member, form: BlockForm) -> Member | str:
    """Return the one other member the block form names, or the page to show instead."""
    if not form.validate_on_submit():
        return _page(person, block_form=form)
    words = (form.other.data or "").strip()
    found = _find_others(person, words)
    if not found:
        show_error(form, "other", f"No other member is called {words}. Try another spelling.")
        return _page(person, block_form=form)
    if len(found) > 1:
        return _page(person, block_form=form, matches=found[:MOST_MATCHES])
    return found[0]


@bp.post("/broker/members/<int:member_id>/blocks")
@role_required("broker")
def add_block(member_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    form = BlockForm()
    other = _named_other(person, form)
    if not isinstance(other, Member):
        return other
    with form_errors(form, "other") as shown:
        safeguarding.block(
            db.session(),
            person.bank_id,
            current_user.id,
            person.id,
            other.id,
            form.reason.data or "",
        )
    if shown.failed:
        return _page(person, block_form=form)
    return _back(person, f"{person.display_name} will not be matched with {other.display_name}.")


@bp.post("/broker/members/<int:member_id>/blocks/<int:block_id>/remove")
@role_required("broker")
def remove_block(member_id: int, block_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    if SwitchForm().validate_on_submit():
        lines = safeguarding.blocks_of(db.session(), person.bank_id, person.id)
        if block_id not in {line.block.id for line in lines}:
            return _back(person, "There is no such block for this member.", "info")
        safeguarding.unblock(db.session(), person.bank_id, current_user.id, block_id)
        return _back(person, "The block is removed. They may be matched again.")
    return redirect(url_for("broker_members.member", member_id=person.id))


@bp.get("/broker/members/<int:member_id>/do-not-contact")
@role_required("broker")
def do_not_contact_question(member_id: int) -> ResponseReturnValue:
    """Ask "Are you sure?" before leaving a member out of outreach; posts to `do_not_contact`."""
    person = member_in_bank(member_id)
    return are_you_sure(
        Question(
            heading=f"Did {person.display_name} ask not to be contacted?",
            what_happens=(
                f"{person.display_name} will be left out of outreach lists and not flagged "
                "again. You can change this later on this page."
            ),
            yes="Yes, they asked not to be contacted",
            action=url_for("broker_members.do_not_contact", member_id=person.id),
            back=url_for("broker_members.member", member_id=person.id),
            carried=(("value", "on"),),
        )
    )


@bp.post("/broker/members/<int:member_id>/blocks/check")
@role_required("broker")
def block_question(member_id: int) -> ResponseReturnValue:
    """Find who is meant, then ask "Are you sure?"; the page's button posts to `add_block`."""
    person = member_in_bank(member_id)
    form = BlockForm()
    other = _named_other(person, form)
    if not isinstance(other, Member):
        return other
    reason = (form.reason.data or "").strip()
    return are_you_sure(
        Question(
            heading=f"Never match {person.display_name} with {other.display_name}?",
            details=(f"Reason: {reason}",) if reason else (),
            what_happens=(
                f"Matching will never put {person.display_name} and {other.display_name} "
                "together, whoever asks. You can remove the block later on this page."
            ),
            yes="Yes, record the block",
            action=url_for("broker_members.add_block", member_id=person.id),
            back=url_for("broker_members.member", member_id=person.id),
            carried=(("other", str(other.id)), ("reason", reason)),
        )
    )


@bp.post("/broker/members/<int:member_id>/do-not-contact")
@role_required("broker")
def do_not_contact(member_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    form = SwitchForm()
    if form.validate_on_submit():
        wanted = form.value.data == "on"
        safeguarding.set_do_not_contact(
            db.session(), person.bank_id, current_user.id, person.id, wanted
        )
        if wanted:
            return _back(person, f"{person.display_name} will not be contacted by outreach.")
        return _back(person, f"{person.display_name} may be contacted by outreach again.")
    return redirect(url_for("broker_members.member", member_id=person.id))
