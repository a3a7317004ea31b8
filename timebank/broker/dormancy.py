"""Pure dormancy rules: which members need outreach, and why, in words a broker can act on.

No Flask, no session: a member's activity summary and today's date in, flags out.

Boundaries, the same for every rule that counts days: a rule set at N days is due when
N or more whole days have passed, so a member whose last exchange was on 1 March is flagged
as inactive for 60 days on 30 April (day 60), not on 29 April (day 59). Amounts follow the
words of the settings: "within an hour of the limit" includes exactly an hour, and "below a
quarter of their usual rate" excludes exactly a quarter.

`Flag.since` is the day the condition began (the last exchange, the joining or referral
day, the first gift, the unanswered offer, the start of the rhythm window, the answer), so
sorting the worklist by it puts the longest-waiting members first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from timebank.minutes import format_duration

# Left members are gone and suspended members are the admin's business, not outreach.
NEVER_FLAGGED_STATUSES = frozenset({"left", "suspended"})

_SMALL_NUMBERS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)
_AVERAGE_MONTH_DAYS = 365.25 / 12


@dataclass(frozen=True)
class DormancySettings:
    """A time bank's thresholds for flagging members who need outreach."""

    inactive_days: int = 60
    first_exchange_days: int = 30
    only_giving_days: int = 182
    near_limit_minutes: int = 60
    unanswered_offer_days: int = 30
    rhythm_window_days: int = 90
    rhythm_drop: float = 0.25
    rhythm_min_history: int = 6
    # A member's own answer "often or always" lonely stands this long (until the next ask).
    often_lonely_days: int = 182


@dataclass(slots=True)
class MemberActivity:
    """One member's activity summary, as the scan reads it from the database.

    Not frozen: a scan makes one per member (100,000 in a big bank), and a frozen
    dataclass is about four times slower to build. Nothing changes one after it is made.
    """

    member_id: int
    first_name: str
    status: str
    do_not_contact: bool
    joined_on: dt.date
    referred_on: dt.date | None
    first_exchange_on: dt.date | None
    last_exchange_on: dt.date | None
    last_given_on: dt.date | None
    last_received_on: dt.date | None
    given_since_joined: int
    received_since_joined: int
    balance_minutes: int
    overdraft_minutes: int
    open_offers: int
    oldest_unanswered_offer_on: dt.date | None
    exchanges_last_window: int
    exchanges_before_window: int
    days_before_window: int
    # The day the member last answered the loneliness question, when it was "often or always".
    often_lonely_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    """A reason to contact a member: a stable rule code, plain words and when it began."""

    member_id: int
    rule: str
    reason: str
    since: dt.date


Rule = Callable[[MemberActivity, dt.date, DormancySettings], Flag | None]


def flags_for(activity: MemberActivity, today: dt.date, settings: DormancySettings) -> list[Flag]:
    """Return every flag the dormancy rules raise for one member today."""
    if not can_be_contacted(activity):
        return []
    found = []
    for rule in RULES:
        flag = rule(activity, today, settings)
        if flag is not None:
            found.append(flag)
    return found


def can_be_contacted(activity: MemberActivity) -> bool:
    """Say whether outreach may reach this member at all."""
    return may_contact(activity.status, activity.do_not_contact)


def may_contact(status: str, do_not_contact: bool) -> bool:
    """Say whether outreach may reach a member with this status and wish, before their activity."""
    return not do_not_contact and status not in NEVER_FLAGGED_STATUSES


def inactive(activity: MemberActivity, today: dt.date, settings: DormancySettings) -> Flag | None:
    """Flag a member whose last exchange was `inactive_days` or more ago."""
    last = activity.last_exchange_on
    # Someone who never exchanged is "no_first_exchange", not inactive.
    if last is None or activity.first_exchange_on is None:
        return None
    days = days_between(last, today)
    if days < settings.inactive_days:
        return None
    reason = f"No exchange for {days} days (since {short_date(last, today)})."
    return Flag(activity.member_id, "inactive", reason, last)


def no_first_exchange(
    activity: MemberActivity, today: dt.date, settings: DormancySettings
) -> Flag | None:
    """Flag a member with no exchange `first_exchange_days` after joining or referral."""
    if activity.first_exchange_on is not None or activity.last_exchange_on is not None:
        return None
    start, how = activity.joined_on, "Joined"
    referred = activity.referred_on
    if referred is not None and referred > start:
        start, how = referred, "Referred"
    days = days_between(start, today)
    if days < settings.first_exchange_days:
        return None
    reason = f"{how} {days} days ago and has not made a first exchange yet."
    return Flag(activity.member_id, "no_first_exchange", reason, start)


