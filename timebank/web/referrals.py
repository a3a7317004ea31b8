"""Referral pages: the brokers' referral queue and each referral, and admins' partners."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.phones import format_national
from timebank.referrals import partners, services
from timebank.referrals.grammar import reference
from timebank.referrals.models import REFERRAL_STATUSES
from timebank.web.access import role_required
from timebank.web.errors import flashed_errors, form_errors

bp = Blueprint("referrals", __name__)

STATUS_NAMES = {
    "received": "Received",
    "invited": "Asked, waiting for their answer",
    "consented": "Said yes: to contact",
    "declined": "Said no",
    "no_reply": "No answer",
    "contacted": "Contacted",
    "joined": "Joined",
    "first_exchange": "Made a first exchange",
    "closed": "Closed",
}


class ActionForm(FlaskForm):
    """Only the CSRF token: the button is the action."""


class CloseForm(FlaskForm):
    outcome = TextAreaField(
        "How did it end?", validators=[InputRequired("Say in a few words how it ended.")]
    )


class PartnerForm(FlaskForm):
    name = StringField("Name of the practice", validators=[InputRequired("Enter the name.")])
    organisation = SelectField("Its GP practice account (optional)", validators=[Optional()])


class NumberForm(FlaskForm):
    mobile = StringField(
        "Mobile number they text from", validators=[InputRequired("Enter a mobile number.")]
    )


def _page_values() -> dict[str, object]:
    return {"names": STATUS_NAMES, "reference": reference, "national": format_national}


# --- Brokers: the referral queue ----------------------------------------------------------


@bp.get("/broker/referrals")
@role_required("broker")
def queue() -> ResponseReturnValue:
    status = request.args.get("status") or None
    if status is not None and status not in REFERRAL_STATUSES:
        status = None
    rows = services.referral_queue(db.session(), current_user.bank_id, status)
    return render_template("referrals/queue.html", rows=rows, status=status, **_page_values())


@bp.get("/broker/referrals/<int:referral_id>")
@role_required("broker")
def referral(referral_id: int) -> ResponseReturnValue:
    session = db.session()
    found = services.referral_in_bank(session, current_user.bank_id, referral_id)
    partner = (
        partners.partner_in_bank(session, found.bank_id, found.partner_id)
        if found.partner_id is not None
        else None
    )
    member = None
    if found.member_id is None:
        member = services.member_with_mobile(session, found.bank_id, found.patient_e164)
    return render_template(
        "referrals/referral.html",
        referral=found,
        partner=partner,
        same_mobile=member,
        steps=services.referral_history(session, found.bank_id, found.id),
        form=ActionForm(),
        **_page_values(),
    )


def _act(
    referral_id: int, action: Callable[..., object], done: str, *args: int
) -> ResponseReturnValue:
    """Run one broker action from a button, then show the referral with what happened."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    with flashed_errors() as shown:
        action(db.session(), current_user.bank_id, referral_id, *args, current_user.id)
    if not shown.failed:
        flash(done, "success")
    return redirect(url_for("referrals.referral", referral_id=referral_id))


@bp.post("/broker/referrals/<int:referral_id>/contacted")
@role_required("broker")
def contacted(referral_id: int) -> ResponseReturnValue:
    return _act(referral_id, services.mark_contacted, "Marked as contacted.")


@bp.post("/broker/referrals/<int:referral_id>/link")
@role_required("broker")
def link(referral_id: int) -> ResponseReturnValue:
    member_id = request.form.get("member_id", type=int)
    if member_id is None:
        abort(400)
    done = "Linked to the member. We have texted the practice that they joined."
    return _act(referral_id, services.link_member, done, member_id)


@bp.route("/broker/referrals/<int:referral_id>/close", methods=["GET", "POST"])
@role_required("broker")
def close(referral_id: int) -> ResponseReturnValue:
    found = services.referral_in_bank(db.session(), current_user.bank_id, referral_id)
    form = CloseForm()
    if form.validate_on_submit():
        with form_errors(form) as shown:
            services.close_referral(
                db.session(), found.bank_id, found.id, current_user.id, form.outcome.data or ""
            )
        if not shown.failed:
            flash(f"Referral {reference(found.id)} is closed.", "success")
            return redirect(url_for("referrals.queue"))
    return render_template("referrals/close.html", referral=found, form=form, **_page_values())


# --- Admins: referral partners ------------------------------------------------------------


@bp.get("/admin/partners")
@role_required("admin")
def partner_list() -> ResponseReturnValue:
    found = partners.list_partners(db.session(), current_user.bank_id)
    return render_template("referrals/partners.html", partners=found)


