"""marshmallow schemas and small helpers shared by the API's resources."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma

from timebank.api.pagination import decode_cursor
from timebank.clock import as_utc
from timebank.errors import InvalidInput

# Ids are 32-bit integers in every table; larger numbers in a path or cursor are nobody's.
MAX_ID = 2**31 - 1
# The URL rule for an id in a path: anything larger is a 404 before the view runs.
ID = f"int(max={MAX_ID})"


def plain_text(value: str) -> None:
    """Refuse text a database cannot store: NUL characters and lone surrogates."""
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ma.ValidationError("Use ordinary text, without control characters.")


class Text(ma.fields.String):
    """Text from a client, refused (422) when a database could not store it."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        plain_text(text)
        return text


class UtcDateTime(ma.fields.DateTime):
    """A moment in ISO 8601 with its offset; SQLite's naive times are UTC."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, dt.datetime):
            value = as_utc(value)
        return super()._serialize(value, attr, obj, **kwargs)


class BalanceSchema(ma.Schema):
    """A member's balance and limits, and the minutes waiting to be confirmed either way."""

    member_id = ma.fields.Integer(required=True)
    balance_minutes = ma.fields.Integer(
        required=True, metadata={"description": "Minutes given minus minutes received."}
    )
    min_balance_minutes = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The lowest the balance may go (the overdraft); null: none."},
    )
    max_balance_minutes = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The highest the balance may go; null: no limit."},
    )
    waiting_to_come_in_minutes = ma.fields.Integer(
        required=True, metadata={"description": "Help given, waiting for the other to confirm."}
    )
    waiting_to_go_out_minutes = ma.fields.Integer(
        required=True, metadata={"description": "Help received, waiting to be confirmed."}
    )


def balance_body(member_id: int, summary: Any) -> dict[str, Any]:
    """Shape a `timebank.ledger.queries.BalanceSummary` as `BalanceSchema`."""
    return {
        "member_id": member_id,
        "balance_minutes": summary.balance,
        "min_balance_minutes": summary.min_balance,
        "max_balance_minutes": summary.max_balance,
        "waiting_to_come_in_minutes": summary.waiting_to_come_in,
        "waiting_to_go_out_minutes": summary.waiting_to_go_out,
    }


def id_cursor(cursor: str | None) -> int | None:
    """Read a cursor that holds one id (the last item's), checking it is a sane id."""
    key = decode_cursor(cursor, 1)
    if key is None:
        return None
    value = key[0]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise InvalidInput("That cursor is not one this API gave out. Start from the first page.")
    return value
