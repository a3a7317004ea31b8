"""Operators and their web sessions, apart from members: no bank's query can meet them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base


class Operator(Base):
    """Someone who runs the install: creates time banks, invites their admins, suspends them."""

    __tablename__ = "operators"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    # argon2 hash, as members' passwords.
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(200))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    # Set when the operator was removed: they can no longer sign in.
    removed_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    last_sign_in_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))


class OperatorSession(Base):
    """A signed-in operator's browser; only the SHA-256 digest of its id is stored."""

    __tablename__ = "operator_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    digest: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("operators.id"), index=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    last_seen_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    ended_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
