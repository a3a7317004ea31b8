"""The root of every error the time bank raises in its own words.

A service raises an error that says what went wrong in the time bank's words; it never
decides how an edge shows it. Every error is one of the few kinds below, and each kind has
one HTTP `status`, set here and nowhere else. The edges map errors to their own form in one
place each: the API in `timebank.responses.problems`, the web pages in `timebank.web.errors`
(forms show `message` beside the field named by `InvalidDetail.field`), texts in the
`texting` handlers. A new error subclasses the kind that fits it, so every edge already
knows how to answer it.
"""


class TimeBankError(Exception):
    """An error a person can act on: `message` is plain English, `code` is stable."""

    code = "time_bank_error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TimeBankError):
    """There is no such thing in this time bank (or not one the person may see)."""

    code = "not_found"
    status = 404


class NotAllowed(TimeBankError):
    """The person asking may not do this: their role, or it is someone else's."""

    code = "not_allowed"
    status = 403


class InvalidInput(TimeBankError):
    """What was sent is not right; sending it again unchanged will not work."""

    code = "invalid_input"
    status = 422


class InvalidDetail(InvalidInput):
    """A detail someone typed is not right; `field` says which one, for the form."""

    code = "invalid_detail"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Conflict(TimeBankError):
    """The request was fine, but what is already recorded refuses it (closed, resolved...)."""

    code = "conflict"
    status = 409


class NotSignedIn(TimeBankError):
    """Who is asking could not be established: a wrong password, code or token."""

    code = "not_signed_in"
    status = 401


class DateInFuture(InvalidDetail):
    """A day that has not come yet in the time bank's own time zone."""

    code = "date_in_future"