@bp.route("/admin/partners/new", methods=["GET", "POST"])
@role_required("admin")
def new_partner() -> ResponseReturnValue:
    form = PartnerForm()
    practices = partners.gp_practices(db.session(), current_user.bank_id)
    form.organisation.choices = [("", "None")] + [(str(org.id), org.name) for org in practices]
    if form.validate_on_submit():
        org_id = int(form.organisation.data) if form.organisation.data else None
        with form_errors(form) as shown:
            partner = partners.add_partner(
                db.session(), current_user.bank_id, current_user.id, form.name.data or "", org_id
            )
        if not shown.failed:
            flash(
                f"{partner.name} is a referral partner. Add the numbers they text from.", "success"
            )
            return redirect(url_for("referrals.partner", partner_id=partner.id))
    return render_template("referrals/partner_new.html", form=form)


@bp.route("/admin/partners/<int:partner_id>", methods=["GET", "POST"])
@role_required("admin")
def partner(partner_id: int) -> ResponseReturnValue:
    session = db.session()
    found = partners.partner_in_bank(session, current_user.bank_id, partner_id)
    form = NumberForm()
    if form.validate_on_submit():
        with form_errors(form, "mobile") as shown:
            partners.add_partner_number(
                session, found.bank_id, current_user.id, found.id, form.mobile.data or ""
            )
        if not shown.failed:
            flash("Number added. Texts from it now count as this practice's.", "success")
            return redirect(url_for("referrals.partner", partner_id=found.id))
    return render_template(
        "referrals/partner.html",
        partner=found,
        numbers=partners.partner_numbers(session, found.bank_id, found.id),
        form=form,
        remove_form=ActionForm(),
        national=format_national,
        account_form=_account_form(found.organisation_id),
    )


class AccountForm(FlaskForm):
    organisation = SelectField("Its GP practice's hour account", validators=[Optional()])


def _account_form(organisation_id: int | None) -> AccountForm:
    form = AccountForm(organisation=str(organisation_id or ""))
    practices = partners.gp_practices(db.session(), current_user.bank_id)
    form.organisation.choices = [("", "None")] + [(str(org.id), org.name) for org in practices]
    return form


@bp.post("/admin/partners/<int:partner_id>/account")
@role_required("admin")
def link_account(partner_id: int) -> ResponseReturnValue:
    partners.partner_in_bank(db.session(), current_user.bank_id, partner_id)  # else 404
    form = _account_form(None)
    if not form.validate_on_submit():
        abort(400)
    org_id = int(form.organisation.data) if form.organisation.data else None
    with flashed_errors() as shown:
        found = partners.link_partner_account(
            db.session(), current_user.bank_id, current_user.id, partner_id, org_id
        )
    if not shown.failed:
        word = "is linked to its hour account" if org_id else "has no hour account linked"
        flash(f"{found.name} {word}.", "success")
    return redirect(url_for("referrals.partner", partner_id=partner_id))


@bp.post("/admin/partners/<int:partner_id>/numbers/<int:number_id>/remove")
@role_required("admin")
def remove_number(partner_id: int, number_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    e164 = partners.remove_partner_number(
        db.session(), current_user.bank_id, current_user.id, partner_id, number_id
    )
    flash(f"{format_national(e164)} no longer sends referrals.", "success")
    return redirect(url_for("referrals.partner", partner_id=partner_id))


@bp.post("/admin/partners/<int:partner_id>/active")
@role_required("admin")
def set_active(partner_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "yes"
    found = partners.set_partner_active(
        db.session(), current_user.bank_id, current_user.id, partner_id, active
    )
    word = "takes referrals again" if active else "is paused: its texts get no referrals"
    flash(f"{found.name} {word}.", "success")
    return redirect(url_for("referrals.partner", partner_id=partner_id))


# --- The broker's sign-up page, started from a referral ------------------------------------


def prefill_sign_up(form: FlaskForm, referral_id: int) -> str:
    """Fill the sign-up form's name and mobile from a referral; return its reference."""
    found = services.referral_in_bank(db.session(), current_user.bank_id, referral_id)
    if not form.is_submitted():
        form.name.data = form.name.data or found.first_name
        form.mobile.data = form.mobile.data or format_national(found.patient_e164)
    return reference(found.id)


def link_signed_up(referral_id: int, member_id: int) -> None:
    """Link the member just signed up to the referral they came from (marks it joined)."""
    try:
        services.link_member(
            db.session(), current_user.bank_id, referral_id, member_id, current_user.id
        )
    except TimeBankError as error:  # the sign-up stands; only the link to the referral failed
        flash(f"They are signed up, but the referral was not linked: {error.message}", "error")
