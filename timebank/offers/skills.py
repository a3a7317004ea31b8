"""The skill categories members choose from when they log hours or post an offer.

A time bank starts with the defaults below. The first time an admin edits the list, the
defaults are copied into the bank's own `skill_categories` rows, and from then on the rows
are the list: renamed, reordered, hidden or marked as needing a checked helper.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.members.acting import acting_member
from timebank.offers.models import Listing, SkillCategory
from timebank.tenancy.audit import record_action

DEFAULT_SKILL_CATEGORIES = (
    "Practical help",
    "Gardening",
    "Befriending and conversation",
    "Transport and lifts",
    "Shopping and errands",
    "IT help",
    "Teaching and languages",
    "Admin and forms",
    "Creative and crafts",
    "Cooking and meals",
    "Care and wellbeing",
    "Pets",
    "Other",
)
# Help in these default categories means close personal contact, often in someone's home,
# so only a member with a current safeguarding check (a DBS) is matched for it.
DEFAULT_NEEDS_CHECK = frozenset({"Care and wellbeing"})
NAME_LIMIT = 60


@dataclass(frozen=True)
class Category:
    """One skill category as a time bank uses it (a default or one of its own rows)."""

    name: str
    position: int
    needs_check: bool = False
    active: bool = True


def default_categories() -> list[Category]:
    """Return the default categories, in order, as a bank without its own rows sees them."""
    return [
        Category(name, position, name in DEFAULT_NEEDS_CHECK)
        for position, name in enumerate(DEFAULT_SKILL_CATEGORIES)
    ]


def _rows(session: so.Session, bank_id: int) -> list[SkillCategory]:
    return list(
        session.scalars(
            sa.select(SkillCategory)
            .where(SkillCategory.bank_id == bank_id)
            .order_by(SkillCategory.position, SkillCategory.id)
        )
    )


def all_categories(session: so.Session, bank_id: int) -> list[Category]:
    """Return every category of the bank in order, hidden ones included."""
    rows = _rows(session, bank_id)
    if not rows:
        return default_categories()
    return [Category(row.name, row.position, row.needs_check, row.active) for row in rows]


def skill_categories(session: so.Session, bank_id: int) -> tuple[str, ...]:
    """Return the names of the categories members may choose now, in the bank's order."""
    return tuple(c.name for c in all_categories(session, bank_id) if c.active)


def category_needs_check(session: so.Session, bank_id: int, name: str) -> bool:
    """Return True when help in this category needs a helper with a current check."""
    return any(c.name == name and c.needs_check for c in all_categories(session, bank_id))


def skill_in_sentence(category: str | None) -> str:
    """Return a skill category as it reads inside a sentence: 'Gardening' -> 'gardening'."""
    if not category:
        return "help"
    if len(category) > 1 and category[1].isupper():  # an initialism such as "IT help"
        return category
    return category[0].lower() + category[1:]


# Editing the list (admins). Every change is one transaction with its audit line.


def _own_rows(session: so.Session, bank_id: int) -> list[SkillCategory]:
    """Return the bank's rows, first copying the defaults in if it has none yet."""
    rows = _rows(session, bank_id)
    if rows:
        return rows
    for category in default_categories():
        session.add(
            SkillCategory(
                bank_id=bank_id,
                name=category.name,
                position=category.position,
                needs_check=category.needs_check,
                active=True,
            )
        )
    session.flush()
    return _rows(session, bank_id)


def _find(rows: list[SkillCategory], name: str) -> SkillCategory:
    for row in rows:
        if row.name == name:
            return row
    raise NotFound("There is no such skill category in this time bank.")


def _clean_name(rows: list[SkillCategory], name: str, keep: SkillCategory | None = None) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidInput("Enter a name for the kind of help.")
    if len(cleaned) > NAME_LIMIT:
        raise InvalidInput(f"A name can have at most {NAME_LIMIT} characters.")
    if any(row.name.lower() == cleaned.lower() and row is not keep for row in rows):
        raise InvalidInput(f"There is already a kind of help called {cleaned}.")
    return cleaned


def _audit(
    session: so.Session, row: SkillCategory, actor_id: int, action: str, detail: str
) -> None:
    record_action(session, row.bank_id, actor_id, action, subject=f"skill:{row.id}", detail=detail)


@use_case
def add_category(
    session: so.Session, bank_id: int, actor_id: int, name: str, needs_check: bool = False
) -> SkillCategory:
    """Add a kind of help at the end of the bank's list."""
    acting_member(session, bank_id, actor_id, "admin", "change the kinds of help")
    rows = _own_rows(session, bank_id)
    row = SkillCategory(
        bank_id=bank_id,
        name=_clean_name(rows, name),
        position=max((r.position for r in rows), default=-1) + 1,
        needs_check=needs_check,
        active=True,
    )
    session.add(row)
    session.flush()
    _audit(session, row, actor_id, "skill_added", row.name)
    session.commit()
    return row


@use_case
def rename_category(
    session: so.Session, bank_id: int, actor_id: int, name: str, new_name: str
) -> SkillCategory:
    """Rename a kind of help, and the open offers and requests filed under it.

    Closed listings and recorded exchanges keep the name they were given at the time.
    """
    acting_member(session, bank_id, actor_id, "admin", "change the kinds of help")
    rows = _own_rows(session, bank_id)
    row = _find(rows, name)
    cleaned = _clean_name(rows, new_name, keep=row)
    old, row.name = row.name, cleaned
    session.execute(
        sa.update(Listing)
        .where(Listing.bank_id == bank_id, Listing.status == "open", Listing.skill_category == old)
        .values(skill_category=cleaned)
    )
    _audit(session, row, actor_id, "skill_renamed", f"{old} -> {cleaned}")
    session.commit()
    return row


@use_case
def move_category(
    session: so.Session, bank_id: int, actor_id: int, name: str, up: bool
) -> SkillCategory:
    """Move a kind of help one place up or down the list."""
    acting_member(session, bank_id, actor_id, "admin", "change the kinds of help")
    rows = _own_rows(session, bank_id)
    row = _find(rows, name)
    at = rows.index(row)
    other = at - 1 if up else at + 1
    if 0 <= other < len(rows):
        rows[at], rows[other] = rows[other], rows[at]
    for position, each in enumerate(rows):
        each.position = position
    _audit(session, row, actor_id, "skill_moved", f"{row.name} to place {rows.index(row) + 1}")
    session.commit()
    return row


@use_case
def set_category_shown(
    session: so.Session, bank_id: int, actor_id: int, name: str, shown: bool
) -> SkillCategory:
    """Hide a kind of help from new listings and exchanges, or show it again."""
    acting_member(session, bank_id, actor_id, "admin", "change the kinds of help")
    rows = _own_rows(session, bank_id)
    row = _find(rows, name)
    if not shown and sum(1 for r in rows if r.active) <= 1 and row.active:
        raise InvalidInput("Keep at least one kind of help for members to choose.")
    row.active = shown
    _audit(session, row, actor_id, "skill_shown" if shown else "skill_hidden", row.name)
    session.commit()
    return row


@use_case
def set_category_needs_check(
    session: so.Session, bank_id: int, actor_id: int, name: str, needs_check: bool
) -> SkillCategory:
    """Say whether help of this kind needs a helper with a current safeguarding check."""
    acting_member(session, bank_id, actor_id, "admin", "change the kinds of help")
    row = _find(_own_rows(session, bank_id), name)
    row.needs_check = needs_check
    action = "skill_needs_check" if needs_check else "skill_no_check"
    _audit(session, row, actor_id, action, row.name)
    session.commit()
    return row
