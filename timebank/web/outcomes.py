"""The member's page for the two outcome questions: agree or say no, then answer in seconds."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice

from timebank.clock import utcnow
from timebank.extensions import db
from timebank.outcomes import questions
from timebank.outcomes.answers import answer_on_web, web_state
from timebank.outcomes.consent import agree, refuse
from timebank.web.errors import form_errors

bp = Blueprint("outcomes", __name__)


class ChoiceForm(FlaskForm):
    """Only the CSRF token: the button is the whole form."""


def _number(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


class AnswersForm(FlaskForm):
    lonely = RadioField(
        "How often do you feel lonely?",
        choices=[SelectChoice(str(value), words) for value, words in questions.LONELY_CHOICES],
        validate_choice=False,
    )
    satisfied = RadioField(
        "Overall, how satisfied are you with your life nowadays?",
        choices=[SelectChoice(str(value), str(value)) for value in range(0, 11)],
        validate_choice=False,
    )


def _page(form: AnswersForm | None = None) -> str:
    state = web_state(db.session(), current_user, utcnow())
    return render_template(
        "outcomes/questions.html", state=state, form=form or AnswersForm(), choice=ChoiceForm()
    )


@bp.get("/how-you-feel")
@login_required
def page() -> ResponseReturnValue:
    return _page()


@bp.post("/how-you-feel")
@login_required
def answer() -> ResponseReturnValue:
    form = AnswersForm()
    if not form.validate_on_submit():
        return redirect(url_for("outcomes.page"))
    with form_errors(form) as shown:
        answer_on_web(
            db.session(),
            current_user.bank_id,
            current_user.id,
            _number(form.lonely.data),
            _number(form.satisfied.data),
        )
    if shown.failed:
        return _page(form), 422
    flash("Thank you. Your answers are saved. We will ask again in six months.", "success")
    return redirect(url_for("outcomes.page"))


@bp.post("/how-you-feel/agree")
@login_required
def agree_page() -> ResponseReturnValue:
    if ChoiceForm().validate_on_submit():
        agree(db.session(), current_user.bank_id, current_user.id, "web")
    return redirect(url_for("outcomes.page"))


@bp.post("/how-you-feel/no")
@login_required
def refuse_page() -> ResponseReturnValue:
    if ChoiceForm().validate_on_submit():
        refuse(db.session(), current_user.bank_id, current_user.id)
        flash("We will not ask you these questions again.", "success")
    return redirect(url_for("outcomes.page"))
