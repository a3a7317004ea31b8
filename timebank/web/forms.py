"""What every web form shares: turning the time bank's errors into messages on a field."""

from __future__ import annotations

from flask_wtf import FlaskForm

from timebank.errors import TimeBankError


def show_error(form: FlaskForm, field_name: str | None, error: TimeBankError | str) -> None:
    """Put a service's plain-words error beside `field_name` (or at the top of the form)."""
    message = error.message if isinstance(error, TimeBankError) else error
    field = getattr(form, field_name) if field_name else None
    if field is not None:
        # WTForms keeps validation errors as a tuple until validate() runs.
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
