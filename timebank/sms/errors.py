"""What can go wrong when sending a text, sorted by what the sender may safely do next."""

from __future__ import annotations

# Twilio error codes that mean "this number will never take this text".
OPTED_OUT_CODES = frozenset({21610})
BAD_NUMBER_CODES = frozenset({21211, 21612, 21614})
THROTTLED_CODES = frozenset({20429})


class SendError(Exception):
    """A text was not (surely) sent; the subclass says whether to retry, give up or check."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RetryLater(SendError):
    """The provider surely created nothing (throttled, connection refused): try again later."""


class Rejected(SendError):
    """The provider refused this text for good (opted out, bad number): never retry."""

    @property
    def opted_out(self) -> bool:
        return self.code in OPTED_OUT_CODES


class OutcomeUnknown(SendError):
    """The request went out but no clear answer came back: reconcile, never resend blindly."""
