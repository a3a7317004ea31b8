"""The SMS outbox: one row per text, written in the same transaction as its cause."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

# queued: waiting for a sender. sent: the provider accepted it. failed: it never will be
# sent. unknown: the request went out but no answer came back (reconciled, never resent).
OUTBOX_STATUSES = ("queued", "sending", "sent", "delivered", "failed", "unknown")


class OutboxMessage(Base):
    __tablename__ = "sms_outbox"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status_known"),
        sa.Index("ix_sms_outbox_status_id", "status", "id"),
        sa.Index("ix_sms_outbox_bank_id_created_at", "bank_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    # The member it is for, when there is one (erasure blanks their messages).
    member_id: so.Mapped[int | None] = so.mapped_column(index=True)
    to_e164: so.Mapped[str] = so.mapped_column(sa.String(16))
    body: so.Mapped[str] = so.mapped_column(sa.String(1600))
    # Why it was sent, e.g. sign_in_code, exchange_logged, offer_contact.
    purpose: so.Mapped[str] = so.mapped_column(sa.String(40))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="queued")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    provider_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    error: so.Mapped[str | None] = so.mapped_column(sa.String(300))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} to {self.to_e164}>"
