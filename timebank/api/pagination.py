"""Cursor pagination for every API list: `?limit=` and `?cursor=`, answered with `next_cursor`.

A cursor is the sort key of the last item returned, as base64 of a JSON list: opaque to
clients, stable while rows are added (unlike page numbers), and checked when it comes
back, so a damaged cursor is a 422 in plain words rather than a server error.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import marshmallow as ma

from timebank.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageArgsSchema(ma.Schema):
    """The query parameters every list takes."""

    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"How many items to return (1-{MAX_LIMIT})."},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=500),
        metadata={"description": "The `next_cursor` of the previous page."},
    )


def page_schema(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    """Return a schema for one page of `item`: `items` and `next_cursor`."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True,
                required=True,
                metadata={"description": "Pass as `cursor` for the next page; null at the end."},
            ),
        },
        name=name,
    )


def encode_cursor(key: list[Any]) -> str:
    """Turn the last item's sort key (JSON-able values) into a cursor."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, length: int) -> list[Any] | None:
    """Read a cursor back into a sort key of `length` values; None for the first page."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != length:
        raise InvalidInput("That cursor is not one this API gave out. Start from the first page.")
    return key


def page(items: list[Any], limit: int, key_of: Any) -> dict[str, Any]:
    """Build the page from up to limit+1 fetched rows: the extra one says there is more."""
    more = len(items) > limit
    shown = items[:limit]
    return {
        "items": shown,
        "next_cursor": encode_cursor(key_of(shown[-1])) if more and shown else None,
    }
