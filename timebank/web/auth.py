"""Signing in and out: password, a code by text for a first sign-in or a forgotten password."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_limiter import RouteLimit
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import InputRequired

from timebank.errors import TimeBankError
from timebank.extensions import db, limiter, login_manager
from timebank.members import sign_in_links, signin
from timebank.members.models import Member
from timebank.phones import normalise_mobile
from timebank.tenancy.models import TimeBank
from timebank.web import sessions
from timebank.web.forms import show_error

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Tell Flask-Login how to find the signed-in member and where to send strangers."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_member(member_id: str) -> Member | None:
    return sessions.load_member(member_id)


def _code_policy() -> signin.CodePolicy:
    config = current_app.config
    return signin.CodePolicy(config["SIGN_IN_CODE_MINUTES"], config["SIGN_IN_CODE_ATTEMPTS"])


def _banks() -> list[TimeBank]:
    return list(db.session.scalars(sa.select(TimeBank).order_by(TimeBank.name)))


class BankChoice:
    """A form mixin: which time bank, asked only when this service hosts more than one."""

    bank = SelectField("Your time bank", validators=[InputRequired("Choose your time bank.")])

    def offer_banks(self, banks: list[TimeBank]) -> None:
        self.bank.choices = [(b.slug, b.name) for b in banks]
        if request.method == "GET" and not self.bank.data:
            wanted = request.args.get("bank")
            self.bank.data = wanted if wanted else (banks[0].slug if banks else None)

    def chosen_bank(self, banks: list[TimeBank]) -> TimeBank:
        # The select field only accepts one of its choices, so a bank is always found.
        return next(b for b in banks if b.slug == self.bank.data)


class SignInForm(BankChoice, FlaskForm):
    identifier = StringField(
        "Mobile number or email", validators=[InputRequired("Enter your mobile number or email.")]
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class CodeRequestForm(BankChoice, FlaskForm):
    mobile = StringField("Mobile number", validators=[InputRequired("Enter your mobile number.")])


class CodeForm(FlaskForm):
    code = StringField("Code", validators=[InputRequired("Enter the 6-digit code.")])


class CurrentPassword:
    """A form mixin: the password the member has now (defined first, so it shows first)."""

    current = PasswordField(
        "Your current password", validators=[InputRequired("Enter your current password.")]
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[InputRequired("Enter a new password.")])
    confirmation = PasswordField(
        "Type the new password again", validators=[InputRequired("Type the password again.")]
    )


class ChangePasswordForm(CurrentPassword, NewPasswordForm):
    pass


# When this browser's member last signed in with a code by text (seconds since the epoch).
CODE_SIGN_IN_AT = "code_sign_in_at"
# Set when this browser came from an invitation text, whose code lasts longer.
INVITED_BY_TEXT = "invited_by_text"


def _fresh_code_sign_in() -> bool:
    """Tell whether the member signed in here by text code a few minutes ago."""
    minutes: int = current_app.config["PASSWORD_CHANGE_AFTER_CODE_MINUTES"]
    signed_in_at: float = session.get(CODE_SIGN_IN_AT, 0)
    return time.time() - signed_in_at < minutes * 60


def _safe_next(default: str) -> str:
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def _start_session(member: Member) -> None:
    sessions.start(member)


def _same_identifier(raw: str) -> str:
    """Return a mobile number or email as one spelling, so retyping it counts the same."""
    text = raw.strip().lower()
    if "@" in text:
        return text
    try:
        return normalise_mobile(text)
    except TimeBankError:  # not a mobile number: keep what was typed
        return text


def _address() -> str:
    return request.remote_addr or "unknown"


def _for_account(field: str) -> str:
    """Which account this try is at, in which bank, as the form names them."""
    bank = request.form.get("bank") or ""
    return f"{bank}:{_same_identifier(request.form.get(field) or '')}"


def _address_and_identifier_key() -> str:
    return f"sign-in:{_address()}:{_for_account('identifier')}"


def _identifier_key() -> str:
    return "sign-in-account:" + _for_account("identifier")


def _address_and_mobile_key() -> str:
    return f"code:{_address()}:{_for_account('mobile')}"


def _mobile_key() -> str:
    return "code-mobile:" + _for_account("mobile")


def _member_key() -> str:
    return f"password:{getattr(current_user, 'id', None)}"


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _counts(response: Response) -> bool:
    """Count a failed try, and every code request (each sends a text); never a refusal."""
    if response.status_code == 429:
        return False
    return request.endpoint == "auth.request_code" or response.status_code != 302


def _limit(setting: str, key_func: Callable[[], str]) -> RouteLimit:
    return limiter.limit(
        _setting(setting), methods=["POST"], key_func=key_func, deduct_when=_counts
    )


# Shared by the three sign-in pages: one address, whoever is typing there.
_per_address = limiter.shared_limit(
    _setting("SIGN_IN_ADDRESS_RATE_LIMIT"),
    scope="sign-in-address",
    methods=["POST"],
    key_func=_address,
    deduct_when=_counts,
)


@bp.route("/sign-in", methods=["GET", "POST"])
@_per_address
@_limit("SIGN_IN_RATE_LIMIT", _address_and_identifier_key)
@_limit("SIGN_IN_IDENTIFIER_RATE_LIMIT", _identifier_key)
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.home"))
    banks = _banks()
    form = SignInForm()
    form.offer_banks(banks)
    if form.validate_on_submit():
        bank = form.chosen_bank(banks)
        try:
            member = signin.sign_in_with_password(
                db.session(), bank.id, form.identifier.data, form.password.data
            )
        except TimeBankError as error:  # a refusal to sign in is told on the form, not a 401 page
            show_error(form, None, error)
        else:
            _start_session(member)
            return redirect(_safe_next(url_for("home.home")))
    return render_template("auth/sign_in.html", form=form, many_banks=len(banks) > 1)


@bp.route("/sign-in/code", methods=["GET", "POST"])
@_per_address
@_limit("CODE_REQUEST_RATE_LIMIT", _address_and_mobile_key)
@_limit("CODE_REQUEST_MOBILE_RATE_LIMIT", _mobile_key)
def request_code() -> ResponseReturnValue:
    banks = _banks()
    form = CodeRequestForm()
    form.offer_banks(banks)
    if form.validate_on_submit():
        bank = form.chosen_bank(banks)
        try:
            token = signin.request_sign_in_code(
                db.session(), bank.id, bank.name, form.mobile.data, policy=_code_policy()
            )
        except TimeBankError as error:  # a refusal to sign in is told on the form, not a 401 page
            show_error(form, "mobile", error)
        else:
            session["code_token"] = token
            session.pop(INVITED_BY_TEXT, None)
            return redirect(url_for("auth.enter_code"))
    return render_template("auth/request_code.html", form=form, many_banks=len(banks) > 1)


@bp.route("/sign-in/code/enter", methods=["GET", "POST"])
@_per_address
def enter_code() -> ResponseReturnValue:
    token = session.get("code_token")
    if not token:
        return redirect(url_for("auth.request_code"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            member = signin.sign_in_with_code(
                db.session(), token, form.code.data, policy=_code_policy()
            )
        except TimeBankError as error:  # a refusal to sign in is told on the form, not a 401 page
            show_error(form, "code", error)
        else:
            _start_session(member)
            session[CODE_SIGN_IN_AT] = time.time()
            flash("You are signed in. Now choose a password for next time.", "success")
            return redirect(url_for("auth.new_password"))
    minutes = current_app.config["SIGN_IN_CODE_MINUTES"]
    invited = session.get(INVITED_BY_TEXT, False)
    return render_template("auth/enter_code.html", form=form, minutes=minutes, invited=invited)


@bp.get("/sign-in/code/<token>")
def code_from_text(token: str) -> ResponseReturnValue:
    """Open the code page for the code request an invitation text names."""
    session["code_token"] = token
    session[INVITED_BY_TEXT] = True
    return redirect(url_for("auth.enter_code"))


class LinkForm(FlaskForm):
    pass


@bp.route("/sign-in/link/<key>", methods=["GET", "POST"])
@_per_address
def sign_in_link(key: str) -> ResponseReturnValue:
    """Sign in with a one-time link; only the button's POST uses it, never a link preview."""
    form = LinkForm()
    if form.validate_on_submit():
        try:
            member = sign_in_links.sign_in_with_link(db.session(), key)
        except TimeBankError as error:  # a refusal to sign in is told on the form, not a 401 page
            show_error(form, None, error)
        else:
            _start_session(member)
            session[CODE_SIGN_IN_AT] = time.time()
            flash("You are signed in. Now choose a password for next time.", "success")
            return redirect(url_for("auth.new_password"))
    return render_template("auth/sign_in_link.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@_limit("SIGN_IN_RATE_LIMIT", _member_key)
def new_password() -> ResponseReturnValue:
    by_code = _fresh_code_sign_in()
    if not by_code and current_user.password_hash is None:
        # No password to prove who they are with: a fresh code by text does it.
        return render_template("auth/new_password.html", form=None, needs_code=True)
    form = NewPasswordForm() if by_code else ChangePasswordForm()
    if form.validate_on_submit():
        try:
            current = None if by_code else form.current.data
            signin.change_password(
                db.session(),
                current_user.bank_id,
                current_user.id,
                form.password.data,
                form.confirmation.data,
                current_password=current,
            )
        except signin.CurrentPasswordWrong as error:
            show_error(form, "current", error)
        except TimeBankError as error:  # a refusal to sign in is told on the form, not a 401 page
            show_error(form, "password", error)
        else:
            sessions.end_others(reason="password_changed")
            session.pop(CODE_SIGN_IN_AT, None)  # a code is good for one change
            flash(
                "Your new password is saved. Use it with your mobile number next time.", "success"
            )
            return redirect(url_for("home.home"))
    return render_template("auth/new_password.html", form=form, needs_code=False)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    sessions.end()
    flash("You have signed out.", "success")
    return redirect(url_for("auth.sign_in"))
