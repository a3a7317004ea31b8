"""Turning what a file says into values, or a plain-words reason it cannot be used.

Each parser takes the text of one cell and returns a value or raises `BadValue`, whose
message names the value and says what is expected; the caller adds the file and row.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from timebank.errors import InvalidInput


class BadValue(InvalidInput):
    """One cell cannot be used; the message says what was expected."""

    code = "import_bad_value"


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SLASHED_DAY = re.compile(r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}$")
HOURS_AND_MINUTES = re.compile(r"^(\d{1,4}):([0-5]\d)$")
DECIMAL_HOURS = re.compile(r"^-?\d{1,5}([.,]\d{1,4})?$")
# Timezone words some exporters write after the time.
UTC_WORDS = (" UTC", " GMT", "Z")


def parse_day(text: str) -> dt.date:
    """Return the day a cell gives as YYYY-MM-DD (a time after it is allowed and dropped)."""
    cleaned = text.strip()
    if len(cleaned) == 10 and ISO_DAY.match(cleaned):
        try:
            return dt.date.fromisoformat(cleaned)
        except ValueError:
            raise BadValue(f"{cleaned} is not a real date") from None
    if SLASHED_DAY.match(cleaned):
        raise BadValue(
            f"{cleaned} could be read two ways (3 April or 4 March); "
            "write dates as year-month-day, for example 2025-04-03"
        )
    head = cleaned[:10]
    if not ISO_DAY.match(head):
        raise BadValue(f"{cleaned or 'an empty cell'} is not a date written as 2025-04-03")
    try:
        return dt.date.fromisoformat(head)
    except ValueError:
        raise BadValue(f"{cleaned} is not a real date") from None


def parse_moment(text: str) -> dt.datetime:
    """Return the moment a cell gives (a day, or a day and time), in UTC."""
    cleaned = text.strip()
    day = parse_day(cleaned)
    rest = cleaned[10:].strip().removeprefix("T")
    for word in UTC_WORDS:
        rest = rest.removesuffix(word).strip()
    if not rest:
        return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(f"{day.isoformat()}T{rest}")
    except ValueError:
        raise BadValue(f"{cleaned} is not a date and time written as 2025-04-03 14:30") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def parse_minutes(text: str, allow_negative: bool = False) -> int:
    """Return the minutes a cell of hours gives: 1.5, 1,5 and 1:30 are all 90 minutes."""
    cleaned = text.strip().replace(" ", "")
    sign = -1 if allow_negative and cleaned.startswith("-") else 1
    unsigned = cleaned.removeprefix("-") if sign < 0 else cleaned
    clock = HOURS_AND_MINUTES.match(unsigned)
    if clock:
        return sign * (int(clock.group(1)) * 60 + int(clock.group(2)))
    if not DECIMAL_HOURS.match(unsigned):
        raise BadValue(
            f"{text.strip() or 'an empty cell'} is not a number of hours "
            "(write 1.5 or 1:30 for an hour and a half)"
        )
    try:
        hours = Decimal(unsigned.replace(",", "."))
    except InvalidOperation:
        raise BadValue(f"{text.strip()} is not a number of hours") from None
    return sign * int((hours * 60).to_integral_value())


def hours_text(minutes: int) -> str:
    """Write minutes as hours and minutes, 1:30, the exact form the importer reads back."""
    sign = "-" if minutes < 0 else ""
    whole, rest = divmod(abs(minutes), 60)
    return f"{sign}{whole}:{rest:02d}"


MESSY_SPACE = re.compile(r"\s\s|[\t\r\n\f\v]")


def parse_text(text: str, longest: int, what: str, required: bool = False) -> str:
    """Return a cell's text with spaces tidied, checking its length."""
    words = text.strip()
    if MESSY_SPACE.search(words):
        words = " ".join(words.split())
    if required and not words:
        raise BadValue(f"the {what} is missing")
    if len(words) > longest:
        raise BadValue(f"the {what} is longer than {longest} characters")
    return words


def parse_choice(text: str, choices: tuple[str, ...], what: str, default: str) -> str:
    """Return one of `choices` (any case), or `default` for an empty cell."""
    word = text.strip().lower().replace(" ", "_")
    if not word:
        return default
    if word not in choices:
        raise BadValue(f"{text.strip()} is not a {what}; use one of: {', '.join(choices)}")
    return word


def parse_yes_no(text: str, what: str) -> bool:
    """Return True for yes, False for no or an empty cell."""
    word = text.strip().lower()
    if word in ("yes", "y", "true", "1"):
        return True
    if word in ("", "no", "n", "false", "0"):
        return False
    raise BadValue(f"{text.strip()} is not yes or no (for {what})")
