"""The admin's settings page for their own time bank (the hourly value has its own page)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField
from wtforms.fields.choices import SelectChoice

from timebank.extensions import db
from timebank.membership.bank_settings import SettingsForm, change_bank_settings
from timebank.phones import format_national
from timebank.tenancy.models import TimeBank
from timebank.tenancy.services import pounds_in_words
from timebank.web.access import current_bank, role_required
from timebank.web.errors import form_errors

bp = Blueprint("bank_settings", __name__)


class BankSettingsForm(FlaskForm):
    name = StringField("Name of the time bank")
    overdraft_hours = StringField("How many hours a member may owe")
    max_balance_hours = StringField("The most hours a member may have")
    largest_exchange_hours = StringField("The most hours one exchange may record")
    confirm_days = StringField("Days an exchange waits for confirmation")
    exchange_past_days = StringField("How many days back members may date an exchange")
    on_expiry = RadioField(
        "When nobody confirms an exchange in time",
        choices=[
            SelectChoice("confirm", "Confirm it automatically"),
            SelectChoice("escalate", "Hand it to a broker"),
        ],
    )
    timezone = StringField("Time zone")
    sms_number = StringField("The number members and practices text")
    sms_sender = StringField("What texts come from")
    reply_days = StringField("Days a referred patient has to answer YES or NO")
    retention_days = StringField("Days to keep referrals that never led to a member")
    mobile_countries = StringField("Countries members' mobiles may come from")

    def typed(self) -> SettingsForm:
        """Return what was typed, as the settings service takes it."""
        return SettingsForm(**{name: getattr(self, name).data or "" for name in FIELDS})


FIELDS = tuple(SettingsForm.__dataclass_fields__)


def _hours(minutes: int | None) -> str:
    return "" if minutes is None else str(abs(minutes) // 60)


def _filled(bank: TimeBank) -> BankSettingsForm:
    return BankSettingsForm(
        name=bank.name,
        overdraft_hours=_hours(bank.overdraft_minutes),
        max_balance_hours=_hours(bank.max_balance_minutes),
        largest_exchange_hours=_hours(bank.max_exchange_minutes),
        confirm_days=str(bank.confirm_days),
        exchange_past_days=str(bank.exchange_past_days),
        on_expiry=bank.on_expiry,
        timezone=bank.timezone,
        sms_number=format_national(bank.sms_number) if bank.sms_number else "",
        sms_sender=bank.sms_sender or "",
        reply_days=str(bank.referral_reply_days),
        retention_days=str(bank.referral_retention_days),
        mobile_countries=", ".join(bank.allowed_mobile_regions),
    )


@bp.route("/admin/settings", methods=["GET", "POST"])
@role_required("admin")
def settings() -> ResponseReturnValue:
    bank = current_bank()
    form = _filled(bank)
    if form.validate_on_submit():
        with form_errors(form) as shown:
            changes = change_bank_settings(db.session(), bank.id, current_user.id, form.typed())
        if not shown.failed:
            flash(_saved_words(changes), "success")
            return redirect(url_for("bank_settings.settings"))
    status = 400 if form.is_submitted() else 200
    value = pounds_in_words(bank.hourly_value_pence)
    page = render_template("admin/settings.html", form=form, bank=bank, hourly_value=value)
    return page, status


def _saved_words(changes: list[str]) -> str:
    if not changes:
        return "Nothing was changed."
    return "Saved. " + "; ".join(change[0].upper() + change[1:] for change in changes) + "."
