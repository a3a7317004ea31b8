"""What a web page does with a service's error: one table, chosen by the error's kind.

A page that re-shows its form calls the service inside `form_errors(form)` and lets this
table decide, instead of catching the error itself:

- `NotFound`, `NotAllowed`, `NotSignedIn`: the error page (404, 403, and 400 for the last,
  which has no page of its own), answered by the app-wide handler in `web/security.py`.
- `InvalidDetail`: the message beside its field, when the form has that field (so does any
  other refusal that names a field of the form).
- any other `InvalidInput`, `Conflict` or `TimeBankError`: the message above the form,
  which the page shows again with what was typed.

A page that acts and then goes back where it came from (no form to show again) calls the
service inside `flashed_errors()`: the kinds that go beside a field or above a form are
flashed instead, on the page it goes back to; the rest reach the error page as above.

The API's table is `responses/problems.py` `problem_from_error`; the texts' is in the
`texting` handlers.
"""

from __future__ import annotations

from enum import Enum
from types import TracebackType
from typing import Self

from flask import flash
from flask_wtf import FlaskForm

from timebank.errors import (
    Conflict,
    InvalidDetail,
    InvalidInput,
    NotAllowed,
    NotFound,
    NotSignedIn,
    TimeBankError,
)
from timebank.web.forms import show_error


class PageAnswer(Enum):
    """Where a page shows an error."""

    ERROR_PAGE = "the error page for the kind's status"
    BESIDE_FIELD = "beside the field the error names"
    ABOVE_FORM = "above the form, shown again with what was typed"


# Most specific kind first: the first kind an error is an instance of decides.
PAGE_ANSWERS: tuple[tuple[type[TimeBankError], PageAnswer], ...] = (
    (NotFound, PageAnswer.ERROR_PAGE),
    (NotAllowed, PageAnswer.ERROR_PAGE),
    (NotSignedIn, PageAnswer.ERROR_PAGE),
    (InvalidDetail, PageAnswer.BESIDE_FIELD),
    (InvalidInput, PageAnswer.ABOVE_FORM),
    (Conflict, PageAnswer.ABOVE_FORM),
    (TimeBankError, PageAnswer.ABOVE_FORM),
)


def page_answer(error: TimeBankError) -> PageAnswer:
    """Return where a page shows `error`, from the table above."""
    for kind, answer in PAGE_ANSWERS:
        if isinstance(error, kind):
            return answer
    return PageAnswer.ABOVE_FORM


class _CaughtErrors:
    """A `with` block that shows a service's error its own way (`show`) or lets it through.

    After the block, `failed` says whether an error was shown.
    """

    def __init__(self) -> None:
        self.failed = False

    def show(self, error: TimeBankError) -> bool:
        """Show `error`, or return False to let it reach the error page."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> bool:
        if not isinstance(error, TimeBankError) or not self.show(error):
            return False
        self.failed = True
        return True


class form_errors(_CaughtErrors):  # noqa: N801 - used as a `with` statement, like contextlib's helpers
    """Show a service's error on `form` as the table says, or let it reach the error page.

    After the block, `failed` says whether an error was shown on the form. `field` names
    the field that errors not about a field of their own go beside, on a form that shows
    them there rather than above it.
    """

    def __init__(self, form: FlaskForm, field: str | None = None) -> None:
        super().__init__()
        self.form = form
        self.field = field

    def show(self, error: TimeBankError) -> bool:
        return shown_on_form(self.form, error, self.field)


def shown_on_form(form: FlaskForm, error: TimeBankError, field: str | None = None) -> bool:
    """Show `error` on `form` as the table says; False when it belongs on the error page.

    For a page that handles one error of its own first, in its `except`, and the rest here.
    """
    if page_answer(error) is PageAnswer.ERROR_PAGE:
        return False
    show_error(form, _field_named(form, error) or field, error)
    return True


def _field_named(form: FlaskForm, error: TimeBankError) -> str | None:
    """Return the form's field the error names: `InvalidDetail.field`, or a `field` of its own.

    A few refusals name their field without being an `InvalidDetail` (a join date, a
    partner's name); they go beside it too, as they always have.
    """
    named = getattr(error, "field", None)
    return named if isinstance(named, str) and hasattr(form, named) else None


class flashed_errors(_CaughtErrors):  # noqa: N801 - used as a `with` statement, like contextlib's helpers
    """Flash a service's error in `category` as the table says, or let it reach the error page.

    After the block, `failed` says whether an error was flashed.
    """

    def __init__(self, category: str = "error") -> None:
        super().__init__()
        self.category = category

    def show(self, error: TimeBankError) -> bool:
        if page_answer(error) is PageAnswer.ERROR_PAGE:
            return False
        flash(error.message, self.category)
        return True
