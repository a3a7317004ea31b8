"""Outreach: the dormancy scan's flags kept as a worklist, and what brokers do about them.

`refresh_flags` turns the scan's flags into `OutreachFlag` rows: it raises new ones, keeps the
words of open ones up to date, clears those whose reason no longer holds (the member traded
again, posted an offer, left or asked not to be contacted) and reopens snoozed ones whose
date has come. Brokers then work on a member: assign, record a contact, snooze, resolve, text
a nudge. A broker's action covers all of that member's open flags, since one call deals with
every reason at once, and each action writes an audit line (who, when).

A flag a broker resolved is not raised again for the same reason while the same spell lasts:
only when the reason began after the resolution (e.g. they traded, then went quiet again),
or once the bank's `dormant_after_days` have passed since, so that a quiet member is checked on
again rather than forgotten.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from timebank.broker.audit import record_action
from timebank.broker.dormancy import DormancySettings, Flag
from timebank.broker.models import CONTACT_METHODS, CONTACT_OUTCOMES, OutreachFlag
from timebank.broker.models import OutreachContact as Contact
from timebank.broker.scan import EXCHANGE_PHASES, scan_dormant
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotAllowed, NotFound
from timebank.ledger.models import Transfer
from timebank.ledger.queries import TRADE_CODES, member_account_id, today_in
from timebank.members.models import Member
from timebank.members.profile import member_of_bank
from timebank.sms import replies
from timebank.sms.gsm import segment_count, to_gsm7
from timebank.sms.optouts import is_opted_out
from timebank.sms.outbox import queue_sms
from timebank.tenancy.models import TimeBank

# Flags still on the worklist; resolved and cleared ones are history.
OPEN_STATUSES = ("open", "snoozed")
# Outcomes that end the outreach; "needs_support" keeps the member on the worklist.
RESOLVING_OUTCOMES = ("re_engaged", "paused", "left")
MAX_SNOOZE_DAYS = 365
NOTE_LIMIT = 500
# How many flags the refresh compares with the stored ones at a time.
REFRESH_BATCH = 500
NUDGE_PURPOSE = "outreach_nudge"
NUDGE_PLACEHOLDERS = ("{first_name}", "{bank}", "{broker}")


class InvalidDetail(InvalidInput):
    """Invalid input about one field of a form (`field`), in plain words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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
    # SQLite hands back naive datetimes; every stored time is UTC.
    aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return aware.date()


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
                Member.role.in_(("broker", "admin")),
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


def _worklist_query(bank_id: int, broker_id: int, view: str, status: str) -> sa.Select:
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
    session: so.Session, bank_id: int, rows: Sequence[sa.Row], snoozed: bool
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
            Transfer.code.in_(TRADE_CODES),
            Transfer.phase.in_(EXCHANGE_PHASES),
            sa.or_(
                Transfer.credit_account_id == account_id, Transfer.debit_account_id == account_id
            ),
        )
    )


# --- What brokers do -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """The member a flag is about, their open flags, and the broker acting on them."""

    bank: TimeBank
    member: Member
    broker: Member
    flags: list[OutreachFlag]


def _case(session: so.Session, bank_id: int, flag_id: int, broker_id: int) -> Case:
    """Check the broker and the flag belong to the bank and the member still needs outreach."""
    broker = member_of_bank(session, bank_id, broker_id)
    if not broker.has_role("broker"):
        raise NotAllowed("Only a broker can work on outreach.")
    flag = flag_in_bank(session, bank_id, flag_id)
    member = member_of_bank(session, bank_id, flag.member_id)
    flags = member_flags(session, bank_id, member.id)
    if not flags:
        raise InvalidInput(f"{member.display_name} is no longer on the worklist.")
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    return Case(bank, member, broker, flags)


def _audit(session: so.Session, case: Case, action: str, flag_id: int, detail: str = "") -> None:
    record_action(
        session,
        case.bank.id,
        case.broker.id,
        action,
        member_id=case.member.id,
        subject=f"flag:{flag_id}",
        detail=detail,
    )


def _close(case: Case, outcome: str | None, stamp: dt.datetime) -> None:
    for flag in case.flags:
        flag.status, flag.outcome, flag.snoozed_until = "resolved", outcome, None
        flag.resolved_at, flag.resolved_by_id = stamp, case.broker.id


@use_case
def assign(
    session: so.Session, bank_id: int, flag_id: int, broker_id: int, to_broker_id: int
) -> Member:
    """Give a member's outreach to a broker of the same time bank; return that broker."""
    case = _case(session, bank_id, flag_id, broker_id)
    target = session.get(Member, to_broker_id)
    if target is None or target.bank_id != bank_id:
        raise InvalidDetail("broker", "Choose a broker of this time bank.")
    if not target.has_role("broker") or target.status != "active":
        raise InvalidDetail("broker", f"{target.display_name} is not an active broker.")
    for flag in case.flags:
        flag.assigned_to_id = target.id
    _audit(session, case, "flag_assigned", flag_id, f"to {target.display_name}")
    session.commit()
    return target


@use_case
def record_contact(
    session: so.Session,
    bank_id: int,
    flag_id: int,
    broker_id: int,
    method: str,
    outcome: str | None = None,
    note: str = "",
    now: Callable[[], dt.datetime] = utcnow,
) -> Contact:
    """Record a try at reaching a member; an outcome that ends the outreach resolves it."""
    case = _case(session, bank_id, flag_id, broker_id)
    _check_contact(method, outcome, note)
    contact = _add_contact(session, case, flag_id, method, outcome, note.strip(), now())
    if outcome in RESOLVING_OUTCOMES:
        _close(case, outcome, contact.created_at)
    elif outcome == "needs_support":
        for flag in case.flags:
            flag.assigned_to_id = flag.assigned_to_id or case.broker.id
    detail = method + (f", {outcome}" if outcome else "")
    _audit(session, case, "outreach_contact", flag_id, detail)
    session.commit()
    return contact


