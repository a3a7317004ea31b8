"""Invite the members an import brought in to sign in, by text, at a gentle rate.

An import texts nobody. When the admin chooses, each imported member who can be reached
(active, a mobile, no STOP, not marked "do not contact") and who has never signed in is
sent one invitation, once ever. The texts go through the outbox spaced out: no more than
`per_hour` an hour, and only between 9:00 and 20:00 in the bank's time zone, the hours
the bank's other unprompted texts keep to. The worker sends none before its time.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import as_utc
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.members.acting import acting_member
from timebank.members.models import Member
from timebank.outcomes.questions import ASK_FROM_HOUR, ASK_UNTIL_HOUR
from timebank.phones import allowed_mobile
from timebank.porting.models import ImportedRow
from timebank.sms.models import OptOut, OutboxMessage
from timebank.sms.outbox import queue_sms
from timebank.sms.replies import imported_member_invitation
from timebank.tenancy.audit import record_action
from timebank.tenancy.models import TimeBank

PURPOSE = "import_invitation"
DEFAULT_PER_HOUR = 30
MOST_PER_HOUR = 600


@dataclass(frozen=True)
class InvitationRun:
    """What a run queued (or, as a dry run, would queue): how many, and when they go."""

    queued: int
    per_hour: int
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    dry_run: bool = False


def check_rate(per_hour: int) -> int:
    """Return `per_hour` when it is a rate texts may go at, or say what is allowed."""
    if not 1 <= per_hour <= MOST_PER_HOUR:
        raise InvalidInput(
            f"Invitations go at 1 to {MOST_PER_HOUR} texts an hour; {per_hour} is not allowed."
        )
    return per_hour


def _to_invite(bank_id: int) -> sa.Select[tuple[Member]]:
    """Imported members of the bank who may be invited and never were, oldest import first."""
    imported = sa.select(ImportedRow.target).where(
        ImportedRow.bank_id == bank_id, ImportedRow.kind == "member"
    )
    opted_out = sa.select(OptOut.e164).where(OptOut.bank_id == bank_id, OptOut.opted_out)
    invited = sa.select(OutboxMessage.id).where(
        OutboxMessage.bank_id == bank_id,
        OutboxMessage.purpose == PURPOSE,
        OutboxMessage.member_id == Member.id,
    )
    return (
        sa.select(Member)
        .where(
            Member.bank_id == bank_id,
            sa.cast(Member.id, sa.String).in_(imported),
            Member.status == "active",
            Member.erased_at.is_(None),
            Member.mobile_e164.is_not(None),
            Member.mobile_e164.not_in(opted_out),
            Member.do_not_contact.is_(False),
            Member.last_sign_in_at.is_(None),
            ~invited.exists(),
        )
        .order_by(Member.id)
    )


def _daytime(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Return `moment`, or the next 9:00 in the bank's zone when it falls outside the day."""
    local = moment.astimezone(zone)
    if ASK_FROM_HOUR <= local.hour < ASK_UNTIL_HOUR:
        return moment
    day = local.date() if local.hour < ASK_FROM_HOUR else local.date() + dt.timedelta(days=1)
    opening = dt.datetime.combine(day, dt.time(ASK_FROM_HOUR), tzinfo=zone)
    return opening.astimezone(dt.UTC)


def gap(per_hour: int) -> dt.timedelta:
    """Return the time between two texts: whole seconds, rounded up, so an hour holds no more."""
    return dt.timedelta(seconds=math.ceil(3600 / per_hour))


def send_times(start: dt.datetime, per_hour: int, timezone: str) -> Iterator[dt.datetime]:
    """Yield when each text may go: `per_hour` an hour at most, in the bank's daytime only."""
    zone, step = zoneinfo.ZoneInfo(timezone), gap(per_hour)
    moment = as_utc(start)
    while True:
        moment = _daytime(moment, zone)
        yield moment
        moment += step


def _first_free_time(
    session: so.Session, bank_id: int, now: dt.datetime, per_hour: int
) -> dt.datetime:
    """Return when the next invitation may go: after those of an earlier run still waiting."""
    latest = session.scalar(
        sa.select(sa.func.max(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.bank_id == bank_id,
            OutboxMessage.purpose == PURPOSE,
            OutboxMessage.status == "queued",
        )
    )
    if latest is None or as_utc(latest) < now:
        return now
    return as_utc(latest) + gap(per_hour)


def admin_for_command(session: so.Session, slug: str, mobile: str | None) -> tuple[int, int]:
    """Return the bank's id and who acts for a command: the admin with `mobile`, or the first."""
    bank = session.scalar(sa.select(TimeBank).where(TimeBank.slug == slug))
    if bank is None:
        raise NotFound(f"There is no time bank called {slug}.")
    query = sa.select(Member.id).where(
        Member.bank_id == bank.id, Member.role == "admin", Member.status == "active"
    )
    if mobile:
        query = query.where(
            Member.mobile_e164 == allowed_mobile(mobile, bank.allowed_mobile_regions)
        )
    admin_id = session.scalar(query.order_by(Member.id).limit(1))
    if admin_id is None:
        raise NotFound(f"{bank.name} has no active admin with that mobile number.")
    return bank.id, admin_id


@use_case
def invite_imported_members(
    session: so.Session,
    bank_id: int,
    admin_id: int,
    per_hour: int,
    now: dt.datetime,
    sign_in_url: str,
    dry_run: bool = False,
) -> InvitationRun:
    """Queue one sign-in invitation for each imported member not yet invited, and commit.

    With `dry_run` nothing is written: the answer says how many would go, and when.
    """
    acting_member(session, bank_id, admin_id, "admin", "invite the imported members")
    check_rate(per_hour)
    # On PostgreSQL, a second run at the same moment waits here, then finds them invited.
    bank = session.get(TimeBank, bank_id, with_for_update=not dry_run)
    if bank is None:
        raise NotFound("There is no such time bank.")
    now = as_utc(now)
    times = send_times(_first_free_time(session, bank_id, now, per_hour), per_hour, bank.timezone)
    body = imported_member_invitation(bank.name, sign_in_url)
    queued, first_at, last_at = 0, None, None
    for member in session.scalars(_to_invite(bank_id)).all():
        if member.mobile_e164 is None:  # never: the query asks for a mobile
            continue
        last_at = next(times)
        first_at = first_at or last_at
        queued += 1
        if not dry_run:
            message = queue_sms(session, bank_id, member.mobile_e164, body, PURPOSE, member.id,
                                lambda: now)  # fmt: skip
            message.next_attempt_at = last_at
    run = InvitationRun(queued, per_hour, first_at, last_at, dry_run)
    if dry_run or not queued:
        session.rollback()
        return run
    record_action(session, bank_id, admin_id, "imported_members_invited", subject=f"bank:{bank_id}",
                  detail=f"{queued} invitation(s) by text, {per_hour} an hour, the last at "
                  f"{last_at.isoformat() if last_at else ''}")  # fmt: skip
    session.commit()
    return run
