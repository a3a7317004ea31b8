"""An exchange's state, in one place: as SQL for queries and as Python for rows in hand.

An exchange is one original transfer (posted at once, or pending) and, for a pending one,
the transfer that later resolved it, if any. Its state is:

- `confirmed`: posted at once, or pending and then confirmed (`post_pending`);
- `waiting`: pending, and nothing has resolved it yet;
- `declined`: pending, then declined or withdrawn (`void_pending`).

A reversal is not a state of the exchange it corrects: it is a transfer of its own, posted
at once, so it reads as `confirmed`. `exchange_state` and `state_condition` say the same
thing; a test checks them against each other on every state.
"""

from __future__ import annotations

import sqlalchemy as sa

EXCHANGE_STATES = ("confirmed", "waiting", "declined")


def exchange_state(phase: str, resolved_as: str | None) -> str:
    """Return the state of an exchange from its original's phase and its resolution's."""
    if phase == "posted" or resolved_as == "post_pending":
        return "confirmed"
    return "declined" if resolved_as == "void_pending" else "waiting"


def state_when_recorded(phase: str) -> str:
    """Return an exchange's state at the moment it was recorded (nothing resolved it yet)."""
    return exchange_state(phase, None)


def state_condition(
    state: str, original: sa.FromClause, resolution: sa.FromClause
) -> sa.ColumnElement[bool]:
    """Return the SQL condition that an exchange is in `state`.

    `original` is the transfers table (or an alias) for the original transfers, and
    `resolution` an alias outer-joined on `resolution.pending_id == original.id`.
    """
    if state == "confirmed":
        return sa.or_(original.c.phase == "posted", resolution.c.phase == "post_pending")
    if state == "waiting":
        return sa.and_(original.c.phase == "pending", resolution.c.id.is_(None))
    if state == "declined":
        return resolution.c.phase == "void_pending"
    raise ValueError(f"{state!r} is not an exchange state: one of {', '.join(EXCHANGE_STATES)}")


def state_column(original: sa.FromClause, resolution: sa.FromClause) -> sa.ColumnElement[str]:
    """Return the SQL expression of an exchange's state, built from `state_condition`."""
    return sa.case(
        *((state_condition(state, original, resolution), state) for state in EXCHANGE_STATES)
    )
