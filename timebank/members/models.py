"""Members and organisations: the people and groups who hold hour accounts."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

MEMBER_STATUSES = ("applicant", "active", "suspended", "left")
# Each role can do what the roles before it can.
ROLES = ("member", "broker", "admin")
ORGANISATION_KINDS = ("community_pot", "bank", "gp_practice", "community_group")
# The role of the people a time bank serves. Brokers and admins run it: they are its staff,
# left out of outreach and of every figure about members.
MEMBER_ROLE = "member"


def role_includes(role: str, needed: str) -> bool:
    """Return True when `role` may do what `needed` may (admin > broker > member)."""
    return ROLES.index(role) >= ROLES.index(needed)


def roles_up_to(role: str) -> tuple[str, ...]:
    """Return the roles `role` includes, lowest first: a broker's are member and broker."""
    return ROLES[: ROLES.index(role) + 1]


def roles_from(role: str) -> tuple[str, ...]:
    """Return the roles that include `role`: from broker, broker and admin."""
    return ROLES[ROLES.index(role) :]


def first_name_of(display_name: str) -> str:
    """Return the first word of a display name, for friendly messages (all of it if blank)."""
    return display_name.split()[0] if display_name.strip() else display_name


def is_not_staff(
    role: sa.ColumnElement[str] | so.QueryableAttribute[str],
) -> sa.ColumnElement[bool]:
    """Return the condition that a role column is a member's, not a broker's or admin's."""
    return role == MEMBER_ROLE


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        sa.UniqueConstraint("bank_id", "mobile_e164"),
        sa.UniqueConstraint("bank_id", "email"),
        sa.CheckConstraint(one_of("status", MEMBER_STATUSES), name="status_known"),
        sa.CheckConstraint(one_of("role", ROLES), name="role_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"), index=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(80))
    mobile_e164: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="applicant")
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default="member")
    area: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    # argon2 hash; None until the member sets a password (or signs in by one-time code).
    password_hash: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    joined_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # What the sign-up meeting and the profile page record, in the member's own words.
    skills: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    help_wanted: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    availability: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    # SMS preferences: texts about exchanges and contacts (sign-in codes are always sent).
    sms_notifications: so.Mapped[bool] = so.mapped_column(default=True)
    # What other members can see: the area by default, never the phone number unless asked.
    show_mobile: so.Mapped[bool] = so.mapped_column(default=False)
    show_area: so.Mapped[bool] = so.mapped_column(default=True)
    # The member asked not to be contacted by outreach: never flagged as dormant.
    do_not_contact: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # When the member agreed to the time bank holding their details (at sign-up).
    consent_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    last_sign_in_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Set when an admin erased a departed member's personal details.
    erased_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # When the member's status last became "left"; cleared if they come back. Empty for
    # members who left before it was recorded.
    left_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    @property
    def is_active(self) -> bool:
        """Flask-Login: only active members may sign in (not applicants, suspended or left)."""
        return self.status == "active" and self.erased_at is None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def first_name(self) -> str:
        """Return the first word of the display name, for friendly messages."""
        return first_name_of(self.display_name)

    def has_role(self, role: str) -> bool:
        """Return True when this member's role includes `role` (admin > broker > member)."""
        return role_includes(self.role, role)

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.display_name!r}>"


# Why a session ended: the member signed out here or on their other devices, changed their
# password, was suspended, left, was erased or got another role, or the session timed out.
SESSION_END_REASONS = (
    "signed_out",
    "other_devices",
    "password_changed",
    "suspended",
    "left",
    "erased",
    "status_changed",
    "role_changed",
    "idle",
    "expired",
)


