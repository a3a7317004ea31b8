"""Reading exchanges for the API: one query, with both sides, the resolution and what a
reversal undoes; the shape each row takes; who may see it; and pages of them, newest first.

An exchange's state comes from the ledger (`timebank.ledger.states`), in SQL and in Python.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.api.auth import Caller, caller
from timebank.api.pagination import decode_cursor
from timebank.clock import as_utc
from timebank.errors import InvalidInput, NotFound
from timebank.ledger.models import Account, Transfer
from timebank.ledger.states import exchange_state, state_condition, state_when_recorded
from timebank.members.models import Member, Organisation
from timebank.offers.models import SkillCategory
from timebank.offers.skills import DEFAULT_SKILL_CATEGORIES

# Reading exchanges: one query, with both sides, the resolution and what a reversal undoes.

_t = Transfer.__table__.alias("t")
_resolution = Transfer.__table__.alias("resolution")
_reversed = Transfer.__table__.alias("reversed")
_giver_account = Account.__table__.alias("giver_account")
_receiver_account = Account.__table__.alias("receiver_account")
_giver = Member.__table__.alias("giver")
_receiver = Member.__table__.alias("receiver")
_giver_org = Organisation.__table__.alias("giver_org")
_receiver_org = Organisation.__table__.alias("receiver_org")

NEWEST_FIRST = (_t.c.happened_on.desc(), _t.c.recorded_at.desc(), _t.c.id.desc())


def exchanges_query(bank_id: int) -> sa.Select[Any]:
    """Build the query of the bank's exchanges (original transfers) as the API shows them."""
    return (
        sa.select(
            _t.c.id,
            _t.c.code,
            _t.c.phase,
            _t.c.amount,
            _resolution.c.phase.label("resolved_as"),
            _resolution.c.amount.label("resolved_amount"),
            _resolution.c.reason.label("resolved_reason"),
            _t.c.credit_account_id,
            _t.c.debit_account_id,
            _giver_account.c.member_id.label("giver_id"),
            sa.func.coalesce(_giver.c.display_name, _giver_org.c.name).label("giver_name"),
            _receiver_account.c.member_id.label("receiver_id"),
            sa.func.coalesce(_receiver.c.display_name, _receiver_org.c.name).label("receiver_name"),
            _t.c.happened_on,
            _t.c.recorded_at,
            _t.c.recorded_by_id,
            _t.c.skill_category,
            _t.c.description,
            _t.c.group_id,
            sa.func.coalesce(_reversed.c.pending_id, _t.c.reverses_id).label("reverses_id"),
            _t.c.reason,
        )
        .select_from(_t)
        .outerjoin(_resolution, _resolution.c.pending_id == _t.c.id)
        .outerjoin(_reversed, _reversed.c.id == _t.c.reverses_id)
        .join(_giver_account, _giver_account.c.id == _t.c.credit_account_id)
        .join(_receiver_account, _receiver_account.c.id == _t.c.debit_account_id)
        .outerjoin(_giver, _giver.c.id == _giver_account.c.member_id)
        .outerjoin(_receiver, _receiver.c.id == _receiver_account.c.member_id)
        .outerjoin(_giver_org, _giver_org.c.id == _giver_account.c.organisation_id)
        .outerjoin(_receiver_org, _receiver_org.c.id == _receiver_account.c.organisation_id)
        .where(_t.c.bank_id == bank_id, _t.c.phase.in_(("posted", "pending")))
    )


def _now(row: sa.Row[Any]) -> tuple[str, int, str | None]:
    """Return an exchange's state, the minutes that moved or will move, and the reason."""
    state = exchange_state(row.phase, row.resolved_as)
    if row.resolved_as is None:
        return state, row.amount, row.reason
    if state == "confirmed":
        return state, row.resolved_amount, row.reason
    return state, 0, row.resolved_reason


def state_is(state: str) -> sa.ColumnElement[bool]:
    """Return the condition that an exchange of `exchanges_query` is in `state`."""
    return state_condition(state, _t, _resolution)


def on_account(account_id: int) -> sa.ColumnElement[bool]:
    """Return the condition that an exchange gave to or took from one account."""
    return sa.or_(_t.c.debit_account_id == account_id, _t.c.credit_account_id == account_id)


def happened_between(first: dt.date | None, last: dt.date | None) -> list[sa.ColumnElement[bool]]:
    """Return the conditions that an exchange happened from `first` to `last` (if given)."""
    conditions = []
    if first is not None:
        conditions.append(_t.c.happened_on >= first)
    if last is not None:
        conditions.append(_t.c.happened_on <= last)
    return conditions


