"""The two outcome questions, their texts and their periods: pure rules, no database.

The questions are the Office for National Statistics' own: the national measure of
loneliness ("How often do you feel lonely?", 1 often or always to 5 never) and personal
wellbeing's life satisfaction ("Overall, how satisfied are you with your life nowadays?",
0 not at all to 10 completely). A member is asked in the period of joining (round 0) and
then once in each six-month period after it (round 1 at six months, round 2 at twelve).
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from timebank.sms.gsm import to_gsm7

MONTHS_PER_ROUND = 6
# Texts that ask are only queued between these hours in the bank's time zone.
ASK_FROM_HOUR = 9
ASK_UNTIL_HOUR = 20

LONELY_CHOICES = (
    (1, "Often or always"),
    (2, "Some of the time"),
    (3, "Occasionally"),
    (4, "Hardly ever"),
    (5, "Never"),
)
SATISFIED_LOWEST, SATISFIED_HIGHEST = 0, 10
# The ONS's bands of life satisfaction, used to show answers without small cells.
SATISFIED_BANDS = (
    ("Low (0 to 4)", 0, 4),
    ("Medium (5 to 6)", 5, 6),
    ("High (7 to 8)", 7, 8),
    ("Very high (9 to 10)", 9, 10),
)
OFTEN_LONELY = 1


@dataclass(frozen=True)
class Period:
    """One round's six months: from `opens_at` (included) to `closes_at` (excluded)."""

    round: int
    opens_at: dt.datetime
    closes_at: dt.datetime


def add_months(stamp: dt.datetime, months: int) -> dt.datetime:
    """Return the same time `months` later; the 31st becomes the month's last day."""
    total = stamp.month - 1 + months
    year, month = stamp.year + total // 12, total % 12 + 1
    day = min(stamp.day, calendar.monthrange(year, month)[1])
    return stamp.replace(year=year, month=month, day=day)


def period_of(round_number: int, joined_at: dt.datetime) -> Period:
    """Return a round's period, counted from the member's joining."""
    opens = add_months(joined_at, MONTHS_PER_ROUND * round_number)
    return Period(round_number, opens, add_months(joined_at, MONTHS_PER_ROUND * (round_number + 1)))


def current_period(joined_at: dt.datetime, now: dt.datetime) -> Period:
    """Return the period `now` falls in (round 0 before and during the first six months)."""
    months = (now.year - joined_at.year) * 12 + now.month - joined_at.month
    round_number = max(0, months // MONTHS_PER_ROUND)
    while round_number > 0 and period_of(round_number, joined_at).opens_at > now:
        round_number -= 1
    while period_of(round_number, joined_at).closes_at <= now:
        round_number += 1
    return period_of(round_number, joined_at)


def may_ask_now(now: dt.datetime, timezone: str) -> bool:
    """Say whether `now` is within the hours texts that ask may be queued, in the bank's zone."""
    local = now.astimezone(zoneinfo.ZoneInfo(timezone))
    return ASK_FROM_HOUR <= local.hour < ASK_UNTIL_HOUR


def lonely_in_range(value: int) -> bool:
    """Say whether `value` is an answer to the loneliness question."""
    return LONELY_CHOICES[0][0] <= value <= LONELY_CHOICES[-1][0]


def satisfied_in_range(value: int) -> bool:
    """Say whether `value` is an answer to the life satisfaction question."""
    return SATISFIED_LOWEST <= value <= SATISFIED_HIGHEST


def in_range(question: str, value: int) -> bool:
    """Say whether `value` answers `question` ("lonely" or "satisfied")."""
    return lonely_in_range(value) if question == "lonely" else satisfied_in_range(value)


def lonely_words(value: int) -> str:
    """Return the words of a loneliness answer, e.g. 1 -> 'Often or always'."""
    return dict(LONELY_CHOICES).get(value, str(value))


# --- The texts --------------------------------------------------------------------------


def _bank(name: str) -> str:
    return to_gsm7(" ".join(name.split()))[:30]


def consent_question(bank: str) -> str:
    """Return the one text asking a member whether they agree to be asked."""
    return (
        f"{_bank(bank)}: may we text you 2 quick questions now and every 6 months, "
        "to show funders how the time bank helps? Reply YES or NO."
    )


def lonely_question(bank: str) -> str:
    """Return the text asking the loneliness question."""
    return (
        f"{_bank(bank)}: How often do you feel lonely? Reply 1 often/always, 2 some of "
        "the time, 3 occasionally, 4 hardly ever, 5 never. NO to stop"
    )


def satisfied_question() -> str:
    """Return the text asking the life satisfaction question."""
    return (
        "Thank you. Overall, how satisfied are you with your life nowadays? "
        "Reply a number from 0 (not at all) to 10 (completely)."
    )


def thanks(bank: str) -> str:
    """Return the reply once both questions are answered."""
    return (
        f"Thank you. Your answers help {_bank(bank)} show what it does. "
        "We will ask again in 6 months."
    )


def out_of_range(question: str) -> str:
    """Return the reply to a number (or a word) that does not answer the open question."""
    if question == "lonely":
        return "Please reply with one number from 1 (often or always lonely) to 5 (never)."
    return "Please reply with one number from 0 (not at all satisfied) to 10 (completely)."


def already_answered() -> str:
    """Return the reply to a number after this period's answers are in."""
    return "Thank you, we already have your answers for now. We will ask again in 6 months."


def refused() -> str:
    """Return the reply to NO: the member will never be asked again."""
    return "Thank you. We will not ask you these questions again."
