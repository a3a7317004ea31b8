"""API token pages: members make, see and revoke their own tokens; admins make practices'.

A new token is shown once, on the page that answers the form (never stored in the session
or put in a redirect), with a warning to copy it now: only its digest is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Length

from timebank.errors import NotAllowed, TimeBankError
from timebank.extensions import db
from timebank.members.models import ApiToken, roles_up_to
from timebank.membership.tokens import create_token, revoke_token, tokens_of
from timebank.referrals.partners import partner_in_bank
from timebank.web.access import role_required
from timebank.web.errors import form_errors
from timebank.web.forms import show_error

bp = Blueprint("api_tokens", __name__)

ROLE_CHOICES = {
    "member": "Member: act as you",
    "broker": "Broker: also broker pages' work",
    "admin": "Admin: everything you can do",
}


class TokenForm(FlaskForm):
    name = StringField(
        "Name of the token",
        validators=[
            InputRequired("Give the token a name."),
            Length(max=80, message="Use at most 80 characters."),
        ],
    )
    role = SelectField("What it may do", choices=[])

    def offer_roles_up_to(self, role: str) -> None:
        """Offer the member's own role and those below it, highest first; member is chosen."""
        allowed = roles_up_to(role)
        self.role.choices = [(name, ROLE_CHOICES[name]) for name in reversed(allowed)]
        if not self.role.data:
            self.role.data = "member"  # the least a token can do, unless they choose more


class PracticeTokenForm(FlaskForm):
    name = StringField(
        "Name of the token",
        validators=[
            InputRequired("Give the token a name."),
            Length(max=80, message="Use at most 80 characters."),
        ],
    )


class ActionForm(FlaskForm):
    """Only the CSRF token: the button is the action."""


def _own_tokens_page(form: TokenForm) -> str:
    tokens = tokens_of(db.session(), current_user.bank_id, current_user.id)
    return render_template(
        "api_tokens/tokens.html", form=form, tokens=tokens, revoke_form=ActionForm()
    )


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    form = TokenForm()
    form.offer_roles_up_to(current_user.role)
    if form.validate_on_submit():
        try:
            row, token = create_token(
                db.session(),
                current_user.bank_id,
                current_user.id,
                form.name.data or "",
                role=form.role.data,
            )
        except TimeBankError as error:  # a role the member may not give is told beside the role
            show_error(form, "role" if isinstance(error, NotAllowed) else "name", error)
        else:
            back = url_for("api_tokens.tokens")
            return render_template("api_tokens/created.html", row=row, token=token, back=back)
    return _own_tokens_page(form)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    row = revoke_token(db.session(), current_user.bank_id, current_user.id, token_id)
    flash(f"The token '{row.name}' no longer works.", "success")
    return redirect(url_for("api_tokens.tokens"))


# --- Admins: a GP practice's tokens ---------------------------------------------------------


def _partner_tokens(bank_id: int, partner_id: int) -> list[ApiToken]:
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.bank_id == bank_id, ApiToken.partner_id == partner_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


@bp.route("/admin/partners/<int:partner_id>/tokens", methods=["GET", "POST"])
@role_required("admin")
def partner_tokens(partner_id: int) -> ResponseReturnValue:
    session = db.session()
    partner = partner_in_bank(session, current_user.bank_id, partner_id)
    form = PracticeTokenForm()
    if form.validate_on_submit():
        with form_errors(form, "name") as shown:
            row, token = create_token(
                session,
                partner.bank_id,
                current_user.id,
                form.name.data or "",
                partner_id=partner.id,
            )
        if not shown.failed:
            back = url_for("api_tokens.partner_tokens", partner_id=partner.id)
            return render_template(
                "api_tokens/created.html", row=row, token=token, back=back, partner=partner
            )
    return render_template(
        "api_tokens/partner_tokens.html",
        partner=partner,
        form=form,
        tokens=_partner_tokens(partner.bank_id, partner.id),
        revoke_form=ActionForm(),
    )


@bp.post("/admin/partners/<int:partner_id>/tokens/<int:token_id>/revoke")
@role_required("admin")
def revoke_partner_token(partner_id: int, token_id: int) -> ResponseReturnValue:
    if not ActionForm().validate_on_submit():
        abort(400)
    session = db.session()
    partner = partner_in_bank(session, current_user.bank_id, partner_id)
    if token_id not in {row.id for row in _partner_tokens(partner.bank_id, partner.id)}:
        abort(404)
    row = revoke_token(session, partner.bank_id, current_user.id, token_id, by_admin=True)
    flash(f"The token '{row.name}' no longer works.", "success")
    return redirect(url_for("api_tokens.partner_tokens", partner_id=partner.id))
