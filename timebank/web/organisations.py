"""Admins' page of organisation accounts: GP practices' and community groups' own hours."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice

from timebank.extensions import db
from timebank.membership.organisations import (
    OPEN_KINDS,
    open_organisation_account,
    organisation_accounts,
)
from timebank.web.access import role_required
from timebank.web.errors import form_errors

bp = Blueprint("organisations", __name__)


class OrganisationForm(FlaskForm):
    name = StringField("Name of the organisation")
    kind = RadioField(
        "What it is",
        choices=[SelectChoice(kind, words) for kind, words in OPEN_KINDS.items()],
        default="gp_practice",
    )


@bp.route("/admin/organisations", methods=["GET", "POST"])
@role_required("admin")
def accounts() -> ResponseReturnValue:
    form = OrganisationForm()
    if form.validate_on_submit():
        with form_errors(form) as shown:
            opened = open_organisation_account(
                db.session(),
                current_user.bank_id,
                current_user.id,
                form.name.data or "",
                form.kind.data or "",
            )
        if not shown.failed:
            flash(f"{opened.name} has its own hour account.", "success")
            return redirect(url_for("organisations.accounts"))
    found = organisation_accounts(db.session(), current_user.bank_id)
    status = 400 if form.is_submitted() else 200
    page = render_template("admin/organisations.html", form=form, accounts=found, kinds=OPEN_KINDS)
    return page, status