class MemberSession(Base):
    """A signed-in web session, held on the server so that it can be ended at once.

    The browser's cookie carries a random session id; only its SHA-256 digest is stored
    (like an API token, it is long and random). Every request with the cookie checks the
    row: not ended, not too old, not idle too long, and the member still active with the
    role the session was opened with.
    """

    __tablename__ = "member_sessions"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.CheckConstraint(one_of("role", ROLES), name="role_known"),
        sa.CheckConstraint(one_of("ended_reason", SESSION_END_REASONS), name="ended_reason_known"),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (ended_reason IS NULL)", name="ended_with_a_reason"
        ),
        sa.Index("ix_member_sessions_bank_id_member_id", "bank_id", "member_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # hex SHA-256 of the id in the cookie; the id itself is never stored.
    digest: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    member_id: so.Mapped[int]
    # The member's role when the session was opened: a change of role ends the session.
    role: so.Mapped[str] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    # Written at most once a minute, so not every page view is a write.
    last_seen_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    ended_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    ended_reason: so.Mapped[str | None] = so.mapped_column(sa.String(20))


SIGN_IN_CODE_PURPOSES = ("sign_in", "reset")


class SignInCode(Base):
    """A six-digit code sent by SMS for a first sign-in or a forgotten password.

    Only a hash of the code is kept. A code is used at most once, expires quickly and
    takes a limited number of wrong guesses.
    """

    __tablename__ = "sign_in_codes"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.CheckConstraint(one_of("purpose", SIGN_IN_CODE_PURPOSES), name="purpose_known"),
        sa.Index("ix_sign_in_codes_member_id_created_at", "member_id", "created_at"),
    )

    # A random token kept in the browser's session: which code request this browser made.
    id: so.Mapped[str] = so.mapped_column(sa.String(43), primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    # None for a number that is no active member's: no text is sent and no code matches,
    # but wrong guesses count the same, so the answers never tell the two apart.
    member_id: so.Mapped[int | None]
    purpose: so.Mapped[str] = so.mapped_column(sa.String(16))
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    expires_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    failed_attempts: so.Mapped[int] = so.mapped_column(default=0)
    used_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))


class MobileChange(Base):
    """A new mobile number a member asked for, waiting for the code texted to it.

    The member's number changes only when they type that code, so a mistyped or someone
    else's number never receives their sign-in codes. Only a hash of the code is kept; the
    newest unused row is the one that counts.
    """

    __tablename__ = "mobile_changes"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.Index("ix_mobile_changes_member_id_created_at", "member_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    member_id: so.Mapped[int]
    new_e164: so.Mapped[str] = so.mapped_column(sa.String(16))
    # HMAC-SHA256 of the code, keyed with `salt` (random per row).
    salt: so.Mapped[str] = so.mapped_column(sa.String(43))
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    expires_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    failed_attempts: so.Mapped[int] = so.mapped_column(default=0)
    used_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))


class Organisation(Base):
    """A group that holds an account: the community pot, the bank, a GP practice, a club."""

    __tablename__ = "organisations"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        sa.UniqueConstraint("bank_id", "name"),
        sa.CheckConstraint(one_of("kind", ORGANISATION_KINDS), name="kind_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


# A token acts for a member with the member's own role, never more; a practice token acts
# for a referral partner and only sees its own referrals.
TOKEN_ROLES = ("member", "broker", "admin", "practice")


class ApiToken(Base):
    """A token: shown once, stored as a SHA-256 digest, scoped to one time bank and role."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.ForeignKeyConstraint(
            ["bank_id", "partner_id"], ["referral_partners.bank_id", "referral_partners.id"]
        ),
        sa.CheckConstraint(one_of("role", TOKEN_ROLES), name="role_known"),
        sa.CheckConstraint(
            "(role = 'practice') = (partner_id IS NOT NULL)", name="practice_has_partner"
        ),
        sa.Index("ix_api_tokens_bank_id_member_id", "bank_id", "member_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    # The member the token acts for; for a practice token, the admin who made it.
    member_id: so.Mapped[int]
    partner_id: so.Mapped[int | None]
    role: so.Mapped[str] = so.mapped_column(sa.String(10))
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    # hex SHA-256 of the whole token; the token itself is never stored.
    digest: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # The first characters of the token, so people can tell their tokens apart.
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    last_used_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    revoked_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    @property
    def active(self) -> bool:
        """Tell whether the token still works."""
        return self.revoked_at is None
