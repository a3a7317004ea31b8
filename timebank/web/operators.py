"""The operators' pages under /platform: every time bank at a glance, starting and suspending.

Operators sign in apart from members (their own table, session and cookie key), so a
member's pages never see an operator and an operator's pages answer a member with 403.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired

from timebank.errors import TimeBankError
from timebank.extensions import db, limiter
from timebank.membership.banks import InvitationPlan, StartedBank, invite_admin, start_time_bank
from timebank.operators import access, banks
from timebank.operators.models import Operator
from timebank.phones import format_national
from timebank.tenancy.models import TimeBank
from timebank.web.errors import form_errors
from timebank.web.forms import show_error
from timebank.web.sessions import limits

bp = Blueprint("platform", __name__, url_prefix="/platform")

OPERATOR_KEY = "operator_sid"


def operator_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let only a signed-in operator through: a member gets 403, a stranger the sign-in page."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        found = access.operator_of_session(db.session(), session.get(OPERATOR_KEY), limits())
        if found is None:
            if current_user.is_authenticated:
                abort(403)
            return redirect(url_for("platform.sign_in", next=request.path))
        g.operator = found
        return view(*args, **kwargs)

    return guarded


def _operator() -> Operator:
    operator: Operator = g.operator
    return operator


class SignInForm(FlaskForm):
    email = StringField("Email", validators=[InputRequired("Enter your email.")])
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


def _sign_in_key() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return f"operator-sign-in:{request.remote_addr}:{email}"


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["SIGN_IN_RATE_LIMIT"],
    methods=["POST"],
    key_func=_sign_in_key,
    deduct_when=lambda response: response.status_code != 302,
)
def sign_in() -> ResponseReturnValue:
    form = SignInForm()
    if form.validate_on_submit():
        try:
            session_id = access.sign_in_operator(db.session(), form.email.data, form.password.data)
        except TimeBankError as error:  # a wrong password is told on the form, not a 401 page
            show_error(form, None, error)
        else:
            session.clear()  # whoever was signed in here as a member is signed out
            session[OPERATOR_KEY] = session_id
            return redirect(url_for("platform.banks_page"))
    return render_template("platform/sign_in.html", form=form)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    access.end_operator_session(db.session(), session.pop(OPERATOR_KEY, None))
    session.clear()
    flash("You have signed out.", "success")
    return redirect(url_for("platform.sign_in"))


class ButtonForm(FlaskForm):
    """Only the CSRF token: the button is the choice."""


@bp.get("")
@operator_required
def banks_page() -> ResponseReturnValue:
    rows = banks.banks_at_a_glance(db.session())
    return render_template(
        "platform/banks.html", rows=rows, operator=_operator(), form=ButtonForm()
    )


class NewBankForm(FlaskForm):
    name = StringField("Name of the time bank", validators=[InputRequired("Give it a name.")])
    slug = StringField("Short name", validators=[InputRequired("Give it a short name.")])
    admin_name = StringField(
        "First admin's full name", validators=[InputRequired("Give the admin's name.")]
    )
    admin_mobile = StringField(
        "First admin's mobile number", validators=[InputRequired("Give the admin's mobile.")]
    )
    sms_number = StringField("The number members text (if it has one)")


def _public(endpoint: str, **values: Any) -> str:
    base: str = current_app.config["PUBLIC_BASE_URL"]
    return base.rstrip("/") + url_for(endpoint, **values)


def _plan() -> InvitationPlan:
    return InvitationPlan.from_config(
        current_app.config, lambda token: _public("auth.code_from_text", token=token)
    )


def _invited_page(started: StartedBank, created: bool) -> ResponseReturnValue:
    key = started.invitation.link_key
    admin = started.admin
    return render_template(
        "platform/invited.html",
        started=started,
        created=created,
        mobile=format_national(admin.mobile_e164) if admin.mobile_e164 else "",
        link=_public("auth.sign_in_link", key=key) if key else None,
        hours=current_app.config["INVITATION_HOURS"],
    )


@bp.route("/banks/new", methods=["GET", "POST"])
@operator_required
def new_bank() -> ResponseReturnValue:
    form = NewBankForm()
    if form.validate_on_submit():
        with form_errors(form) as shown:
            started = start_time_bank(
                db.session(),
                form.name.data,
                (form.slug.data or "").strip(),
                form.admin_name.data,
                form.admin_mobile.data,
                _plan(),
                f"operator {_operator().name} ({_operator().email})",
                sms_number=(form.sms_number.data or "").strip() or None,
            )
        if not shown.failed:
            return _invited_page(started, created=True)
    return render_template("platform/new_bank.html", form=form)


def _bank(bank_id: int) -> TimeBank:
    bank = db.session.get(TimeBank, bank_id)
    if bank is None:
        abort(404)
    return bank


@bp.post("/banks/<int:bank_id>/invite")
@operator_required
def invite(bank_id: int) -> ResponseReturnValue:
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    by = f"operator {_operator().name} ({_operator().email})"
    try:
        started = invite_admin(db.session(), _bank(bank_id).slug, _plan(), by)
    except TimeBankError as error:  # a bank or admin gone meanwhile: back to the list, told why
        flash(error.message, "error")
        return redirect(url_for("platform.banks_page"))
    return _invited_page(started, created=False)


class SuspendForm(FlaskForm):
    reason = StringField(
        "Why (for the time bank's audit trail)", validators=[InputRequired("Say why.")]
    )


@bp.route("/banks/<int:bank_id>/suspend", methods=["GET", "POST"])
@operator_required
def suspend(bank_id: int) -> ResponseReturnValue:
    bank = _bank(bank_id)
    form = SuspendForm()
    if form.validate_on_submit():
        with form_errors(form, "reason") as shown:
            banks.suspend_bank(db.session(), _operator(), bank.id, form.reason.data)
        if not shown.failed:
            flash(f"{bank.name} is suspended. Its members were signed out.", "success")
            return redirect(url_for("platform.banks_page"))
    return render_template("platform/suspend.html", form=form, bank=bank)


@bp.post("/banks/<int:bank_id>/resume")
@operator_required
def resume(bank_id: int) -> ResponseReturnValue:
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    bank = _bank(bank_id)
    try:
        banks.lift_suspension(db.session(), _operator(), bank.id)
    except TimeBankError as error:  # told on the list of banks, whatever went wrong
        flash(error.message, "error")
    else:
        flash(f"{bank.name} is open again.", "success")
    return redirect(url_for("platform.banks_page"))
