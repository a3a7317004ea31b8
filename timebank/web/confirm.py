""" "Are you sure?" pages: an action that is hard to undo asks first, on a page of its own.

Declining an exchange, closing an offer or request, blocking a match and recording that a
member asked not to be contacted each start with a button that only shows this page. The
page says plainly what will happen; its "Yes" button posts (with the CSRF token) to the
endpoint that acts, which is unchanged, and "No, go back" is a plain link. It needs no
JavaScript.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template


@dataclass(frozen=True)
class Question:
    """What an "Are you sure?" page asks, and where its two answers go."""

    heading: str
    what_happens: str
    yes: str
    action: str
    back: str
    # Hidden fields the acting endpoint needs, carried unchanged: (name, value).
    carried: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    details: tuple[str, ...] = field(default_factory=tuple)


def are_you_sure(question: Question) -> str:
    """Render the page asking `question`."""
    return render_template("confirm/are_you_sure.html", question=question)
