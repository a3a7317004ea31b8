"""A member's profile: what they change about themselves, and what others may see of them."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import use_case
from timebank.errors import InvalidDetail, NotFound
from timebank.members.mobile_change import stage_mobile_change
from timebank.members.models import Member
from timebank.phones import InvalidPhoneNumber, allowed_mobile, format_national
from timebank.tenancy.models import TimeBank

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MEMBERS_PER_PAGE = 25


@dataclass(frozen=True)
class ProfileChanges:
    """Everything the profile page lets a member change about themselves."""

    display_name: str
    mobile: str = ""
    email: str = ""
    area: str = ""
    skills: str = ""
    help_wanted: str = ""
    availability: str = ""
    sms_notifications: bool = True
    show_mobile: bool = False
    show_area: bool = True


# Longest text each detail may hold (the column sizes).
LIMITS = {"area": 80, "skills": 300, "help_wanted": 300, "availability": 200}
LABELS = {
    "area": "Your area",
    "skills": "What you can help with",
    "help_wanted": "What you would like help with",
    "availability": "When you are free",
}


def clean_name(name: str, field: str = "display_name") -> str:
    """Return a trimmed name of 1 to 80 characters, or raise InvalidDetail."""
    text = " ".join((name or "").split())
    if not text:
        raise InvalidDetail(field, "Enter your name.")
    if len(text) > 80:
        raise InvalidDetail(field, "Your name can have at most 80 characters.")
    return text


def clean_text(field: str, value: str) -> str:
    """Return trimmed text for a profile detail, or raise InvalidDetail when it is too long."""
    text = (value or "").strip()
    if len(text) > LIMITS[field]:
        raise InvalidDetail(field, f"{LABELS[field]} can have at most {LIMITS[field]} characters.")
    return text


def clean_mobile(
    session: so.Session, bank_id: int, raw: str, member_id: int | None = None
) -> str | None:
    """Return the number in E.164, or None when blank; raise if invalid or someone else's.

    Only a mobile of a country the bank allows (its `mobile_regions`) is taken.
    """
    if not (raw or "").strip():
        return None
    bank = session.get(TimeBank, bank_id)
    if bank is None:
        raise NotFound("There is no such time bank.")
    try:
        e164 = allowed_mobile(raw, bank.allowed_mobile_regions)
    except InvalidPhoneNumber as error:
        raise InvalidDetail("mobile", error.message) from None
    taken = session.scalar(
        sa.select(Member.id).where(
            Member.bank_id == bank_id, Member.mobile_e164 == e164, Member.id != (member_id or 0)
        )
    )
    if taken is not None:
        raise InvalidDetail("mobile", "Someone in this time bank already has that mobile number.")
    return e164


def _clean_email(session: so.Session, bank_id: int, raw: str, member_id: int) -> str | None:
    email = (raw or "").strip().lower()
    if not email:
        return None
    if len(email) > 254 or not EMAIL.match(email):
        raise InvalidDetail("email", "Enter an email address like name@example.com.")
    taken = session.scalar(
        sa.select(Member.id).where(
            Member.bank_id == bank_id, Member.email == email, Member.id != member_id
        )
    )
    if taken is not None:
        raise InvalidDetail("email", "Someone in this time bank already has that email address.")
    return email


def member_of_bank(session: so.Session, bank_id: int, member_id: int) -> Member:
    """Return a member of this bank or raise NotFound."""
    member = session.get(Member, member_id)
    if member is None or member.bank_id != bank_id:
        raise NotFound("There is no such member in this time bank.")
    return member


@dataclass(frozen=True)
class ProfileSaved:
    """The saved member, and the new mobile number waiting for its code, if one was given."""

    member: Member
    mobile_waiting: str | None = None


@use_case
def update_profile(
    session: so.Session,
    bank_id: int,
    member_id: int,
    changes: ProfileChanges,
    now: Callable[[], dt.datetime] = utcnow,
) -> ProfileSaved:
    """Save a member's own details and what other members may see of them.

    A new mobile number is not saved yet: a code is texted to it, and it becomes theirs
    when they type the code (see `mobile_change`). Removing the number takes effect at once.
    """
    member = member_of_bank(session, bank_id, member_id)
    name = clean_name(changes.display_name)
    mobile = clean_mobile(session, bank_id, changes.mobile, member_id)
    email = _clean_email(session, bank_id, changes.email, member_id)
    if mobile is None and email is None:
        raise InvalidDetail(
            "mobile", "Enter a mobile number or an email address, so you can sign in."
        )
    texts = {field: clean_text(field, getattr(changes, field)) for field in LIMITS}
    new_mobile = mobile if mobile is not None and mobile != member.mobile_e164 else None
    if new_mobile is not None:
        bank = session.get(TimeBank, bank_id)
        assert bank is not None
        stage_mobile_change(session, bank, member, new_mobile, now())
    else:
        member.mobile_e164 = mobile
    member.display_name, member.email = name, email
    member.area = texts.pop("area") or None
    for field, value in texts.items():
        setattr(member, field, value)
    member.sms_notifications = changes.sms_notifications
    member.show_mobile = changes.show_mobile
    member.show_area = changes.show_area
    session.commit()
    return ProfileSaved(member, format_national(new_mobile) if new_mobile else None)


def changes_from(member: Member) -> ProfileChanges:
    """Return a member's current details in the shape the profile form edits."""
    return ProfileChanges(
        display_name=member.display_name,
        mobile=format_national(member.mobile_e164) if member.mobile_e164 else "",
        email=member.email or "",
        area=member.area or "",
        skills=member.skills,
        help_wanted=member.help_wanted,
        availability=member.availability,
        sms_notifications=member.sms_notifications,
        show_mobile=member.show_mobile,
        show_area=member.show_area,
    )


@dataclass(frozen=True)
class PublicProfile:
    """What another member of the same bank may see of a member."""

    id: int
    display_name: str
    area: str | None
    mobile: str | None
    skills: str
    help_wanted: str
    availability: str
    erased: bool


def public_profile(member: Member) -> PublicProfile:
    """Return only what the member agreed to show: never the phone unless they chose to."""
    return PublicProfile(
        id=member.id,
        display_name=member.display_name,
        area=member.area if member.show_area else None,
        mobile=format_national(member.mobile_e164)
        if member.show_mobile and member.mobile_e164
        else None,
        skills=member.skills,
        help_wanted=member.help_wanted,
        availability=member.availability,
        erased=member.erased_at is not None,
    )


@dataclass(frozen=True)
class MemberPage:
    """One page of a member search."""

    members: list[Member]
    total: int
    page: int
    per_page: int = MEMBERS_PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def find_members(session: so.Session, bank_id: int, words: str = "", page: int = 1) -> MemberPage:
    """Return the bank's members whose name, area, skills or contact details match `words`."""
    query = sa.select(Member).where(Member.bank_id == bank_id)
    for word in (words or "").split()[:8]:
        needle = word.lower()
        digits = "".join(ch for ch in word if ch.isdigit())
        matches = [
            sa.func.lower(column).contains(needle, autoescape=True)
            for column in (Member.display_name, Member.area, Member.skills, Member.email)
        ]
        if len(digits) >= 4:
            matches.append(Member.mobile_e164.contains(digits.lstrip("0"), autoescape=True))
        query = query.where(sa.or_(*matches))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    members = session.scalars(
        query.order_by(Member.display_name, Member.id)
        .limit(MEMBERS_PER_PAGE)
        .offset((page - 1) * MEMBERS_PER_PAGE)
    ).all()
    return MemberPage(list(members), total, page)
