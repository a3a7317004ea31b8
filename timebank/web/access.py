"""Who may see a page: signed-in members, and brokers or admins for their own time bank."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import abort
from flask_login import current_user, login_required

from timebank.extensions import db
from timebank.members.models import Member
from timebank.tenancy.models import TimeBank

P = ParamSpec("P")
R = TypeVar("R")


def role_required(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let only signed-in members with `role` (or a higher one) through; others get 403."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        @login_required
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def current_bank() -> TimeBank:
    """Return the signed-in member's time bank."""
    bank = db.session.get(TimeBank, current_user.bank_id)
    assert bank is not None
    return bank


def member_in_bank(member_id: int) -> Member:
    """Return a member of the signed-in member's own time bank, or answer 404."""
    member = db.session.get(Member, member_id)
    if member is None or member.bank_id != current_user.bank_id:
        abort(404)
    return member
