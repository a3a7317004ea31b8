"""The time bank's skill categories: admins add, rename, reorder, hide and flag them.

Brokers may look at the list (they explain it to members); only admins change it.
Members get 403.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import InputRequired

from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.offers import skills
from timebank.offers.models import SkillCategory
from timebank.web.access import role_required
from timebank.web.errors import form_errors

bp = Blueprint("skills_admin", __name__)


class AddForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Enter a name for the kind of help.")])
    needs_check = BooleanField("Only members with a current safeguarding check may help")


class RenameForm(FlaskForm):
    new_name = StringField(
        "New name", validators=[InputRequired("Enter the new name for the kind of help.")]
    )


class RowForm(FlaskForm):
    """One button on one category's row: the category's current name and what to do."""

    name = HiddenField()
    value = HiddenField()


def _list_page(add_form: AddForm | None = None) -> str:
    return render_template(
        "skills/list.html",
        categories=skills.all_categories(db.session(), current_user.bank_id),
        can_edit=current_user.has_role("admin"),
        form=add_form or AddForm(formdata=None),
    )


@bp.get("/admin/skills")
@role_required("broker")
def categories() -> ResponseReturnValue:
    return _list_page()


@bp.post("/admin/skills")
@role_required("admin")
def add() -> ResponseReturnValue:
    form = AddForm()
    if form.validate_on_submit():
        with form_errors(form, "name") as shown:
            row = skills.add_category(
                db.session(),
                current_user.bank_id,
                current_user.id,
                form.name.data or "",
                bool(form.needs_check.data),
            )
        if not shown.failed:
            flash(f"{row.name} is added to the list.", "success")
            return redirect(url_for("skills_admin.categories"))
    return _list_page(form)


ROW_ACTIONS = ("up", "down", "shown", "check")


def _apply(action: str, name: str, value: str) -> SkillCategory:
    """Call the service behind one row button."""
    args = (db.session(), current_user.bank_id, current_user.id, name)
    if action in ("up", "down"):
        return skills.move_category(*args, up=action == "up")
    if action == "shown":
        return skills.set_category_shown(*args, shown=value == "on")
    return skills.set_category_needs_check(*args, needs_check=value == "on")


def _done(action: str, row: SkillCategory) -> str:
    """Say what a row button did, in words."""
    if action in ("up", "down"):
        return f"{row.name} moved {action}."
    if action == "shown":
        return f"{row.name} is {'shown to members' if row.active else 'hidden from new listings'}."
    return f"{row.name} {'needs a checked helper' if row.needs_check else 'needs no check'}."


@bp.post("/admin/skills/<action>")
@role_required("admin")
def change(action: str) -> ResponseReturnValue:
    form = RowForm()
    if action not in ROW_ACTIONS or not form.validate_on_submit():
        return redirect(url_for("skills_admin.categories"))
    try:
        row = _apply(action, form.name.data or "", form.value.data or "")
    except TimeBankError as error:  # a category changed meanwhile is news, not a 404
        flash(error.message, "info")
    else:
        flash(_done(action, row), "success")
    return redirect(url_for("skills_admin.categories"))


@bp.route("/admin/skills/rename", methods=["GET", "POST"])
@role_required("admin")
def rename() -> ResponseReturnValue:
    name = request.args.get("name", "")
    known = {c.name for c in skills.all_categories(db.session(), current_user.bank_id)}
    if name not in known:
        return redirect(url_for("skills_admin.categories"))
    form = RenameForm(new_name=name) if request.method == "GET" else RenameForm()
    if form.validate_on_submit():
        with form_errors(form, "new_name") as shown:
            row = skills.rename_category(
                db.session(), current_user.bank_id, current_user.id, name, form.new_name.data or ""
            )
        if not shown.failed:
            flash(f"{name} is now called {row.name}.", "success")
            return redirect(url_for("skills_admin.categories"))
    return render_template("skills/rename.html", form=form, name=name)