def only_giving(
    activity: MemberActivity, today: dt.date, settings: DormancySettings
) -> Flag | None:
    """Flag a member who has given for `only_giving_days` or more and never received."""
    first = activity.first_exchange_on
    if first is None or activity.received_since_joined or activity.given_since_joined <= 0:
        return None
    days = days_between(first, today)
    if days < settings.only_giving_days:
        return None
    times = activity.given_since_joined
    reason = (
        f"Has given help {plural(times, 'time')} in {months_in_words(days)} but never received any."
    )
    return Flag(activity.member_id, "only_giving", reason, first)


def near_limit_no_offers(
    activity: MemberActivity, today: dt.date, settings: DormancySettings
) -> Flag | None:
    """Flag a member who owes within `near_limit_minutes` of their limit and offers nothing."""
    balance, limit = activity.balance_minutes, activity.overdraft_minutes
    if activity.open_offers > 0 or balance >= 0:
        return None
    if balance - limit > settings.near_limit_minutes:
        return None
    reason = (
        f"Owes {format_duration(-balance)}, close to {limit_in_words(limit)}, and offers nothing."
    )
    # The balance moves only with exchanges, so it has stood here since the last one.
    return Flag(
        activity.member_id, "near_limit_no_offers", reason, activity.last_exchange_on or today
    )


def unanswered_offers(
    activity: MemberActivity, today: dt.date, settings: DormancySettings
) -> Flag | None:
    """Flag a member whose open offer has had no answer for `unanswered_offer_days` or more.

    Never a member who traded recently (within `inactive_days`, the bank's
    dormant_after_days): a busy member needs no call because nobody asked for one offer.
    """
    oldest = activity.oldest_unanswered_offer_on
    if oldest is None:
        return None
    last = activity.last_exchange_on
    if last is not None and days_between(last, today) < settings.inactive_days:
        return None
    days = days_between(oldest, today)
    if days < settings.unanswered_offer_days:
        return None
    which = "Their offer" if activity.open_offers <= 1 else "One of their offers"
    reason = f"{which} has had no answer for {days} days."
    return Flag(activity.member_id, "unanswered_offers", reason, oldest)


def below_rhythm(
    activity: MemberActivity, today: dt.date, settings: DormancySettings
) -> Flag | None:
    """Flag a member whose last window fell below `rhythm_drop` of their usual rate."""
    before, before_days = activity.exchanges_before_window, activity.days_before_window
    window = settings.rhythm_window_days
    # A rhythm needs enough exchanges and at least one whole window behind it to count.
    if before < settings.rhythm_min_history or before_days < window:
        return None
    usual = before * window / before_days
    recent = activity.exchanges_last_window
    if recent >= settings.rhythm_drop * usual:
        return None
    reason = (
        f"{plural(recent, 'exchange').capitalize()} in the last {window} days "
        f"against about {round(usual)} usually."
    )
    since = dt.date.fromordinal(today.toordinal() - window)
    return Flag(activity.member_id, "below_rhythm", reason, since)


def often_lonely(
    activity: MemberActivity, today: dt.date, settings: DormancySettings
) -> Flag | None:
    """Flag a member whose latest answer was that they feel lonely often or always."""
    said = activity.often_lonely_on
    if said is None or said > today or days_between(said, today) > settings.often_lonely_days:
        return None
    reason = f"Said they feel lonely often or always (answered on {short_date(said, today)})."
    return Flag(activity.member_id, "often_lonely", reason, said)


RULES: tuple[Rule, ...] = (
    inactive,
    no_first_exchange,
    only_giving,
    near_limit_no_offers,
    unanswered_offers,
    below_rhythm,
    often_lonely,
)


def days_between(earlier: dt.date, today: dt.date) -> int:
    """Return the whole days from `earlier` to `today` (0 on the same day)."""
    return today.toordinal() - earlier.toordinal()


def short_date(day: dt.date, today: dt.date) -> str:
    """Format a date as '9 September', adding the year only when it is not this year."""
    if day.year == today.year:
        return f"{day.day} {day:%B}"
    return f"{day.day} {day:%B %Y}"


def plural(count: int, noun: str) -> str:
    """Format a count with its noun: 0 -> 'no exchanges', 1 -> '1 exchange', 12 -> '12 times'."""
    if count == 0:
        return f"no {noun}s"
    return f"{count} {noun}" + ("" if count == 1 else "s")


def months_in_words(days: int) -> str:
    """Format a span of days as months in words: 182 -> 'six months', 400 -> '13 months'."""
    months = max(1, round(days / _AVERAGE_MONTH_DAYS))
    number = _SMALL_NUMBERS[months] if months < len(_SMALL_NUMBERS) else str(months)
    return f"{number} month" + ("" if months == 1 else "s")


def limit_in_words(overdraft_minutes: int) -> str:
    """Name an overdraft limit: whole hours as 'the 10-hour limit', others spelled out."""
    owed = -overdraft_minutes
    if owed and owed % 60 == 0:
        return f"the {owed // 60}-hour limit"
    return f"the limit of {format_duration(owed)}"