def _check_contact(method: str, outcome: str | None, note: str) -> None:
    if method not in CONTACT_METHODS:
        raise InvalidDetail("method", "Choose how you tried to reach them.")
    if outcome is not None and outcome not in CONTACT_OUTCOMES:
        raise InvalidDetail("outcome", "Choose how it went, or leave it unset.")
    if len(note.strip()) > NOTE_LIMIT:
        raise InvalidDetail("note", f"Keep the note to {NOTE_LIMIT} characters.")


def _add_contact(
    session: so.Session,
    case: Case,
    flag_id: int,
    method: str,
    outcome: str | None,
    note: str,
    stamp: dt.datetime,
) -> Contact:
    contact = Contact(
        bank_id=case.bank.id,
        flag_id=flag_id,
        member_id=case.member.id,
        broker_id=case.broker.id,
        method=method,
        outcome=outcome,
        note=note,
        created_at=stamp,
    )
    session.add(contact)
    return contact


@use_case
def snooze(
    session: so.Session,
    bank_id: int,
    flag_id: int,
    broker_id: int,
    until: dt.date,
    now: Callable[[], dt.datetime] = utcnow,
) -> None:
    """Put a member's outreach aside until a date; the scan brings it back on that day."""
    case = _case(session, bank_id, flag_id, broker_id)
    today = today_in(case.bank.timezone, now)
    if until <= today:
        raise InvalidDetail("until", "Choose a date after today.")
    if until > today + dt.timedelta(days=MAX_SNOOZE_DAYS):
        raise InvalidDetail("until", "Choose a date within a year from today.")
    for flag in case.flags:
        flag.status, flag.snoozed_until = "snoozed", until
    _audit(session, case, "flag_snoozed", flag_id, f"until {until.isoformat()}")
    session.commit()


@use_case
def resolve(
    session: so.Session,
    bank_id: int,
    flag_id: int,
    broker_id: int,
    outcome: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> None:
    """Take a member off the worklist with how it ended (re-engaged, paused or left)."""
    if outcome not in RESOLVING_OUTCOMES:
        raise InvalidDetail("outcome", "Choose how it ended: re-engaged, paused or left.")
    case = _case(session, bank_id, flag_id, broker_id)
    _close(case, outcome, now())
    _audit(session, case, "flag_resolved", flag_id, outcome)
    session.commit()


@use_case
def member_do_not_contact(
    session: so.Session,
    bank_id: int,
    flag_id: int,
    broker_id: int,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Record that a member asked not to be contacted: off the worklist, never flagged again."""
    case = _case(session, bank_id, flag_id, broker_id)
    case.member.do_not_contact = True
    _close(case, None, now())
    _audit(session, case, "do_not_contact", flag_id, "asked not to be contacted")
    session.commit()
    return case.member


# --- The nudge by text -----------------------------------------------------------------------


def nudge_text(session: so.Session, bank_id: int, flag_id: int, broker_id: int) -> str:
    """Return the nudge a broker starts from: the bank's own wording, or the built-in one."""
    flag = flag_in_bank(session, bank_id, flag_id)
    member = member_of_bank(session, bank_id, flag.member_id)
    broker = member_of_bank(session, bank_id, broker_id)
    bank = session.get(TimeBank, bank_id)
    assert bank is not None
    if not (bank.nudge_template or "").strip():
        return replies.outreach_nudge(member.first_name, broker.first_name, bank.name)
    text = bank.nudge_template or ""
    for placeholder, value in zip(
        NUDGE_PLACEHOLDERS, (member.first_name, bank.name, broker.first_name), strict=True
    ):
        text = text.replace(placeholder, value)
    return to_gsm7(" ".join(text.split()))


@use_case
def send_nudge(
    session: so.Session,
    bank_id: int,
    flag_id: int,
    broker_id: int,
    text: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Contact:
    """Queue a one-text nudge to a flagged member and record it as a contact."""
    case = _case(session, bank_id, flag_id, broker_id)
    mobile = _textable(session, case.member)
    body = to_gsm7(" ".join(text.split()))
    if not body:
        raise InvalidDetail("text", "Write the text to send.")
    if segment_count(body) > 1:
        raise InvalidDetail(
            "text",
            f"This text is {len(body)} characters, so it would go as {segment_count(body)} "
            "texts. Shorten it to 160 characters so it goes as one.",
        )
    stamp = now()
    queue_sms(session, bank_id, mobile, body, NUDGE_PURPOSE, case.member.id, now=lambda: stamp)
    contact = _add_contact(session, case, flag_id, "texted", None, body, stamp)
    _audit(session, case, "nudge_sent", flag_id, body)
    session.commit()
    return contact


def _textable(session: so.Session, member: Member) -> str:
    """Return the member's mobile number, or say plainly why we cannot text them."""
    name = member.display_name
    if not member.mobile_e164:
        raise InvalidDetail("text", f"We have no mobile number for {name}, so we cannot text them.")
    if is_opted_out(session, member.bank_id, member.mobile_e164):
        raise InvalidDetail(
            "text", f"{name} has texted STOP to the time bank, so we cannot text them."
        )
    if not member.sms_notifications:
        raise InvalidDetail("text", f"{name} has turned off texts from the time bank.")
    return member.mobile_e164
