"""The id of every API write: the client's `id`, or one made from its Idempotency-Key.

The ledger replays a write whose id it has seen with the same body and refuses one with a
different body (409); these helpers only work out that id. An Idempotency-Key is mapped to
a UUID for this bank, caller and purpose, so keys never meet a client's random UUIDs.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import request
from flask_smorest import Blueprint
from webargs.flaskparser import abort as webargs_abort

from timebank.api.auth import caller
from timebank.errors import InvalidInput

# Ids made from an Idempotency-Key live here, so they never meet a client's random UUIDs.
IDEMPOTENCY_NAMESPACE = uuid.UUID("0b7d2f4e-8a61-4c1f-9f3e-5d2a7c9e1b40")
# Without an id or a key, a confirmation's or decline's id is made from what it says, so
# sending it again is a replay, while a different resolution of the same exchange is
# refused as already resolved.
RESOLUTION_NAMESPACE = uuid.UUID("5e0c8b1a-2f47-4d93-a6b8-41c7e2d90f55")
MAX_KEY_LENGTH = 200

_KEY_LENGTH = ma.validate.Length(min=1, max=MAX_KEY_LENGTH)
# The Idempotency-Key header as OpenAPI shows it: the alternative to an `id` in the body.
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "description": "Any string up to 200 characters, unique per write.",
    "schema": {
        "type": "string",
        "default": None,
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "nullable": True,
    },
    "required": False,
}


def idempotency_key() -> str | None:
    """Return the Idempotency-Key header, or None; answer 422 if it is empty or too long.

    Read here rather than through a schema of its own: a second schema parsed on every
    write cost more than the check itself. The 422 is the one a schema would give.
    """
    key = request.headers.get("Idempotency-Key")
    if key is not None:
        try:
            _KEY_LENGTH(key)
        except ma.ValidationError as error:
            messages = {"headers": {"Idempotency-Key": error.messages}}
            webargs_abort(422, exc=error, messages=messages)
    return key


def with_idempotency_key(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a write to check its Idempotency-Key before the body and pass it as `key`."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        return view(*args, key=idempotency_key(), **kwargs)

    documented: Callable[..., Any] = Blueprint.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])(checked)
    return documented


def write_id(body_id: uuid.UUID | None, key: str | None, purpose: str) -> uuid.UUID:
    """Return the id of a write: the body's `id`, else one made from the Idempotency-Key."""
    if body_id is not None:
        return body_id
    if key is None:
        raise InvalidInput(
            "Give this write an id: an 'id' (a UUID) in the body, or an Idempotency-Key header."
        )
    who = caller()
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{who.bank_id}:{who.member_id}:{purpose}:{key}")


def resolution_id(
    args: dict[str, Any], key: str | None, action: str, transfer_id: uuid.UUID, detail: object
) -> uuid.UUID:
    """Return a confirmation's or decline's id: the client's, else one made from the request.

    One Idempotency-Key names one confirmation or decline of the caller, whichever exchange
    it is sent for: reused for another action or exchange it is a conflict.
    """
    if args["id"] is not None or key is not None:
        return write_id(args["id"], key, "resolutions")
    who = caller()
    return uuid.uuid5(
        RESOLUTION_NAMESPACE, f"{who.bank_id}:{who.member_id}:{action}:{transfer_id}:{detail}"
    )
