"""Writing a checked plan in bulk, in the caller's transaction (nothing here commits).

The row-by-row services check limits, dates and who may log what, which history has no
use for and which would take minutes for a large bank. Here every table gets one
executemany, the transfers are posted at once with their own dates, and each touched
account's counters and trade days are set from what was inserted, so `flask ledger verify`
finds the log and the accounts agree. Limits are not applied to history: an account whose
history took it past its bank's limits keeps its balance, and its limit is moved to that
balance (as migration 0016 did for the community pot), so the CHECK constraints hold and
no new exchange can take it further.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.ledger.models import Account, Transfer, is_trade
from timebank.members.models import Member, Organisation
from timebank.offers.models import Listing
from timebank.porting.checks import CheckedPlan, Opening
from timebank.porting.models import ImportedRow
from timebank.porting.plan import POT, PlannedExchange
from timebank.tenancy.models import TimeBank

NAMESPACE = uuid.UUID("5b0c8f8e-4c36-4e0b-9a53-0d6c1f1f6a10")
BATCH = 5000
Progress = Callable[[str], Any]


@dataclass
class AccountMoves:
    """What the imported transfers add to one account."""

    debits: int = 0
    credits: int = 0
    given: list[dt.date] = field(default_factory=list)
    received: list[dt.date] = field(default_factory=list)


def _insert_many(
    session: so.Session, table: sa.Table, rows: Sequence[dict[str, Any]], returning: bool = True
) -> list[int]:
    """Insert rows in batches and return their new ids in the same order."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        if not batch:
            continue
        if returning:
            stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
            ids += [row[0] for row in session.execute(stmt, list(batch))]
        else:
            session.execute(sa.insert(table), list(batch))
    return ids


@dataclass
class KnownAccounts:
    """Source ids of the accounts the import may name: member ids here, and account ids."""

    members: dict[str, int]
    accounts: dict[str, int]
    # Exchanges' source ids and their transfers' ids here: imported before, and in this import.
    exchanges: dict[str, uuid.UUID] = field(default_factory=dict)


def _new_ids(session: so.Session, table: sa.Table, count: int) -> list[int]:
    """Reserve `count` ids for rows of `table` this transaction is about to copy in."""
    if count == 0:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        query = sa.text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)"
        )
        return [row[0] for row in conn.execute(query, {"table": table.name, "count": count})]
    # SQLite: the transaction began with BEGIN IMMEDIATE, so no other writer can take these.
    highest = conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
    return list(range(highest + 1, highest + 1 + count))


def _insert_with_ids(session: so.Session, table: sa.Table, rows: list[dict[str, Any]]) -> list[int]:
    """Give each row a new id, copy them all in, and return the ids in order."""
    ids = _new_ids(session, table, len(rows))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    _copy_rows(session, table, rows)
    return ids


def _copy_rows(session: so.Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows without ids to return: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        _insert_many(session, table, rows, returning=False)
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[column] for column in columns])


def _analyse(session: so.Session, *tables: str) -> None:
    """Refresh PostgreSQL's statistics of tables that just gained many rows.

    The foreign keys of the next COPY look each row up in these tables. With statistics
    from when they were nearly empty, the planner scans them whole for every row (10,000
    listings took 20 s); after ANALYZE it uses their unique indexes.
    """
    if session.connection().dialect.name == "postgresql":
        for table in tables:
            session.execute(sa.text(f"ANALYZE {table}"))


