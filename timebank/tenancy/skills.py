"""The skill categories members choose from when they log hours or post an offer."""

from __future__ import annotations

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


def skill_categories(bank_id: int | None = None) -> tuple[str, ...]:
    """Return the skill categories a time bank uses (the defaults until banks edit theirs)."""
    return DEFAULT_SKILL_CATEGORIES


def skill_in_sentence(category: str | None) -> str:
    """Return a skill category as it reads inside a sentence: 'Gardening' -> 'gardening'."""
    if not category:
        return "help"
    if len(category) > 1 and category[1].isupper():  # an initialism such as "IT help"
        return category
    return category[0].lower() + category[1:]
