"""Joining, organisations and member status: the parts of membership the ledger needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidInput, NotFound
from timebank.ledger.models import Account
from timebank.members.models import MEMBER_STATUSES, ORGANISATION_KINDS, ROLES, Member, Organisation
from timebank.members.sessions import end_member_access
from timebank.phones import allowed_mobile
from timebank.tenancy.models import TimeBank


def _bank(session: so.Session, bank_id: int) -> TimeBank:
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise NotFound("There is no such time bank.")
    return bank


@use_case
def add_member(
    session: so.Session,
    bank_id: int,
    display_name: str,
    mobile: str | None = None,
    email: str | None = None,
    role: str = "member",
    status: str = "active",
    area: str | None = None,
    now: Callable[[], dt.datetime] = utcnow,
    **details: str | dt.datetime | None,
) -> Member:
    """Add a member with an hour account that starts at zero, under the bank's limits.

    `details` may give skills, help_wanted, availability and consent_at.
    """
    member = stage_member(
        session, bank_id, display_name, mobile, email, role, status, area, now, **details
    )
    session.commit()
    return member


MEMBER_DETAILS = ("skills", "help_wanted", "availability", "consent_at")


def stage_member(
    session: so.Session,
    bank_id: int,
    display_name: str,
    mobile: str | None = None,
    email: str | None = None,
    role: str = "member",
    status: str = "active",
    area: str | None = None,
    now: Callable[[], dt.datetime] = utcnow,
    **details: str | dt.datetime | None,
) -> Member:
    """Add a member and their account in the caller's transaction, without committing."""
    bank = _bank(session, bank_id)
    name = (display_name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput("Please give a name of 1 to 80 characters.")
    if role not in ROLES:
        raise InvalidInput(f"A role is one of: {', '.join(ROLES)}.")
    if status not in MEMBER_STATUSES:
        raise InvalidInput(f"A status is one of: {', '.join(MEMBER_STATUSES)}.")
    unknown = set(details) - set(MEMBER_DETAILS)
    if unknown:
        raise InvalidInput(f"Unknown member details: {', '.join(sorted(unknown))}.")
    e164 = allowed_mobile(mobile, bank.allowed_mobile_regions) if mobile else None
    email = (email or "").strip().lower() or None
    if e164 and session.scalar(
        sa.select(Member.id).where(Member.bank_id == bank_id, Member.mobile_e164 == e164)
    ):
        raise InvalidInput("Someone in this time bank already has that mobile number.")
    member = Member(
        bank_id=bank_id,
        display_name=name,
        mobile_e164=e164,
        email=email,
        role=role,
        status=status,
        area=area,
        joined_at=now(),
        left_at=now() if status == "left" else None,
        **{key: value for key, value in details.items() if value is not None},
    )
    session.add(member)
    session.flush()
    session.add(
        Account(
            bank_id=bank_id,
            member_id=member.id,
            is_open=status == "active",
            min_balance=bank.overdraft_minutes,
            max_balance=bank.max_balance_minutes,
            opened_at=member.joined_at,
        )
    )
    return member


@use_case
def add_organisation(session: so.Session, bank_id: int, name: str, kind: str) -> Organisation:
    """Add an organisation (a GP practice, a community group) with an hour account."""
    _bank(session, bank_id)
    if kind not in ORGANISATION_KINDS:
        raise InvalidInput(f"An organisation kind is one of: {', '.join(ORGANISATION_KINDS)}.")
    if not (name or "").strip():
        raise InvalidInput("Please give the organisation a name.")
    org = Organisation(bank_id=bank_id, name=name.strip(), kind=kind)
    session.add(org)
    session.flush()
    session.add(Account(bank_id=bank_id, organisation_id=org.id))
    session.commit()
    return org


@use_case
def set_member_status(
    session: so.Session,
    bank_id: int,
    member_id: int,
    status: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Change a member's status; only active members' accounts take new exchanges."""
    if status not in MEMBER_STATUSES:
        raise InvalidInput(f"A status is one of: {', '.join(MEMBER_STATUSES)}.")
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise NotFound("There is no such member in this time bank.")
    if status == "left" and member.status != "left":
        member.left_at = now()
    elif status == "active":
        member.left_at = None
    member.status = status
    session.execute(
        sa.update(Account).where(Account.member_id == member_id).values(is_open=status == "active")
    )
    if status != "active":
        reason = status if status in ("suspended", "left") else "status_changed"
        end_member_access(session, bank_id, member_id, reason, now)
    session.commit()
    return member


@use_case
def set_member_role(
    session: so.Session,
    bank_id: int,
    member_id: int,
    role: str,
    now: Callable[[], dt.datetime] = utcnow,
) -> Member:
    """Change a member's role: their sessions end, and tokens above the new role stop.

    A time bank always keeps at least one active admin.
    """
    if role not in ROLES:
        raise InvalidInput(f"A role is one of: {', '.join(ROLES)}.")
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise NotFound("There is no such member in this time bank.")
    if member.role == role:
        return member
    if member.role == "admin" and _other_admins(session, bank_id, member_id) == 0:
        raise InvalidInput(
            f"{member.display_name} is the only admin of this time bank."
            " Make someone else an admin first."
        )
    member.role = role
    end_member_access(session, bank_id, member_id, "role_changed", now, role=role)
    session.commit()
    return member


def _other_admins(session: so.Session, bank_id: int, member_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Member)
            .where(
                Member.bank_id == bank_id,
                Member.id != member_id,
                Member.role == "admin",
                Member.status == "active",
                Member.erased_at.is_(None),
            )
        )
        or 0
    )


def account_of(session: so.Session, bank_id: int, member_id: int) -> Account:
    """Return a member's hour account in this bank."""
    account = session.scalar(
        sa.select(Account).where(Account.bank_id == bank_id, Account.member_id == member_id)
    )
    if account is None:
        raise NotFound("There is no such member in this time bank.")
    return account