def write_plan(
    session: so.Session,
    bank: TimeBank,
    checked: CheckedPlan,
    known: KnownAccounts,
    progress: Progress,
) -> None:
    """Write everything `checked` would create, with a mark for each imported row."""
    now = dt.datetime.now(dt.UTC)
    marks: list[dict[str, Any]] = []
    new_accounts = _write_members(session, bank, checked, known, marks, now)
    _analyse(session, "members", "organisations")
    progress(f"Added {len(checked.members)} members and organisations.")
    _write_listings(session, bank, checked, known, marks, now)
    progress(f"Added {len(checked.listings)} offers and requests.")
    rows = _transfer_rows(bank, checked, known, marks)
    moves = _moves_of(rows)
    # New accounts go in with their final counters, before the transfers that name them.
    for row in new_accounts:
        row.update(
            _counted(row, moves.pop(row["id"], AccountMoves()), bank, row["member_id"] is not None)
        )
    _copy_rows(session, cast(sa.Table, Account.__table__), new_accounts)
    _analyse(session, "accounts")
    _copy_transfers(session, rows, progress)
    _set_counters(session, bank, moves)
    for mark in marks:
        mark.update(bank_id=bank.id, source=checked.plan.source, imported_at=now)
    _copy_rows(session, cast(sa.Table, ImportedRow.__table__), marks)


