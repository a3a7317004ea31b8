"""What brokers do about a member on the outreach worklist.

Brokers work on a member: assign, record a contact, snooze, resolve, text a nudge. A broker's
action covers all of that member's open flags, since one call deals with every reason at
once, and each action writes an audit line (who, when).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy.orm as so

from timebank.broker.models import CONTACT_METHODS, CONTACT_OUTCOMES, OutreachFlag
from timebank.broker.models import OutreachContact as Contact
from timebank.broker.outreach_worklist import flag_in_bank, member_flags
from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput
from timebank.members.acting import acting_member
from timebank.members.models import Member
from timebank.members.profile import member_of_bank
from timebank.sms import replies
from timebank.sms.gsm import segment_count, to_gsm7
from timebank.sms.optouts import is_opted_out
from timebank.sms.outbox import queue_sms
from timebank.tenancy.audit import record_action
from timebank.tenancy.days import today_in_zone
from timebank.tenancy.models import TimeBank

# Outcomes that end the outreach; "needs_support" keeps the member on the worklist.
RESOLVING_OUTCOMES = ("re_engaged", "paused", "left")
MAX_SNOOZE_DAYS = 365
NOTE_LIMIT = 500
NUDGE_PURPOSE = "outreach_nudge"
NUDGE_PLACEHOLDERS = ("{first_name}", "{bank}", "{broker}")


class InvalidDetail(InvalidInput):
    """Invalid input about one field of a form (`field`), in plain words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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
    broker = acting_member(session, bank_id, broker_id, "broker", "work on outreach")
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
    today = today_in_zone(case.bank.timezone, now)
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
    broker = acting_member(session, bank_id, broker_id, "broker", "work on outreach")
    flag = flag_in_bank(session, bank_id, flag_id)
    member = member_of_bank(session, bank_id, flag.member_id)
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