def exchange_body(row: sa.Row[Any], *, as_recorded: bool = False) -> dict[str, Any]:
    """Turn a row of `exchanges_query` into the API's shape: now, or as first recorded."""
    if as_recorded:
        state, minutes, reason = state_when_recorded(row.phase), row.amount, row.reason
    else:
        state, minutes, reason = _now(row)
    return {
        "id": row.id,
        "code": row.code,
        "state": state,
        "giver_id": row.giver_id,
        "receiver_id": row.receiver_id,
        "giver_account_id": row.credit_account_id,
        "receiver_account_id": row.debit_account_id,
        "minutes": minutes,
        "logged_minutes": row.amount,
        "happened_on": row.happened_on,
        "recorded_at": as_utc(row.recorded_at),
        "recorded_by_id": row.recorded_by_id,
        "skill_category": row.skill_category,
        "note": row.description,
        "group_id": row.group_id,
        "reverses_id": row.reverses_id,
        "reason": reason,
    }


def named_body(row: sa.Row[Any]) -> dict[str, Any]:
    """Return an exchange as it is now, with both sides named."""
    return exchange_body(row) | {"giver_name": row.giver_name, "receiver_name": row.receiver_name}


def exchange_row(session: so.Session, bank_id: int, transfer_id: uuid.UUID) -> sa.Row[Any] | None:
    """Return one exchange of this bank, or None."""
    return session.execute(exchanges_query(bank_id).where(_t.c.id == transfer_id)).first()


def group_rows(session: so.Session, bank_id: int, group_id: uuid.UUID) -> list[sa.Row[Any]]:
    """Return the transfers of one group exchange of this bank, in no set order."""
    query = exchanges_query(bank_id).where(_t.c.group_id == group_id, _t.c.code == "group")
    return list(session.execute(query).all())


def sees(row: sa.Row[Any]) -> bool:
    """Tell whether the caller may see this exchange: a broker, or one of its people."""
    who = caller()
    return who.at_least("broker") or who.member_id in (
        row.giver_id,
        row.receiver_id,
        row.recorded_by_id,
    )


def visible_exchange(session: so.Session, transfer_id: uuid.UUID) -> sa.Row[Any]:
    """Return an exchange the caller may see, or raise NotFound."""
    row = exchange_row(session, caller().bank_id, transfer_id)
    if row is None or not sees(row):
        raise NotFound(f"There is no exchange {transfer_id} for you in this time bank.")
    return row


# Pages, newest first: a cursor is the last row's day, time and id.


def cursor_key(cursor: str | None) -> tuple[dt.date, dt.datetime, uuid.UUID] | None:
    key = decode_cursor(cursor, 3)
    if key is None:
        return None
    try:
        day = dt.date.fromisoformat(key[0])
        stamp = as_utc(dt.datetime.fromisoformat(key[1]))
        last_id = uuid.UUID(key[2])
    except (TypeError, ValueError, AttributeError, OverflowError):
        raise InvalidInput(
            "That cursor is not one this API gave out. Start from the first page."
        ) from None
    return day, stamp, last_id


def after(key: tuple[dt.date, dt.datetime, uuid.UUID]) -> sa.ColumnElement[bool]:
    """Return the condition that a row comes after `key`, newest first."""
    day, stamp, last_id = key
    return sa.or_(
        _t.c.happened_on < day,
        sa.and_(_t.c.happened_on == day, _t.c.recorded_at < stamp),
        sa.and_(_t.c.happened_on == day, _t.c.recorded_at == stamp, _t.c.id < last_id),
    )


def key_of(item: dict[str, Any]) -> list[str]:
    return [item["happened_on"].isoformat(), item["recorded_at"].isoformat(), str(item["id"])]


# The kind of help: checked against the bank's own list.


def check_details(
    session: so.Session, bank_id: int, args: dict[str, Any], transfer_id: uuid.UUID
) -> None:
    """Check the kind of help is one the bank shows (the ledger checks the day).

    A write whose id is already used passes, whatever it says: the ledger then replays it
    or refuses it as a conflict, so a retry still succeeds after the bank hid a category.
    """
    skill = args["skill_category"]
    if skill is not None and not _known_skill(session, bank_id, skill, caller()):
        problem = f"'{skill}' is not one of this time bank's kinds of help."
    else:
        return
    if session.scalar(sa.select(Transfer.id).where(Transfer.id == transfer_id)) is None:
        raise InvalidInput(problem)


_skills = SkillCategory.__table__
# Whether the bank shows a category of that name, and whether it has its own list at all.
_SKILL_QUERY = sa.select(
    sa.exists().where(
        _skills.c.bank_id == sa.bindparam("bank_id"),
        _skills.c.name == sa.bindparam("name"),
        _skills.c.active.is_(True),
    ),
    sa.exists().where(_skills.c.bank_id == sa.bindparam("bank_id")),
)


def _known_skill(session: so.Session, bank_id: int, name: str, who: Caller) -> bool:
    """Tell whether members may choose this category now (`offers.skills`, in one query).

    A bank without its own rows uses the defaults; once it has rows, the shown rows. A
    token's query already said whether the bank has rows: without, no query is needed.
    """
    if who.own_skill_categories is False:
        return name in DEFAULT_SKILL_CATEGORIES
    shown, has_own = session.execute(_SKILL_QUERY, {"bank_id": bank_id, "name": name}).one()
    return bool(shown) or (not has_own and name in DEFAULT_SKILL_CATEGORIES)
