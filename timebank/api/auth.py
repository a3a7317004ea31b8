"""Who is calling the API: a personal token (`Authorization: Bearer tb_...`) or the web session.

Each API blueprint runs `load_caller` before its views. A token acts with its own role in
its own time bank; a signed-in web session acts as the member, and then, as for any form,
changes need the CSRF token (header `X-CSRFToken`). Rate limits count per token, or per
member for the web session, or per address when neither is given.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from flask import abort, current_app, g, request
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_smorest import Blueprint

from timebank.api import rate_limit
from timebank.api.json_body import SAFE_JSON_PARSER
from timebank.errors import NotAllowed
from timebank.extensions import csrf, db
from timebank.members.models import role_includes
from timebank.membership.tokens import authenticate, digest_of

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A practice's token is not a member's: it ranks below every member role.
PRACTICE_ROLE = "practice"

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Caller:
    """The member (or practice) a request acts for, in one time bank, with one role."""

    bank_id: int
    member_id: int
    role: str
    token_id: int | None = None
    partner_id: int | None = None
    # Whether the bank keeps its own kinds of help, when the token's query told (else None).
    own_skill_categories: bool | None = None

    def at_least(self, role: str) -> bool:
        """Tell whether the caller's role is `role` or above (admin > broker > member)."""
        if role == PRACTICE_ROLE:
            return True
        return self.role != PRACTICE_ROLE and role_includes(self.role, role)


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def load_caller() -> None:
    """Find the caller for this request, or answer 401; check CSRF for session changes."""
    token = _bearer()
    if token is not None:
        row = authenticate(db.session(), token)
        if row is None:
            abort(401, description="That API token is not valid, or it was revoked.")
        g.caller = Caller(
            row.bank_id,
            row.member_id,
            row.role,
            row.id,
            row.partner_id,
            bool(row.own_skill_categories),
        )
        return
    if request.headers.get("Authorization"):
        abort(401, description="Use 'Authorization: Bearer <your API token>'.")
    if current_user.is_authenticated:
        if request.method in UNSAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()
        g.caller = Caller(current_user.bank_id, current_user.id, current_user.role)
        return
    abort(401)


def caller() -> Caller:
    """Return the caller `load_caller` found (every API view runs after it)."""
    found: Caller = g.caller
    return found


def require_role(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a view so only callers of `role` or above reach it (403 otherwise)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            if not caller().at_least(role):
                raise NotAllowed(f"This needs the {role} role.")
            return view(*args, **kwargs)

        return guarded

    return decorate


def rate_limit_key() -> str:
    """Count requests per token, else per signed-in member, else per address."""
    token = _bearer()
    if token is not None:
        return "token:" + digest_of(token)[:24]
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return "address:" + (get_remote_address() or "unknown")


def count_request() -> None:
    """Count the request against its token's (or member's, or address's) API_RATE_LIMIT."""
    rate_limit.count_request(rate_limit_key())


def api_blueprint(name: str, import_name: str, description: str) -> Blueprint:
    """Make an API blueprint: token or session auth, CSRF only for sessions, per-token limits."""
    blp = Blueprint(name, import_name, url_prefix="/api/v1", description=description)
    # No body, however malformed, can crash a call: it gets 400 problem+json.
    blp.ARGUMENTS_PARSER = SAFE_JSON_PARSER
    # Counted before the caller is known, as a bad token counts too.
    blp.before_request(count_request)
    blp.before_request(load_caller)
    blp.after_request(rate_limit.add_headers)
    rate_limit.API_BLUEPRINTS.add(name)
    csrf.exempt(blp)
    return blp
