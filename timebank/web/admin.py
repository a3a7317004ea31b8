"""Admin pages: members, their status and role, erasing the details of members who left, and
the value of an hour of help that reports use."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice

from timebank.extensions import db
from timebank.members.models import MEMBER_STATUSES, ROLES, Member
from timebank.membership.banks import set_hourly_value
from timebank.membership.privacy import erase_member
from timebank.membership.services import set_member_role, set_member_status
from timebank.phones import format_national
from timebank.tenancy.services import pounds_in_words
from timebank.web.access import current_bank, member_in_bank, role_required
from timebank.web.errors import form_errors
from timebank.web.member_search import search_members
from timebank.web.sessions import last_sign_in_words

bp = Blueprint("admin", __name__)

STATUS_NAMES = {
    "applicant": "Applicant (not signed up yet)",
    "active": "Active",
    "suspended": "Suspended",
    "left": "Left the time bank",
}


class StatusForm(FlaskForm):
    status = RadioField(
        "Status",
        choices=[SelectChoice(status, STATUS_NAMES[status]) for status in MEMBER_STATUSES],
    )


ROLE_NAMES = {
    "member": "Member",
    "broker": "Broker (signs people up, matches and follows up)",
    "admin": "Admin (also settings, statuses and roles)",
}


class RoleForm(FlaskForm):
    role = RadioField("Role", choices=[SelectChoice(role, ROLE_NAMES[role]) for role in ROLES])


class EraseForm(FlaskForm):
    """Only the CSRF token: the confirmation page is the check."""


@bp.get("/admin/members")
@role_required("admin")
def members() -> ResponseReturnValue:
    page, words = search_members()
    return render_template("admin/members.html", page=page, words=words, names=STATUS_NAMES)


@bp.route("/admin/members/<int:member_id>", methods=["GET", "POST"])
@role_required("admin")
def member(member_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    form = StatusForm(status=person.status)
    if person.erased_at is None and form.validate_on_submit():
        with form_errors(form, "status") as shown:
            set_member_status(db.session(), person.bank_id, person.id, form.status.data)
        if not shown.failed:
            flash(f"{person.display_name} is now: {STATUS_NAMES[person.status]}.", "success")
            return redirect(url_for("admin.member", member_id=person.id))
    return _member_page(person, form, RoleForm(formdata=None, role=person.role))


def _member_page(person: Member, form: StatusForm, role_form: RoleForm) -> str:
    return render_template(
        "admin/member.html",
        person=person,
        form=form,
        role_form=role_form,
        mobile=format_national(person.mobile_e164) if person.mobile_e164 else None,
        last_sign_in=last_sign_in_words(person, current_bank().timezone),
    )


@bp.post("/admin/members/<int:member_id>/role")
@role_required("admin")
def role(member_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    form = RoleForm()
    if person.erased_at is None and form.validate_on_submit():
        with form_errors(form, "role") as shown:
            set_member_role(db.session(), person.bank_id, person.id, form.role.data)
        if not shown.failed:
            flash(
                f"{person.display_name} is now: {ROLE_NAMES[person.role]}. If they were signed"
                " in, they need to sign in again.",
                "success",
            )
            return redirect(url_for("admin.member", member_id=person.id))
    return _member_page(person, StatusForm(formdata=None, status=person.status), form)


@bp.route("/admin/members/<int:member_id>/erase", methods=["GET", "POST"])
@role_required("admin")
def erase(member_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    form = EraseForm()
    if form.validate_on_submit():
        name = person.display_name
        with form_errors(form) as shown:
            erased = erase_member(db.session(), person.bank_id, person.id)
        if not shown.failed:
            flash(f"{name}'s details are erased. They are now {erased.display_name}.", "success")
            return redirect(url_for("admin.member", member_id=erased.id))
    return render_template("admin/erase.html", person=person, form=form)


class HourlyValueForm(FlaskForm):
    pounds = StringField("Value of one hour of help, in pounds")
    source = StringField("Where this figure comes from")


@bp.route("/admin/hourly-value", methods=["GET", "POST"])
@role_required("admin")
def hourly_value() -> ResponseReturnValue:
    bank = current_bank()
    form = HourlyValueForm(
        pounds=pounds_in_words(bank.hourly_value_pence).removeprefix("£"),
        source=bank.hourly_value_source,
    )
    if form.validate_on_submit():
        with form_errors(form) as shown:
            saved = set_hourly_value(
                db.session(),
                bank.id,
                current_user.id,
                form.pounds.data or "",
                form.source.data or "",
            )
        if not shown.failed:
            value = pounds_in_words(saved.hourly_value_pence)
            flash(f"An hour of help is now valued at {value}.", "success")
            return redirect(url_for("admin.hourly_value"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/hourly_value.html", form=form), status
