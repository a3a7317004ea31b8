"""Outreach: the dormancy scan's flags kept as a worklist.

`refresh_flags` turns the scan's flags into `OutreachFlag` rows: it raises new ones, keeps the
words of open ones up to date, clears those whose reason no longer holds (the member traded
again, posted an offer, left or asked not to be contacted) and reopens snoozed ones whose
date has come. What brokers read of the flags is in `outreach_worklist`, and what they do
about a member in `outreach_actions`.

A flag a broker resolved is not raised again for the same reason while the same spell lasts:
only when the reason began after the resolution (e.g. they traded, then went quiet again),
or once the bank's `dormant_after_days` have passed since, so that a quiet member is checked on
again rather than forgotten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from timebank.broker.dormancy import DormancySettings, Flag
from timebank.broker.models import OutreachFlag
from timebank.broker.outreach_worklist import OPEN_STATUSES
from timebank.broker.scan import scan_dormant
from timebank.clock import as_utc, utcnow
from timebank.db import use_case
from timebank.errors import NotFound
from timebank.tenancy.models import TimeBank

# How many flags the refresh compares with the stored ones at a time.
REFRESH_BATCH = 500


@dataclass
class RefreshSummary:
    """What one refresh of a time bank's flags did."""

    raised: int = 0
    refreshed: int = 0
    cleared: int = 0
    reopened: int = 0

    def words(self) -> str:
        """Return the counts as one line for the command's output."""
        return (
            f"raised {self.raised}, refreshed {self.refreshed}, "
            f"cleared {self.cleared}, reopened {self.reopened}"
        )


def settings_for(bank: TimeBank) -> DormancySettings:
    """Return a time bank's dormancy thresholds (the rest keep their defaults)."""
    return DormancySettings(
        inactive_days=bank.dormant_after_days, first_exchange_days=bank.first_exchange_days
    )


# --- The scan's flags, kept ----------------------------------------------------------------


@use_case
def refresh_flags(
    session: so.Session,
    bank_id: int,
    today: dt.date,
    now: Callable[[], dt.datetime] = utcnow,
) -> RefreshSummary:
    """Bring a time bank's outreach flags in line with today's dormancy scan, and commit."""
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise NotFound("There is no such time bank.")
    stamp, summary, seen = now(), RefreshSummary(), set[int]()
    holds_from = stamp - dt.timedelta(days=bank.dormant_after_days)
    batch: list[Flag] = []
    for flag in scan_dormant(session, bank_id, today, settings_for(bank)):
        batch.append(flag)
        if len(batch) >= REFRESH_BATCH:
            _apply(session, bank_id, batch, today, stamp, holds_from, summary, seen)
            batch = []
    _apply(session, bank_id, batch, today, stamp, holds_from, summary, seen)
    summary.cleared = _clear_unseen(session, bank_id, seen, stamp)
    session.commit()
    return summary


def _apply(
    session: so.Session,
    bank_id: int,
    flags: list[Flag],
    today: dt.date,
    stamp: dt.datetime,
    holds_from: dt.datetime,
    summary: RefreshSummary,
    seen: set[int],
) -> None:
    """Refresh the stored flags that match `flags` and raise the ones that are new."""
    if not flags:
        return
    members = {flag.member_id for flag in flags}
    stored = {(row.member_id, row.rule): row for row in _open_flags(session, bank_id, members)}
    held = _held(session, bank_id, members, holds_from)
    new = []
    for flag in flags:
        row = stored.get((flag.member_id, flag.rule))
        if row is None:
            resolved_on = held.get((flag.member_id, flag.rule))
            if resolved_on is None or flag.since > resolved_on:
                new.append(flag)
            continue
        seen.add(row.id)
        _refresh(row, flag, today, stamp, summary)
    seen.update(_raise(session, bank_id, new, _cases(stored.values()), stamp, summary))


def _cases(rows: Iterable[OutreachFlag]) -> dict[int, tuple[int | None, dt.date | None]]:
    """Return, per member, who has their case and until when it is put aside, if it is."""
    cases: dict[int, tuple[int | None, dt.date | None]] = {}
    for row in rows:
        assigned, until = cases.get(row.member_id, (None, None))
        if row.status == "snoozed" and row.snoozed_until is not None:
            until = max(until or row.snoozed_until, row.snoozed_until)
        cases[row.member_id] = (assigned or row.assigned_to_id, until)
    return cases


