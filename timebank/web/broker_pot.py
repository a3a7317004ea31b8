"""The community pot page for brokers: what it holds, recent movements, give and grant.

Brokers and admins only (members get 403); the member is named by their member number and
must belong to the broker's own time bank. Each form carries the id its write will use, so
pressing the button twice records it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from timebank.errors import NotFound, TimeBankError
from timebank.extensions import db
from timebank.ledger.models import Account, Transfer
from timebank.ledger.pot import (
    POT_REASON_LIMIT,
    PotDonation,
    PotGrant,
    donate_to_pot,
    grant_from_pot,
    pot_balance,
)
from timebank.ledger.rules import check_minutes
from timebank.members.models import Member
from timebank.minutes import format_duration
from timebank.web.access import current_bank, role_required
from timebank.web.exchange_forms import parse_uuid
from timebank.web.forms import show_error

bp = Blueprint("broker_pot", __name__)

RECENT = 10


class _PotForm(FlaskForm):
    transfer_id = HiddenField()
    member = StringField("Member number", validators=[InputRequired("Enter the member's number.")])
    hours = StringField("Hours")
    mins = StringField("Minutes")

    def chosen_minutes(self) -> int | None:
        """Return the hours and minutes typed as minutes, or None after noting the error."""
        hours, mins = (_number(f.data) for f in (self.hours, self.mins))
        if hours is False or mins is False or (hours is None and mins is None):
            show_error(self, "hours", "Enter the hours and minutes as numbers, such as 2 and 30.")
            return None
        if mins is not None and mins > 59:
            show_error(self, "mins", "Minutes must be a number from 0 to 59.")
            return None
        try:
            return check_minutes((hours or 0) * 60 + (mins or 0))
        except TimeBankError as error:  # checked while the form is read, beside the hours
            show_error(self, "hours", error)
            return None

    def chosen_member(self) -> Member | None:
        """Return the member of this bank with the number typed, or None after the error."""
        text = (self.member.data or "").strip()
        found = db.session.get(Member, int(text)) if text.isdigit() and len(text) < 10 else None
        if found is None or found.bank_id != current_user.bank_id:
            show_error(self, "member", f"There is no member number {text} in this time bank.")
            return None
        return found


class DonationForm(_PotForm):
    note = StringField(
        "Note (optional)",
        validators=[Length(max=POT_REASON_LIMIT, message="Keep the note to 500 characters.")],
    )


class GrantForm(_PotForm):
    reason = StringField(
        "Why the pot gives these hours",
        validators=[
            InputRequired("Say why the pot gives these hours, for the records."),
            Length(max=POT_REASON_LIMIT, message="Keep the reason to 500 characters."),
        ],
    )


def _number(text: str | None) -> int | None | bool:
    """Return digits as a number, None for nothing, False for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) <= 6 else False


def _fresh(form_class: type[_PotForm]) -> _PotForm:
    form = form_class(formdata=None)
    form.transfer_id.data = str(uuid.uuid4())
    form.member.data = request.args.get("member", "")
    return form


def _page(**forms: Any) -> str:
    session = db.session()
    bank_id = current_user.bank_id
    pot = pot_balance(session, bank_id)
    return render_template(
        "broker_pot/pot.html",
        pot=pot,
        recent=_recent(pot.account_id, bank_id),
        donation_form=forms.get("donation_form") or _fresh(DonationForm),
        grant_form=forms.get("grant_form") or _fresh(GrantForm),
    )


def _recent(pot_account_id: int, bank_id: int) -> list[Any]:
    """Return the pot's latest movements, newest first, with the member on the other side."""
    other = sa.case(
        (Transfer.debit_account_id == pot_account_id, Transfer.credit_account_id),
        else_=Transfer.debit_account_id,
    )
    return list(
        db.session.execute(
            sa.select(Transfer, Member.display_name)
            .join(Account, Account.id == other)
            .outerjoin(Member, Member.id == Account.member_id)
            .where(
                Transfer.bank_id == bank_id,
                sa.or_(
                    Transfer.debit_account_id == pot_account_id,
                    Transfer.credit_account_id == pot_account_id,
                ),
            )
            .order_by(Transfer.recorded_at.desc())
            .limit(RECENT)
        )
    )


@bp.get("/broker/pot")
@role_required("broker")
def pot() -> ResponseReturnValue:
    return _page()


@bp.post("/broker/pot/donations")
@role_required("broker")
def donate() -> ResponseReturnValue:
    def write(write_id: uuid.UUID, member: Member, minutes: int, form: Any) -> str:
        donate_to_pot(
            db.session(),
            PotDonation(
                write_id, current_user.bank_id, member.id, minutes, current_user.id, form.note.data
            ),
        )
        return f"{member.display_name} gave {format_duration(minutes)} to the community pot."

    return _record(DonationForm(), "donation_form", write)


@bp.post("/broker/pot/grants")
@role_required("broker")
def grant() -> ResponseReturnValue:
    def write(write_id: uuid.UUID, member: Member, minutes: int, form: Any) -> str:
        grant_from_pot(
            db.session(),
            PotGrant(
                write_id,
                current_user.bank_id,
                member.id,
                minutes,
                current_user.id,
                form.reason.data,
            ),
        )
        return f"The community pot gave {format_duration(minutes)} to {member.display_name}."

    return _record(GrantForm(), "grant_form", write)


def _record(
    form: Any, form_name: str, write: Callable[[uuid.UUID, Member, int, Any], str]
) -> ResponseReturnValue:
    """Check a gift or grant form, record it through `write`, and say what was recorded."""
    if not form.validate_on_submit():
        return _page(**{form_name: form}), 422
    member, minutes = form.chosen_member(), form.chosen_minutes()
    write_id = parse_uuid(form.transfer_id.data) or uuid.uuid4()
    if member is None or minutes is None:
        return _page(**{form_name: form}), 422
    try:
        what = write(write_id, member, minutes, form)
    except NotFound as error:  # an unknown member beside its box, with 404
        show_error(form, "member", error)
        return _page(**{form_name: form}), 404
    except TimeBankError as error:
        show_error(form, None, error)
        return _page(**{form_name: form}), error.status
    return _done(what)


def _done(what: str) -> ResponseReturnValue:
    held = pot_balance(db.session(), current_bank().id).balance
    holds = format_duration(held) if held > 0 else "no hours"
    flash(f"Recorded: {what} The pot now holds {holds}.", "success")
    return redirect(url_for("broker_pot.pot"))
