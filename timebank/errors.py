"""The root of every error the time bank raises in its own words."""


class TimeBankError(Exception):
    """An error a person can act on: `message` is plain English, `code` is stable."""

    code = "time_bank_error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(TimeBankError):
    code = "not_found"
    status = 404


class NotAllowed(TimeBankError):
    code = "not_allowed"
    status = 403


class InvalidInput(TimeBankError):
    code = "invalid_input"
    status = 422


class InvalidDetail(InvalidInput):
    """A detail someone typed is not right; `field` says which one, for the form."""

    code = "invalid_detail"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
