"""Development only: text the time bank without a phone or a Twilio account.

The form sends a simulated text "from" a partner's number, a member's or any number to a
time bank's SMS number, through the same code as Twilio's webhook (without the signature),
and the page lists the latest texts received and sent. It is registered only when
SHOW_DEV_SMS_PAGE is on (development), and answers only this computer.
"""

from __future__ import annotations

import uuid
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from timebank.db import Base
from timebank.extensions import db
from timebank.members.models import Member
from timebank.phones import InvalidPhoneNumber, format_national, normalise_mobile
from timebank.referrals.models import PartnerNumber, ReferralPartner
from timebank.sms.models import InboundMessage, OutboxMessage
from timebank.tenancy.models import TimeBank
from timebank.texting.inbound import IncomingText, receive_text

bp = Blueprint("dev", __name__, url_prefix="/dev")

ANOTHER_NUMBER = "other"
_Row = TypeVar("_Row", bound=Base)
# Enough members to try things with; anyone else can be typed as "another number".
MEMBERS_LISTED = 60


class SimulatedTextForm(FlaskForm):
    bank = SelectField("To which time bank")
    sender = SelectField("From")
    other_number = StringField("Another number", validators=[Length(max=20)])
    body = TextAreaField("Text", validators=[InputRequired("Type the text."), Length(max=1600)])


@bp.before_request
def _this_computer_only() -> None:
    # Sign-in codes are listed here, so only this computer may look.
    if request.remote_addr not in ("127.0.0.1", "::1"):
        abort(404)


def _banks() -> list[TimeBank]:
    return list(
        db.session.scalars(
            sa.select(TimeBank).where(TimeBank.sms_number.is_not(None)).order_by(TimeBank.name)
        )
    )


def _sender_choices(banks: list[TimeBank]) -> list[tuple[str, str]]:
    """Return the numbers to text from: each bank's partners, then some of its members."""
    bank_ids = [bank.id for bank in banks]
    partners = db.session.execute(
        sa.select(PartnerNumber.e164, ReferralPartner.name)
        .join(ReferralPartner, ReferralPartner.id == PartnerNumber.partner_id)
        .where(PartnerNumber.bank_id.in_(bank_ids))
        .order_by(ReferralPartner.name)
    ).all()
    members = db.session.execute(
        sa.select(Member.mobile_e164, Member.display_name)
        .where(
            Member.bank_id.in_(bank_ids),
            Member.mobile_e164.is_not(None),
            Member.erased_at.is_(None),
        )
        .order_by(Member.display_name)
        .limit(MEMBERS_LISTED)
    ).all()
    return [
        (ANOTHER_NUMBER, "Another number (type it below)"),
        *((e164, f"Practice: {name} ({format_national(e164)})") for e164, name in partners),
        *((e164, f"Member: {name} ({format_national(e164)})") for e164, name in members),
    ]


def _form(banks: list[TimeBank]) -> SimulatedTextForm:
    form = SimulatedTextForm()
    form.bank.choices = [(str(bank.id), bank.name) for bank in banks]
    form.sender.choices = _sender_choices(banks)
    return form


def _sender(form: SimulatedTextForm) -> str | None:
    chosen: str | None = form.sender.data
    if chosen != ANOTHER_NUMBER:
        return chosen
    typed = (form.other_number.data or "").strip()
    if not typed:
        form.other_number.errors = ["Type the number the text comes from."]
        return None
    try:
        return normalise_mobile(typed)  # as the provider would give it: +447123999001
    except InvalidPhoneNumber:
        return typed  # a name such as EVILCORP, as some senders have: it gets no answer


def _simulate(form: SimulatedTextForm, banks: list[TimeBank]) -> str | None:
    bank = next(b for b in banks if str(b.id) == form.bank.data)
    sender = _sender(form)
    if sender is None:
        return None
    incoming = IncomingText(
        message_sid=f"DEV{uuid.uuid4().hex}",
        from_number=sender,
        to_number=bank.sms_number or "",
        body=form.body.data or "",
    )
    reply = receive_text(db.session(), incoming)
    return reply or "(no reply)"


def _latest(
    model: type[_Row], order_by: so.InstrumentedAttribute[int], limit: int = 30
) -> list[_Row]:
    return list(db.session.scalars(sa.select(model).order_by(order_by.desc()).limit(limit)))


def _remembered_words() -> dict[str, str]:
    """Return what the console backend of this process sent, by sid.

    The outbox forgets a sign-in code once its text is sent; on this page a developer still
    needs it to sign in.
    """
    sent = getattr(current_app.extensions.get("timebank_sms"), "sent", [])
    return {text.provider_sid: text.body for text in sent}


@bp.route("/sms", methods=["GET", "POST"])
def sms_outbox() -> ResponseReturnValue:
    banks = _banks()
    form = _form(banks)
    if banks and form.validate_on_submit():
        reply = _simulate(form, banks)
        if reply is not None:
            flash(f"Reply: {reply}", "info")
            return redirect(url_for("dev.sms_outbox"))
    page = render_template(
        "dev/sms.html",
        form=form,
        has_banks=bool(banks),
        inbound=_latest(InboundMessage, InboundMessage.id),
        messages=_latest(OutboxMessage, OutboxMessage.id, 50),
        remembered=_remembered_words(),
    )
    db.session.rollback()
    return page