def _write_members(
    session: so.Session,
    bank: TimeBank,
    checked: CheckedPlan,
    known: KnownAccounts,
    marks: list[dict[str, Any]],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Copy in the new members and organisations; return their accounts' rows, not yet in."""
    people = [m for m in checked.members if m.kind == "member"]
    groups = [m for m in checked.members if m.kind != "member"]
    member_rows = [
        {
            "bank_id": bank.id, "display_name": m.name,
            "mobile_e164": checked.mobiles.get(m.source_id), "email": m.email,
            "status": m.status, "role": m.role, "area": m.area,
            "joined_at": m.joined_at or now, "skills": m.skills, "help_wanted": m.help_wanted,
            "availability": m.availability, "sms_notifications": True, "show_mobile": False,
            "show_area": True, "do_not_contact": False,
            "left_at": m.left_at or (now if m.status == "left" else None),
        }
        for m in people
    ]  # fmt: skip
    member_ids = _insert_with_ids(session, cast(sa.Table, Member.__table__), member_rows)
    org_rows = [
        {"bank_id": bank.id, "name": g.name, "kind": g.kind, "created_at": g.joined_at or now}
        for g in groups
    ]
    org_ids = _insert_with_ids(session, cast(sa.Table, Organisation.__table__), org_rows)
    account_rows = [
        _account_row(bank, member_id=i, is_open=m.status == "active", opened=m.joined_at or now)
        for m, i in zip(people, member_ids, strict=True)
    ] + [
        _account_row(bank, organisation_id=i, opened=g.joined_at or now)
        for g, i in zip(groups, org_ids, strict=True)
    ]
    account_ids = _new_ids(session, cast(sa.Table, Account.__table__), len(account_rows))
    for account, account_id in zip(account_rows, account_ids, strict=True):
        account["id"] = account_id
    for person, member_id in zip(people, member_ids, strict=True):
        known.members[person.source_id] = member_id
        marks.append({"kind": "member", "source_id": person.source_id, "target": str(member_id)})
    for group, org_id in zip(groups, org_ids, strict=True):
        marks.append({"kind": "organisation", "source_id": group.source_id, "target": str(org_id)})
    for planned, account_id in zip([*people, *groups], account_ids, strict=True):
        known.accounts[planned.source_id] = account_id
    return account_rows


def _account_row(
    bank: TimeBank,
    opened: dt.datetime,
    member_id: int | None = None,
    organisation_id: int | None = None,
    is_open: bool = True,
) -> dict[str, Any]:
    return {
        "bank_id": bank.id, "member_id": member_id, "organisation_id": organisation_id,
        "is_open": is_open, "opened_at": opened,
        # Members' limits are set with the counters, once the history is in (_set_counters).
        "min_balance": None, "max_balance": None,
        "debits_posted": 0, "credits_posted": 0, "debits_pending": 0, "credits_pending": 0,
        "trades_given": 0, "first_given_on": None, "last_given_on": None,
        "trades_received": 0, "first_received_on": None, "last_received_on": None,
    }  # fmt: skip


def _write_listings(
    session: so.Session,
    bank: TimeBank,
    checked: CheckedPlan,
    known: KnownAccounts,
    marks: list[dict[str, Any]],
    now: dt.datetime,
) -> None:
    rows = [
        {
            "bank_id": bank.id, "member_id": known.members[listing.member], "kind": listing.kind,
            "skill_category": listing.category, "title": listing.title,
            "description": listing.description, "availability": listing.availability,
            "area": listing.area, "slots": listing.slots, "travel": listing.travel,
            "needs_check": listing.needs_check, "status": listing.status,
            "created_at": listing.created_at or now, "updated_at": listing.created_at or now,
        }
        for listing in checked.listings
    ]  # fmt: skip
    ids = _insert_with_ids(session, cast(sa.Table, Listing.__table__), rows)
    for listing, listing_id in zip(checked.listings, ids, strict=True):
        marks.append({"kind": "listing", "source_id": listing.source_id, "target": str(listing_id)})


def _transfer_rows(
    bank: TimeBank,
    checked: CheckedPlan,
    known: KnownAccounts,
    marks: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Return the historic exchanges and the opening balances as transfer rows, oldest first."""
    source = checked.plan.source
    for exchange in checked.exchanges:
        known.exchanges[exchange.source_id] = uuid.uuid4()
    exchanges = [_exchange_row(bank.id, source, known, e) for e in checked.exchanges]
    openings = [_opening_row(bank.id, source, known, o) for o in checked.openings]
    for exchange, row in zip(checked.exchanges, exchanges, strict=True):
        marks.append(
            {"kind": "exchange", "source_id": exchange.source_id, "target": str(row["id"])}
        )
    for opening, row in zip(checked.openings, openings, strict=True):
        marks.append({"kind": "balance", "source_id": opening.account, "target": str(row["id"])})
    rows = exchanges + openings
    rows.sort(key=lambda row: (row["happened_on"], row["recorded_at"]))
    return rows


def _copy_transfers(session: so.Session, rows: list[dict[str, Any]], progress: Progress) -> None:
    table = cast(sa.Table, Transfer.__table__)
    step = BATCH * 10
    for start in range(0, len(rows), step):
        _copy_rows(session, table, rows[start : start + step])
        progress(f"Posted {min(start + step, len(rows))} of {len(rows)} historic transfers.")


def _exchange_row(
    bank_id: int, source: str, known: KnownAccounts, exchange: PlannedExchange
) -> dict[str, Any]:
    reverses = exchange.reverses
    return _transfer_row(
        bank_id,
        transfer_id=known.exchanges[exchange.source_id],
        debit=known.accounts[exchange.receiver],
        credit=known.accounts[exchange.giver],
        minutes=exchange.minutes,
        code=exchange.code,
        day=exchange.day,
        recorded_at=exchange.recorded_at,
        description=exchange.description,
        skill_category=exchange.category,
        reason=exchange.reason,
        reverses_id=known.exchanges[reverses] if reverses else None,
        group_id=uuid.uuid5(NAMESPACE, f"{bank_id}:{source}:group:{exchange.group}")
        if exchange.group
        else None,
    )


def _opening_row(
    bank_id: int, source: str, known: KnownAccounts, opening: Opening
) -> dict[str, Any]:
    """Move an account's balance with no history from (or to) the community pot."""
    account, pot = known.accounts[opening.account], known.accounts[POT]
    debit, credit = (pot, account) if opening.minutes > 0 else (account, pot)
    return _transfer_row(
        bank_id,
        transfer_id=uuid.uuid4(),
        debit=debit,
        credit=credit,
        minutes=abs(opening.minutes),
        code="adjustment",
        day=opening.day,
        recorded_at=None,
        description="Opening balance",
        reason=f"Opening balance brought over from {SOURCE_WORDS[source]} on import.",
    )


# Imported transfers were not requested through the API: no request of a client's can
# match this digest, so reusing one of their ids is always a conflict, never a replay.
IMPORTED_DIGEST = hashlib.sha256(b"imported history").hexdigest()
SOURCE_WORDS = {"template": "the imported files", "timeoverflow": "TimeOverflow"}


def _transfer_row(
    bank_id: int,
    transfer_id: uuid.UUID,
    debit: int,
    credit: int,
    minutes: int,
    code: str,
    day: dt.date,
    recorded_at: dt.datetime | None,
    **details: Any,
) -> dict[str, Any]:
    return {
        "id": transfer_id, "bank_id": bank_id, "debit_account_id": debit,
        "credit_account_id": credit, "amount": minutes, "code": code, "phase": "posted",
        "happened_on": day,
        "recorded_at": recorded_at or dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
        "recorded_by_id": None, "request_digest": IMPORTED_DIGEST, "pending_id": None,
        "reverses_id": None, "group_id": None, "description": "", "skill_category": None,
        "reason": None,
    } | details  # fmt: skip


def _moves_of(rows: Iterable[dict[str, Any]]) -> dict[int, AccountMoves]:
    moves: dict[int, AccountMoves] = {}
    for row in rows:
        debit = moves.setdefault(row["debit_account_id"], AccountMoves())
        credit = moves.setdefault(row["credit_account_id"], AccountMoves())
        debit.debits += row["amount"]
        credit.credits += row["amount"]
        if is_trade(row["code"], row["phase"]):
            debit.received.append(row["happened_on"])
            credit.given.append(row["happened_on"])
    return moves


_COUNTER_COLUMNS = (
    "id", "debits_posted", "credits_posted", "debits_pending", "credits_pending",
    "min_balance", "max_balance", "trades_given", "first_given_on", "last_given_on",
    "trades_received", "first_received_on", "last_received_on",
)  # fmt: skip


def _set_counters(session: so.Session, bank: TimeBank, moves: dict[int, AccountMoves]) -> None:
    """Add the moves to accounts that were there before, moving limits the history passes."""
    table = cast(sa.Table, Account.__table__)
    touched = sorted(moves)
    updates = []
    for start in range(0, len(touched), BATCH):
        ids = touched[start : start + BATCH]
        query = sa.select(*(table.c[name] for name in _COUNTER_COLUMNS)).where(table.c.id.in_(ids))
        for row in session.execute(query).mappings():
            counted = _counted(dict(row), moves[row["id"]], bank, limited=False)
            updates.append({f"b_{name}": value for name, value in counted.items()})
    if updates:
        stmt = (
            sa.update(table)
            .where(table.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(f"b_{name}") for name in _COUNTER_COLUMNS[1:]})
        )
        for start in range(0, len(updates), BATCH):
            session.execute(stmt, updates[start : start + BATCH])


def _counted(
    row: dict[str, Any], move: AccountMoves, bank: TimeBank, limited: bool
) -> dict[str, Any]:
    """Return an account's counters with `move` added; `limited` gives it the bank's limits."""
    row = dict(row)
    row["debits_posted"] += move.debits
    row["credits_posted"] += move.credits
    for kind, days in (("given", move.given), ("received", move.received)):
        if days:
            row[f"trades_{kind}"] += len(days)
            first, last = row[f"first_{kind}_on"], row[f"last_{kind}_on"]
            row[f"first_{kind}_on"] = min(days) if first is None else min(first, *days)
            row[f"last_{kind}_on"] = max(days) if last is None else max(last, *days)
    if limited:
        row["min_balance"], row["max_balance"] = bank.overdraft_minutes, bank.max_balance_minutes
    lowest = row["credits_posted"] - row["debits_posted"] - row["debits_pending"]
    highest = row["credits_posted"] + row["credits_pending"] - row["debits_posted"]
    if row["min_balance"] is not None and lowest < row["min_balance"]:
        row["min_balance"] = lowest
    if row["max_balance"] is not None and highest > row["max_balance"]:
        row["max_balance"] = highest
    return row
