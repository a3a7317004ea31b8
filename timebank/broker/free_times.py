"""Read the times of the week a member's free-text availability names."""

from __future__ import annotations

import re
from collections.abc import Iterable

from timebank.offers.times import PARTS, Part, Slot, mask_to_slots

_WEEKDAYS = frozenset(range(5))
_WEEKEND = frozenset({5, 6})
_EVERY_DAY = frozenset(range(7))
_DAY_WORDS: dict[str, frozenset[int]] = {
    **{word: frozenset({0}) for word in ("mon", "monday", "mondays")},
    **{word: frozenset({1}) for word in ("tue", "tues", "tuesday", "tuesdays")},
    **{word: frozenset({2}) for word in ("wed", "weds", "wednesday", "wednesdays")},
    **{word: frozenset({3}) for word in ("thu", "thur", "thurs", "thursday", "thursdays")},
    **{word: frozenset({4}) for word in ("fri", "friday", "fridays")},
    **{word: frozenset({5}) for word in ("sat", "saturday", "saturdays")},
    **{word: frozenset({6}) for word in ("sun", "sunday", "sundays")},
    **{word: _WEEKDAYS for word in ("weekday", "weekdays")},
    **{word: _WEEKEND for word in ("weekend", "weekends")},
}
_PART_WORDS: dict[str, Part] = {
    "morning": "morning",
    "mornings": "morning",
    "afternoon": "afternoon",
    "afternoons": "afternoon",
    "evening": "evening",
    "evenings": "evening",
    "night": "evening",
    "nights": "evening",
}
_NOT_LETTERS = re.compile(r"[^a-z]+")


def parse_slots(text: str) -> frozenset[Slot]:
    """Read the times of the week a free-text availability names; empty when it names none.

    Days and parts of the day go together in the order they are written: "Monday mornings
    and Friday afternoons" is two slots, "Mon and Wed evenings" two, "weekday afternoons"
    five. Days alone mean the whole day; parts alone mean every day. Anything else
    (dates, "with a day's notice", "not Fridays") is not understood and adds nothing.
    """
    slots: set[Slot] = set()
    days: set[int] = set()
    parts: set[Part] = set()
    for word in _NOT_LETTERS.split(text.lower()):
        if word in _DAY_WORDS:
            if days and parts:  # a new day after "Monday mornings" starts a new group
                slots |= _group(days, parts)
                days, parts = set(), set()
            days |= _DAY_WORDS[word]
        elif word in _PART_WORDS:
            parts.add(_PART_WORDS[word])
    if days or parts:
        slots |= _group(days, parts)
    return frozenset(slots)


def _group(days: Iterable[int], parts: Iterable[Part]) -> set[Slot]:
    """Return every slot of the days and parts, a missing side meaning all of it."""
    return {Slot(day, part) for day in (days or _EVERY_DAY) for part in (parts or PARTS)}


def slots_or_text(mask: int, text: str | None) -> frozenset[Slot]:
    """Return the slots a stored mask holds, or those its free text names when it holds none."""
    return mask_to_slots(mask) if mask else parse_slots(text or "")