def _open_flags(session: so.Session, bank_id: int, members: Iterable[int]) -> list[OutreachFlag]:
    return list(
        session.scalars(
            sa.select(OutreachFlag).where(
                OutreachFlag.bank_id == bank_id,
                OutreachFlag.member_id.in_(members),
                OutreachFlag.status.in_(OPEN_STATUSES),
            )
        )
    )


def _held(
    session: so.Session, bank_id: int, members: Iterable[int], holds_from: dt.datetime
) -> dict[tuple[int, str], dt.date]:
    """Return the day of the latest recent resolution per member and rule."""
    rows = session.execute(
        sa.select(OutreachFlag.member_id, OutreachFlag.rule, sa.func.max(OutreachFlag.resolved_at))
        .where(
            OutreachFlag.bank_id == bank_id,
            OutreachFlag.member_id.in_(members),
            OutreachFlag.status == "resolved",
            OutreachFlag.resolved_at >= holds_from,
        )
        .group_by(OutreachFlag.member_id, OutreachFlag.rule)
    )
    return {(member_id, rule): _day(at) for member_id, rule, at in rows}


def _day(stamp: dt.datetime) -> dt.date:
    return as_utc(stamp).date()


def _refresh(
    row: OutreachFlag, flag: Flag, today: dt.date, stamp: dt.datetime, summary: RefreshSummary
) -> None:
    if row.reason != flag.reason or row.since != flag.since:
        row.reason, row.since = flag.reason[:300], flag.since
        summary.refreshed += 1
    row.seen_at = stamp
    if row.status == "snoozed" and (row.snoozed_until is None or row.snoozed_until <= today):
        row.status, row.snoozed_until = "open", None
        summary.reopened += 1


def _raise(
    session: so.Session,
    bank_id: int,
    flags: list[Flag],
    cases: dict[int, tuple[int | None, dt.date | None]],
    stamp: dt.datetime,
    summary: RefreshSummary,
) -> list[int]:
    """Insert new flags; one raised meanwhile by another scan is left as it is.

    A new reason joins the member's case as it stands: the same broker, and put aside until
    the same day if the case is.
    """
    if not flags:
        return []
    rows = []
    for flag in flags:
        assigned, until = cases.get(flag.member_id, (None, None))
        rows.append(
            {
                "bank_id": bank_id,
                "member_id": flag.member_id,
                "rule": flag.rule,
                "reason": flag.reason[:300],
                "since": flag.since,
                "status": "open" if until is None else "snoozed",
                "snoozed_until": until,
                "assigned_to_id": assigned,
                "raised_at": stamp,
                "seen_at": stamp,
            }
        )
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(OutreachFlag)
        .values(rows)
        .on_conflict_do_nothing(
            index_elements=["bank_id", "member_id", "rule"],
            # The partial unique index's own condition, so the database finds the index.
            index_where=sa.text("status IN ('open', 'snoozed')"),
        )
        .returning(OutreachFlag.id)
    )
    ids = list(session.scalars(statement))
    summary.raised += len(ids)
    if len(ids) < len(flags):
        # Another scan got there first: its flags are open, so they count as seen.
        ids = [row.id for row in _open_flags(session, bank_id, {f.member_id for f in flags})]
    return ids


def _clear_unseen(session: so.Session, bank_id: int, seen: set[int], stamp: dt.datetime) -> int:
    """Clear the open and snoozed flags the scan no longer raised; return how many."""
    stale = [
        flag_id
        for flag_id in session.scalars(
            sa.select(OutreachFlag.id).where(
                OutreachFlag.bank_id == bank_id, OutreachFlag.status.in_(OPEN_STATUSES)
            ),
            execution_options={"yield_per": REFRESH_BATCH},
        )
        if flag_id not in seen
    ]
    for start in range(0, len(stale), REFRESH_BATCH):
        session.execute(
            sa.update(OutreachFlag)
            .where(OutreachFlag.id.in_(stale[start : start + REFRESH_BATCH]))
            .values(status="cleared", resolved_at=stamp, resolved_by_id=None, snoozed_until=None),
            execution_options={"synchronize_session": False},
        )
    session.expire_all()
    return len(stale)
