"""Your profile: see and change your details, what others see of you, and your data."""

from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired

from timebank.clock import utcnow
from timebank.extensions import db
from timebank.members.mobile_change import confirm_mobile_change, pending_mobile_change
from timebank.members.profile import ProfileChanges, changes_from, public_profile, update_profile
from timebank.membership import privacy
from timebank.offers.queries import open_listings_of
from timebank.phones import format_national
from timebank.web import sessions
from timebank.web.access import current_bank, member_in_bank
from timebank.web.errors import form_errors

bp = Blueprint("profile", __name__)


class ProfileForm(FlaskForm):
    display_name = StringField("Your name", validators=[InputRequired("Enter your name.")])
    mobile = StringField("Mobile number")
    email = StringField("Email address (optional)")
    area = StringField("Your area (optional)")
    skills = TextAreaField("What you can help with (optional)")
    help_wanted = TextAreaField("What you would like help with (optional)")
    availability = StringField("When you are free (optional)")
    sms_notifications = BooleanField("Send me texts about my exchanges and offers")
    show_mobile = BooleanField("Show my mobile number to other members")
    show_area = BooleanField("Show my area to other members")

    def changes(self) -> ProfileChanges:
        return ProfileChanges(
            display_name=self.display_name.data or "",
            mobile=self.mobile.data or "",
            email=self.email.data or "",
            area=self.area.data or "",
            skills=self.skills.data or "",
            help_wanted=self.help_wanted.data or "",
            availability=self.availability.data or "",
            sms_notifications=bool(self.sms_notifications.data),
            show_mobile=bool(self.show_mobile.data),
            show_area=bool(self.show_area.data),
        )


class SignOutOthersForm(FlaskForm):
    """Only the CSRF token: the button is the whole form."""


class MobileCodeForm(FlaskForm):
    code = StringField(
        "The 6-digit code", validators=[InputRequired("Enter the 6-digit code from the text.")]
    )


def _waiting_mobile() -> str | None:
    change = pending_mobile_change(db.session(), current_user.bank_id, current_user.id, utcnow())
    return format_national(change.new_e164) if change is not None else None


@bp.get("/profile")
@login_required
def profile() -> ResponseReturnValue:
    member = current_user
    mobile = format_national(member.mobile_e164) if member.mobile_e164 else None
    return render_template(
        "profile/profile.html",
        member=member,
        mobile=mobile,
        waiting=_waiting_mobile(),
        other_devices=sessions.other_devices(),
        sign_out_form=SignOutOthersForm(),
    )


@bp.post("/profile/sign-out-others")
@login_required
def sign_out_others() -> ResponseReturnValue:
    if SignOutOthersForm().validate_on_submit():
        ended = sessions.end_others()
        if ended:
            devices = "1 other device" if ended == 1 else f"{ended} other devices"
            flash(f"You are signed out of {devices}. You are still signed in here.", "success")
        else:
            flash("You were not signed in anywhere else. You are still signed in here.", "success")
    return redirect(url_for("profile.profile"))


@bp.route("/profile/edit", methods=["GET", "POST"])
@login_required
def edit() -> ResponseReturnValue:
    form = ProfileForm(data=changes_from(current_user).__dict__)
    if form.validate_on_submit():
        with form_errors(form) as shown:
            saved = update_profile(
                db.session(), current_user.bank_id, current_user.id, form.changes()
            )
        if not shown.failed:
            if saved.mobile_waiting:
                flash(
                    f"Your profile is saved. We have texted a code to {saved.mobile_waiting}:"
                    " type it below to start using that number.",
                    "success",
                )
                return redirect(url_for("profile.confirm_mobile"))
            flash("Your profile is saved.", "success")
            return redirect(url_for("profile.profile"))
    return render_template("profile/edit.html", form=form)


@bp.route("/profile/mobile", methods=["GET", "POST"])
@login_required
def confirm_mobile() -> ResponseReturnValue:
    waiting = _waiting_mobile()
    if waiting is None:
        flash("There is no new mobile number waiting for a code.", "info")
        return redirect(url_for("profile.profile"))
    form = MobileCodeForm()
    if form.validate_on_submit():
        with form_errors(form, "code") as shown:
            confirm_mobile_change(
                db.session(), current_user.bank_id, current_user.id, form.code.data or ""
            )
        if not shown.failed:
            flash(f"Your mobile number is now {waiting}.", "success")
            return redirect(url_for("profile.profile"))
    return render_template("profile/mobile.html", form=form, waiting=waiting)


@bp.get("/members/<int:member_id>")
@login_required
def member(member_id: int) -> ResponseReturnValue:
    person = member_in_bank(member_id)
    listings = [] if person.erased_at else open_listings_of(db.session(), person.bank_id, person.id)
    return render_template(
        "profile/member.html",
        person=public_profile(person),
        is_me=person.id == current_user.id,
        listings=listings,
    )


@bp.get("/profile/my-data")
@login_required
def my_data() -> ResponseReturnValue:
    return render_template("profile/my_data.html")


def _file_stem() -> str:
    name = re.sub(r"[^a-z0-9]+", "-", current_user.display_name.lower()).strip("-") or "member"
    return f"my-data-{name}-{utcnow():%Y-%m-%d}"


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/profile/my-data/my-data.txt")
@login_required
def my_data_text() -> ResponseReturnValue:
    sections = privacy.member_data(db.session(), current_user.bank_id, current_user.id)
    text = privacy.as_text(sections, current_bank().name, utcnow())
    return _download(text, "text/plain; charset=utf-8", f"{_file_stem()}.txt")


@bp.get("/profile/my-data/my-data.zip")
@login_required
def my_data_csv() -> ResponseReturnValue:
    sections = privacy.member_data(db.session(), current_user.bank_id, current_user.id)
    return _download(privacy.as_csv_zip(sections), "application/zip", f"{_file_stem()}.zip")
