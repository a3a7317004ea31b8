"""Personal API tokens: what an app or an integration signs in with."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

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
