"""The times of the week an offer or request is for: slots, their stored mask, form words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from timebank.errors import InvalidInput

Part = Literal["morning", "afternoon", "evening"]
PARTS: tuple[Part, ...] = ("morning", "afternoon", "evening")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Slot:
    """A part of a day in the week: day 0 is Monday, 6 is Sunday."""

    day: int
    part: Part

    def sort_key(self) -> tuple[int, int]:
        """Order slots through the week, mornings before afternoons before evenings."""
        return (self.day, PARTS.index(self.part))

    def in_words(self) -> str:
        """Name the slot as a habit: 'Tuesday mornings'."""
        return f"{DAYS[self.day]} {self.part}s"


def slot_bit(slot: Slot) -> int:
    """Return the bit that stands for a slot in a stored mask (Monday morning is bit 0)."""
    return 1 << (slot.day * len(PARTS) + PARTS.index(slot.part))


def slots_to_mask(slots: Iterable[Slot]) -> int:
    """Pack slots into the integer stored in `listings.slots` (21 bits, 0 = not said)."""
    mask = 0
    for slot in slots:
        mask |= slot_bit(slot)
    return mask


# Masks repeat from member to member (a few habits cover most people): unpack each once.
@lru_cache(maxsize=4096)
def mask_to_slots(mask: int) -> frozenset[Slot]:
    """Unpack a stored mask into its slots."""
    return frozenset(
        Slot(day, part)
        for day in range(len(DAYS))
        for part in PARTS
        if mask & slot_bit(Slot(day, part))
    )


# How far a member will go to help, as the offer form words it.
TRAVEL_WORDS = {
    "own_area": "Only my own area",
    "nearby": "My area and nearby areas",
    "anywhere": "Anywhere",
}
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(len(DAYS)))


def slot_value(slot: Slot) -> str:
    """Return the form value of a slot: 'tue-morning'."""
    return f"{DAYS[slot.day][:3].lower()}-{slot.part}"


def slots_from_values(values: Iterable[str]) -> frozenset[Slot]:
    """Read the slots ticked on a form, or raise InvalidInput for a value we never sent."""
    days = {day[:3].lower(): number for number, day in enumerate(DAYS)}
    slots = set()
    for value in values:
        day, _, part = value.partition("-")
        if day not in days or part not in PARTS:
            raise InvalidInput("Choose the days and times from the list.")
        slots.add(Slot(days[day], _part(part)))
    return frozenset(slots)


def _part(name: str) -> Part:
    for part in PARTS:
        if part == name:
            return part
    raise InvalidInput("Choose the days and times from the list.")


def _join(words: list[str]) -> str:
    if len(words) < 2:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def _days_in_words(days: frozenset[int]) -> str:
    if days == EVERY_DAY:
        return "every day"
    if days == WEEKDAYS:
        return "weekday"
    if days == frozenset({5, 6}):
        return "weekend"
    return _join([DAYS[day] for day in sorted(days)])


def _group_in_words(days: frozenset[int], parts: frozenset[str]) -> str:
    named = _days_in_words(days)
    if len(parts) == len(PARTS):
        return f"{named}, all day" if named != "every day" else "any time"
    if named == "every day":
        return "every " + _join([part for part in PARTS if part in parts])
    return f"{named} " + _join([f"{part}s" for part in PARTS if part in parts])


def slots_in_words(slots: Iterable[Slot]) -> str:
    """Put a set of slots into words: 'Tuesday and Thursday mornings', or '' for none."""
    by_day: dict[int, set[str]] = {}
    for slot in slots:
        by_day.setdefault(slot.day, set()).add(slot.part)
    groups: dict[frozenset[str], set[int]] = {}
    for day, parts in sorted(by_day.items()):
        groups.setdefault(frozenset(parts), set()).add(day)
    ordered = sorted(groups.items(), key=lambda item: min(item[1]))
    text = "; ".join(_group_in_words(frozenset(days), parts) for parts, days in ordered)
    return text[:1].upper() + text[1:]


def mask_in_words(mask: int) -> str:
    """Put a stored `listings.slots` mask into words ('' when no times were given)."""
    return slots_in_words(mask_to_slots(mask))
