"""The outreach worklist, read only: who is waiting, their flags, contacts and last exchange.

What the broker's worklist and case pages show; nothing here changes a flag. The flags are
kept by `outreach.refresh_flags` and worked on with `outreach_actions`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.broker.models import OutreachContact as Contact
from timebank.broker.models import OutreachFlag
from timebank.errors import NotFound
from timebank.ledger.models import Transfer, trade_condition
from timebank.ledger.queries import member_account_id
from timebank.members.acting import acting_member
from timebank.members.models import Member, roles_from

# Flags still on the worklist; resolved and cleared ones are history.
OPEN_STATUSES = ("open", "snoozed")


# --- Finding flags ---------------------------------------------------------------------------


def flag_in_bank(session: so.Session, bank_id: int, flag_id: int) -> OutreachFlag:
    """Return an outreach flag of this time bank or raise NotFound."""
    flag = session.get(OutreachFlag, flag_id)
    if flag is None or flag.bank_id != bank_id:
        raise NotFound("There is no such outreach flag in this time bank.")
    return flag


def member_flags(
    session: so.Session, bank_id: int, member_id: int, statuses: Sequence[str] = OPEN_STATUSES
) -> list[OutreachFlag]:
    """Return a member's flags with these statuses, the longest-waiting first."""
    return list(
        session.scalars(
            sa.select(OutreachFlag)
            .where(
                OutreachFlag.bank_id == bank_id,
                OutreachFlag.member_id == member_id,
                OutreachFlag.status.in_(statuses),
            )
            .order_by(OutreachFlag.since, OutreachFlag.id)
        )
    )


def contact_history(
    session: so.Session, bank_id: int, member_id: int, limit: int = 50
) -> list[tuple[Contact, str]]:
    """Return the latest contacts with a member, newest first, each with the broker's name."""
    broker = so.aliased(Member)
    rows = session.execute(
        sa.select(Contact, broker.display_name)
        .join(broker, broker.id == Contact.broker_id)
        .where(Contact.bank_id == bank_id, Contact.member_id == member_id)
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(limit)
    )
    return [(contact, name) for contact, name in rows]


def brokers_of(session: so.Session, bank_id: int) -> list[Member]:
    """Return the active brokers and admins of a time bank, by name."""
    return list(
        session.scalars(
            sa.select(Member)
            .where(
                Member.bank_id == bank_id,
                Member.role.in_(roles_from("broker")),
                Member.status == "active",
            )
            .order_by(Member.display_name, Member.id)
        )
    )


# --- The worklist ----------------------------------------------------------------------------

WORKLIST_VIEWS = ("all", "mine", "unassigned")
PAGE_SIZE = 40


@dataclass(frozen=True)
class WorklistEntry:
    """One member on the worklist: their reasons, since when, who has them, the last contact."""

    flag_id: int
    member_id: int
    name: str
    reasons: list[str]
    since: dt.date
    assigned_to: str | None
    snoozed_until: dt.date | None
    last_contact: Contact | None


@dataclass(frozen=True)
class WorklistPage:
    """One page of the worklist and where it sits among the others."""

    entries: list[WorklistEntry]
    total: int
    page: int
    pages: int


def worklist(
    session: so.Session,
    bank_id: int,
    broker_id: int,
    view: str = "all",
    snoozed: bool = False,
    page: int = 1,
) -> WorklistPage:
    """Return a page of members with open (or snoozed) flags, the longest-waiting first."""
    acting_member(session, bank_id, broker_id, "broker", "see the outreach worklist")
    grouped = _worklist_query(bank_id, broker_id, view, "snoozed" if snoozed else "open")
    total = session.scalar(sa.select(sa.func.count()).select_from(grouped.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.execute(
        grouped.order_by("since", OutreachFlag.member_id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return WorklistPage(_entries(session, bank_id, rows, snoozed), total, page, pages)


def _worklist_query(bank_id: int, broker_id: int, view: str, status: str) -> sa.Select[Any]:
    flag = OutreachFlag
    query = (
        sa.select(
            flag.member_id,
            sa.func.min(flag.since).label("since"),
            sa.func.min(flag.id).label("flag_id"),
            sa.func.max(flag.assigned_to_id).label("assigned_to_id"),
            sa.func.max(flag.snoozed_until).label("snoozed_until"),
        )
        .where(flag.bank_id == bank_id, flag.status == status)
        .group_by(flag.member_id)
    )
    if view == "mine":
        return query.having(sa.func.count(sa.case((flag.assigned_to_id == broker_id, 1))) > 0)
    if view == "unassigned":
        return query.having(sa.func.count(flag.assigned_to_id) == 0)
    return query


def _entries(
    session: so.Session, bank_id: int, rows: Sequence[sa.Row[Any]], snoozed: bool
) -> list[WorklistEntry]:
    members = [row.member_id for row in rows]
    people = {row.assigned_to_id for row in rows if row.assigned_to_id} | set(members)
    names = dict(
        session.execute(sa.select(Member.id, Member.display_name).where(Member.id.in_(people)))
        .tuples()
        .all()
    )
    reasons: dict[int, list[str]] = {}
    for flag in session.scalars(
        sa.select(OutreachFlag)
        .where(
            OutreachFlag.bank_id == bank_id,
            OutreachFlag.member_id.in_(members),
            OutreachFlag.status == ("snoozed" if snoozed else "open"),
        )
        .order_by(OutreachFlag.since, OutreachFlag.id)
    ):
        reasons.setdefault(flag.member_id, []).append(flag.reason)
    contacts = _last_contacts(session, bank_id, members)
    return [
        WorklistEntry(
            flag_id=row.flag_id,
            member_id=row.member_id,
            name=names.get(row.member_id, ""),
            reasons=reasons.get(row.member_id, []),
            since=row.since,
            assigned_to=names.get(row.assigned_to_id) if row.assigned_to_id else None,
            snoozed_until=row.snoozed_until,
            last_contact=contacts.get(row.member_id),
        )
        for row in rows
    ]


def _last_contacts(session: so.Session, bank_id: int, members: list[int]) -> dict[int, Contact]:
    latest = (
        sa.select(sa.func.max(Contact.id))
        .where(Contact.bank_id == bank_id, Contact.member_id.in_(members))
        .group_by(Contact.member_id)
    )
    found = session.scalars(sa.select(Contact).where(Contact.id.in_(latest)))
    return {contact.member_id: contact for contact in found}


def members_waiting(session: so.Session, bank_id: int) -> int:
    """Return how many members have an open outreach flag (snoozed ones wait for their day)."""
    return (
        session.scalar(
            sa.select(sa.func.count(sa.distinct(OutreachFlag.member_id))).where(
                OutreachFlag.bank_id == bank_id, OutreachFlag.status == "open"
            )
        )
        or 0
    )


def last_exchange_on(session: so.Session, bank_id: int, member_id: int) -> dt.date | None:
    """Return the day of a member's latest exchange with another member, if any."""
    account_id = member_account_id(session, bank_id, member_id)
    if account_id is None:
        return None
    return session.scalar(
        sa.select(sa.func.max(Transfer.happened_on)).where(
            Transfer.bank_id == bank_id,
            trade_condition(Transfer.__table__),
            sa.or_(
                Transfer.credit_account_id == account_id, Transfer.debit_account_id == account_id
            ),
        )
    )
