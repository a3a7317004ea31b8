"""Ledger errors in the time bank's words, carrying the numbers a person needs."""

from __future__ import annotations

from timebank.errors import InvalidInput, NotAllowed, NotFound, TimeBankError
from timebank.ledger.rules import format_clock, format_duration


class LedgerError(TimeBankError):
    code = "ledger_error"


class InvalidAmount(LedgerError, InvalidInput):
    code = "invalid_amount"


class ExchangeTooLarge(LedgerError, InvalidInput):
    code = "exchange_too_large"

    def __init__(self, minutes: int, largest: int) -> None:
        super().__init__(
            f"{format_duration(minutes)} is more than this time bank allows for one exchange "
            f"({format_duration(largest)}). Please check the hours."
        )
        self.minutes, self.largest = minutes, largest


class SameAccount(LedgerError, InvalidInput):
    code = "same_account"

    def __init__(self) -> None:
        super().__init__("The giver and the receiver must be two different people.")


class UnknownAccount(LedgerError, NotFound):
    code = "unknown_account"


class AccountClosed(LedgerError):
    code = "account_closed"
    status = 409


class MemberNotActive(AccountClosed):
    code = "member_not_active"


class OverdraftLimitReached(LedgerError):
    code = "overdraft_limit_reached"
    status = 409

    def __init__(self, name: str, would_be: int, limit: int) -> None:
        super().__init__(
            f"{name}'s balance would fall to {format_clock(would_be)}, "
            f"below the {format_clock(limit)} limit."
        )
        self.name, self.would_be, self.limit = name, would_be, limit


class MaxBalanceReached(LedgerError):
    code = "max_balance_reached"
    status = 409

    def __init__(self, name: str, would_be: int, limit: int) -> None:
        super().__init__(
            f"{name}'s balance would rise to {format_clock(would_be)}, "
            f"above the {format_clock(limit)} most this time bank allows."
        )
        self.name, self.would_be, self.limit = name, would_be, limit


class TransferNotFound(LedgerError, NotFound):
    code = "transfer_not_found"

    def __init__(self, transfer_id: object) -> None:
        super().__init__(f"There is no exchange {transfer_id} in this time bank.")


class NotPending(LedgerError):
    code = "not_pending"
    status = 409

    def __init__(self) -> None:
        super().__init__("This exchange is not waiting for confirmation.")


class AlreadyResolved(LedgerError):
    code = "already_resolved"
    status = 409

    def __init__(self) -> None:
        super().__init__("This exchange has already been confirmed or declined.")


class AlreadyReversed(LedgerError):
    code = "already_reversed"
    status = 409

    def __init__(self) -> None:
        super().__init__("This exchange has already been reversed.")


class CannotReverse(LedgerError):
    code = "cannot_reverse"
    status = 409


class ConfirmTooMuch(LedgerError, InvalidInput):
    code = "confirm_too_much"

    def __init__(self, minutes: int, logged: int) -> None:
        super().__init__(
            f"You can confirm at most the {format_duration(logged)} that was logged, "
            f"not {format_duration(minutes)}."
        )


class IdempotencyConflict(LedgerError):
    code = "idempotency_conflict"
    status = 409

    def __init__(self, transfer_id: object, used_for: str = "a different exchange") -> None:
        super().__init__(
            f"The id {transfer_id} was already used for {used_for}. "
            "Start again to record a new one."
        )


class NotYourExchange(LedgerError, NotAllowed):
    code = "not_your_exchange"


class WriteInProgress(LedgerError):
    code = "in_progress"
    status = 409

    def __init__(self) -> None:
        super().__init__(
            "That is still being recorded from an earlier try. Wait a moment, then send "
            "exactly the same request again to see how it went."
        )
