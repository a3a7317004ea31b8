"""Forms for logging and confirming hours, and turning what was typed into minutes and a date."""

from __future__ import annotations

import datetime as dt
import uuid

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError

from timebank.errors import TimeBankError
from timebank.extensions import db
from timebank.ledger.rules import check_minutes
from timebank.offers.skills import skill_categories

OTHER = "other"
DURATION_CHOICES = [
    ("30", "30 minutes"),
    ("60", "1 hour"),
    ("90", "1 hour 30 minutes"),
    ("120", "2 hours"),
    ("180", "3 hours"),
    (OTHER, "Other"),
]


def choices_of(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """Return (value, label) pairs as the choices WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


class ChooseMemberForm(FlaskForm):
    """Choose one person from a list of names."""

    member = RadioField(
        "Who was it?", validate_choice=False, validators=[InputRequired("Choose a person.")]
    )


class ChooseMembersForm(FlaskForm):
    """Tick several people, searching by name without losing the ticks."""

    members = SelectMultipleField("Who was there?", coerce=int, validate_choice=False)
    q = StringField("Search by name")


class GroupDirectionForm(FlaskForm):
    direction = RadioField(
        "What happened?",
        choices=choices_of(
            [("gave", "I helped several people"), ("received", "Several people helped me")]
        ),
        invalid_choice_message="Choose whether you helped or were helped.",
    )


class DetailsForm(FlaskForm):
    """What happened, how long it took, when, and what kind of help it was."""

    direction = RadioField(
        "What happened?", invalid_choice_message="Choose whether you helped or were helped."
    )
    duration = RadioField(
        "How long did it take?",
        choices=choices_of(DURATION_CHOICES),
        invalid_choice_message="Choose how long it took.",
    )
    hours = StringField("Hours")
    mins = StringField("Minutes")
    day = StringField("Day")
    month = StringField("Month")
    year = StringField("Year")
    skill_category = SelectField("What kind of help was it?")
    note = TextAreaField(
        "Anything else to say about it (optional)",
        validators=[Length(max=500, message="Keep the note to 500 characters or fewer.")],
    )
    # Shown to brokers only: an exchange dated further back than members may go needs one.
    reason = TextAreaField(
        "Why is it logged so late? (only for an exchange older than members may log)",
        validators=[Length(max=500, message="Keep the reason to 500 characters or fewer.")],
    )

    def offer_categories(self, bank_id: int) -> None:
        """Fill the kinds of help from the bank's skill categories."""
        self.skill_category.choices = [("", "Choose one")] + [
            (name, name) for name in skill_categories(db.session(), bank_id)
        ]

    def validate_skill_category(self, field: SelectField) -> None:
        if not field.data:
            raise ValidationError("Choose what kind of help it was.")

    def chosen_minutes(self) -> int | None:
        """Return the minutes chosen or typed, or None after noting the error on the form."""
        if self.duration.data != OTHER:
            return int(self.duration.data) if self.duration.data else None
        hours, hours_ok = _whole_number(self.hours.data)
        mins, mins_ok = _whole_number(self.mins.data)
        if not (hours_ok and mins_ok) or (hours is None and mins is None):
            self.hours.errors = [*self.hours.errors, "Enter the hours and minutes as numbers."]
            return None
        if mins is not None and mins > 59:
            self.mins.errors = [*self.mins.errors, "Minutes must be a number from 0 to 59."]
            return None
        try:
            return check_minutes((hours or 0) * 60 + (mins or 0))
        except TimeBankError as error:  # checked while the form is read, beside the hours
            self.hours.errors = [*self.hours.errors, error.message]
            return None

    def chosen_date(self) -> dt.date | None:
        """Return the date typed, or None after noting the error on the form.

        Whether the bank allows that day is the ledger's rule (`check_exchange_date`).
        """
        parts = [_whole_number(f.data) for f in (self.day, self.month, self.year)]
        if not all(ok and value is not None for value, ok in parts):
            self.day.errors = [*self.day.errors, "Enter the date as numbers, such as 27 3 2026."]
            return None
        day, month, year = (value for value, _ in parts)
        try:
            chosen = dt.date(year, month, day)  # type: ignore[arg-type]
        except ValueError:
            self.day.errors = [*self.day.errors, "Enter a real date, such as 27 3 2026."]
            return None
        return chosen

    def show_date(self, day: dt.date) -> None:
        """Fill the three date boxes from a date."""
        self.day.data, self.month.data, self.year.data = str(day.day), str(day.month), str(day.year)

    def show_minutes(self, minutes: int) -> None:
        """Pick the quick choice for `minutes`, or Other with the hours and minutes filled in."""
        if str(minutes) in dict(DURATION_CHOICES):
            self.duration.data = str(minutes)
            return
        self.duration.data = OTHER
        self.hours.data, self.mins.data = str(minutes // 60), str(minutes % 60)


class SubmitOnceForm(FlaskForm):
    """A button that carries the id the write will use, so a second press changes nothing."""

    transfer_id = HiddenField()

    def chosen_id(self) -> uuid.UUID | None:
        """Return the id the page carried, if it is one."""
        return parse_uuid(self.transfer_id.data)


def parse_uuid(text: str | None) -> uuid.UUID | None:
    """Return `text` as a UUID, or None when it is not one."""
    try:
        return uuid.UUID(str(text))
    except ValueError:
        return None


def _whole_number(text: str | None) -> tuple[int | None, bool]:
    """Return (number, True) for digits, (None, True) for nothing, (None, False) otherwise."""
    text = (text or "").strip()
    if not text:
        return None, True
    if not text.isdigit() or len(text) > 6:
        return None, False
    return int(text), True
