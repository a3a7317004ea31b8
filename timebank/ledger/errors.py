"""Ledger errors in the time bank's words, carrying the numbers a person needs."""

from __future__ import annotations

import datetime as dt

from timebank.errors import Conflict, InvalidInput, NotAllowed, NotFound, TimeBankError
from timebank.minutes import format_clock, format_duration


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


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


class ExchangeDateNotAllowed(LedgerError, InvalidInput):
    """The day an exchange is dated on is outside what the bank allows."""

    code = "date_not_allowed"


class ExchangeDateInFuture(ExchangeDateNotAllowed):
    code = "date_in_future"

    def __init__(self, today: dt.date) -> None:
        super().__init__(
            f"That date is in the future. Choose today ({_long_date(today)}) or an earlier day."
        )


class ExchangeDateTooEarly(ExchangeDateNotAllowed):
    code = "date_too_early"

    def __init__(self, past_days: int) -> None:
        super().__init__(
            f"An exchange can be dated at most {past_days} days back. "
            "Ask your broker to log older ones."
        )


class ExchangeDateNeedsReason(ExchangeDateNotAllowed):
    code = "date_needs_reason"

    def __init__(self, past_days: int) -> None:
        super().__init__(
            f"This exchange is dated more than {past_days} days back. "
            "Give a reason for logging it so late."
        )


class ExchangeDateTooLongAgo(ExchangeDateNotAllowed):
    code = "date_too_long_ago"

    def __init__(self, day: dt.date) -> None:
        super().__init__(f"{_long_date(day)} is too long ago for an exchange. Check the year.")


class ExchangeDateReasonTooLong(ExchangeDateNotAllowed):
    code = "reason_too_long"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Keep the reason to {limit} characters or fewer.")


class SameAccount(LedgerError, InvalidInput):
    code = "same_account"

    def __init__(self) -> None:
        super().__init__("The giver and the receiver must be two different people.")


class UnknownAccount(LedgerError, NotFound):
    code = "unknown_account"


class AccountClosed(LedgerError, Conflict):
    code = "account_closed"


class MemberNotActive(AccountClosed):
    code = "member_not_active"


class BalanceLimitReached(LedgerError, Conflict):
    """A transfer would take an account past one of its limits.

    What a person is told depends on who they are (`told_to`): a broker sees the holder's
    name and numbers; the holder sees their own balance and the most that fits; anyone
    else, and any caller that does not say who is asking, learns only that the exchange
    does not fit, never another member's balance.
    """

    # How each reader is told which way the holder's balance would go past the limit.
    moves = ""
    others_cannot = ""

    def __init__(
        self,
        name: str,
        would_be: int,
        limit: int,
        *,
        member_id: int | None = None,
        amount: int = 0,
    ) -> None:
        super().__init__(
            f"This exchange is more than {name} {self.others_cannot} right now. "
            "Please ask your broker."
        )
        self.name, self.would_be, self.limit = name, would_be, limit
        self.member_id, self.amount = member_id, amount

    def limit_words(self) -> str:
        raise NotImplementedError

    def _for_broker(self) -> str:
        return (
            f"{self.name}'s balance would {self.moves} {format_clock(self.would_be)}, "
            f"{self.limit_words()}."
        )

    def _for_holder(self, show_fit: bool) -> str:
        fits = self.amount - abs(self.would_be - self.limit) if show_fit else 0
        then = (
            f"Up to {format_clock(fits)} fits: try a smaller amount, or ask your broker."
            if fits > 0
            else "Please ask your broker."
        )
        return (
            f"This would take your balance to {format_clock(self.would_be)} (counting hours "
            f"waiting to be confirmed), {self.limit_words()}. {then}"
        )

    def told_to(
        self, viewer_id: int | None, *, broker: bool, show_fit: bool = True
    ) -> BalanceLimitReached:
        """Return this refusal worded for the person who asked.

        `show_fit` offers the holder the largest amount that fits; a group exchange, where
        one amount is given to several people, does not.
        """
        if broker:
            message = self._for_broker()
        elif viewer_id is not None and viewer_id == self.member_id:
            message = self._for_holder(show_fit)
        else:
            return self
        worded = type(self)(
            self.name, self.would_be, self.limit, member_id=self.member_id, amount=self.amount
        )
        worded.message = message
        worded.args = (message,)
        return worded


class OverdraftLimitReached(BalanceLimitReached):
    code = "overdraft_limit_reached"
    moves = "fall to"
    others_cannot = "can receive"

    def limit_words(self) -> str:
        return f"below the {format_clock(self.limit)} limit"


class MaxBalanceReached(BalanceLimitReached):
    code = "max_balance_reached"
    moves = "rise to"
    others_cannot = "can be credited with"

    def limit_words(self) -> str:
        return f"above the {format_clock(self.limit)} most this time bank allows"


class TransferNotFound(LedgerError, NotFound):
    code = "transfer_not_found"

    def __init__(self, transfer_id: object) -> None:
        super().__init__(f"There is no exchange {transfer_id} in this time bank.")


class NotPending(LedgerError, Conflict):
    code = "not_pending"

    def __init__(self) -> None:
        super().__init__("This exchange is not waiting for confirmation.")


class AlreadyResolved(LedgerError, Conflict):
    code = "already_resolved"

    def __init__(self) -> None:
        super().__init__("This exchange has already been confirmed or declined.")


class AlreadyReversed(LedgerError, Conflict):
    code = "already_reversed"

    def __init__(self) -> None:
        super().__init__("This exchange has already been reversed.")


class CannotReverse(LedgerError, Conflict):
    code = "cannot_reverse"


class ConfirmTooMuch(LedgerError, InvalidInput):
    code = "confirm_too_much"

    def __init__(self, minutes: int, logged: int) -> None:
        super().__init__(
            f"You can confirm at most the {format_duration(logged)} that was logged, "
            f"not {format_duration(minutes)}."
        )


class IdempotencyConflict(LedgerError, Conflict):
    code = "idempotency_conflict"

    def __init__(self, transfer_id: object, used_for: str = "a different exchange") -> None:
        super().__init__(
            f"The id {transfer_id} was already used for {used_for}. "
            "Start again to record a new one."
        )


class NotYourExchange(LedgerError, NotAllowed):
    code = "not_your_exchange"


class WriteInProgress(LedgerError, Conflict):
    code = "in_progress"

    def __init__(self) -> None:
        super().__init__(
            "That is still being recorded from an earlier try. Wait a moment, then send "
            "exactly the same request again to see how it went."
        )
