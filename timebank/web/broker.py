"""Broker pages: the dashboard, the member list and the sign-up meeting."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from timebank.extensions import db
from timebank.membership.signup import SignUp, sign_up_member
from timebank.phones import format_national
from timebank.web.access import member_in_bank, role_required
from timebank.web.errors import form_errors
from timebank.web.member_search import search_members
from timebank.web.referrals import link_signed_up, prefill_sign_up

bp = Blueprint("broker", __name__)


class SignUpForm(FlaskForm):
    name = StringField("Their name", validators=[InputRequired("Enter the new member's name.")])
    mobile = StringField("Their mobile number (optional)", validators=[Optional()])
    area = StringField("Their area (optional)")
    skills = TextAreaField("What they can offer (optional)")
    help_wanted = TextAreaField("What they would like help with (optional)")
    consent = BooleanField("They agree to the time bank keeping these details")
    outcome_questions = BooleanField(
        "They agree to answer two short questions about how they feel, now and every six months"
    )

    def details(self) -> SignUp:
        return SignUp(
            name=self.name.data or "",
            mobile=self.mobile.data or "",
            area=self.area.data or "",
            skills=self.skills.data or "",
            help_wanted=self.help_wanted.data or "",
            consent=bool(self.consent.data),
            outcome_questions=bool(self.outcome_questions.data),
        )


@bp.get("/broker")
@role_required("broker")
def dashboard() -> ResponseReturnValue:
    return render_template("broker/dashboard.html")


@bp.get("/broker/members")
@role_required("broker")
def members() -> ResponseReturnValue:
    page, words = search_members()
    return render_template("broker/members.html", page=page, words=words, national=format_national)


@bp.route("/broker/sign-up", methods=["GET", "POST"])
@role_required("broker")
def sign_up() -> ResponseReturnValue:
    form = SignUpForm()
    referral_id = request.args.get("referral", type=int)
    from_referral = prefill_sign_up(form, referral_id) if referral_id is not None else None
    if form.validate_on_submit():
        sign_in_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + url_for(
            "auth.request_code"
        )
        with form_errors(form) as shown:
            member = sign_up_member(
                db.session(), current_user.bank_id, current_user.id, form.details(), sign_in_url
            )
        if not shown.failed:
            if referral_id is not None:
                link_signed_up(referral_id, member.id)
            return redirect(url_for("broker.signed_up", member_id=member.id))
    return render_template("broker/sign_up.html", form=form, from_referral=from_referral)


@bp.get("/broker/sign-up/<int:member_id>/done")
@role_required("broker")
def signed_up(member_id: int) -> ResponseReturnValue:
    member = member_in_bank(member_id)
    mobile = format_national(member.mobile_e164) if member.mobile_e164 else None
    return render_template("broker/signed_up.html", member=member, mobile=mobile)
