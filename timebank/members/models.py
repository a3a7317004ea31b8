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

    def has_role(self, role: str) -> bool:
        """Return True when this member's role includes `role` (admin > broker > member)."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def __repr__(self) -> str:
        return f"<Member {self.id} {self.display_name!r}>"


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
