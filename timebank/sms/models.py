"""Texts in and out: the outbox, received texts, opt-outs and codes for answering by text."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

# queued: waiting for a sender (next_attempt_at says when). sending: claimed by a sender.
# sent / delivered / undelivered: what the provider said. failed: it never will be sent.
# unknown: the request went out but no clear answer came back; reconciled, never resent
# blindly. suppressed: not sent because the number opted out.
OUTBOX_STATUSES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "unknown",
    "suppressed",
)

# Texts whose body holds a secret code. Their body is blanked in the outbox once the text is
# sent or has finally failed (the code itself is checked by its hash, never by this text).
SECRET_PURPOSES = ("sign_in_code", "mobile_change_code")
# The statuses after which a text is never sent again.
FINAL_STATUSES = ("sent", "delivered", "undelivered", "failed", "suppressed")


class OutboxMessage(Base):
    __tablename__ = "sms_outbox"
    __table_args__ = (
        sa.CheckConstraint(one_of("status", OUTBOX_STATUSES), name="status_known"),
        sa.Index("ix_sms_outbox_status_id", "status", "id"),
        sa.Index("ix_sms_outbox_bank_id_created_at", "bank_id", "created_at"),
        sa.Index(
            "uq_sms_outbox_provider_sid",
            "provider_sid",
            unique=True,
            postgresql_where=sa.text("provider_sid IS NOT NULL"),
            sqlite_where=sa.text("provider_sid IS NOT NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    # The member it is for, when there is one (erasure blanks their messages).
    member_id: so.Mapped[int | None] = so.mapped_column(index=True)
    # The referral it is about, for a text to the person referred: purged with it.
    referral_id: so.Mapped[int | None] = so.mapped_column(index=True)
    to_e164: so.Mapped[str] = so.mapped_column(sa.String(16))
    body: so.Mapped[str] = so.mapped_column(sa.String(1600))
    # Why it was sent, e.g. sign_in_code, exchange_logged, offer_contact.
    purpose: so.Mapped[str] = so.mapped_column(sa.String(40))
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="queued")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    # A queued text is not tried before this (backoff after the provider was busy).
    next_attempt_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # When a sender claimed it; a text left "sending" long after this is checked, not resent.
    claimed_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    sent_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    status_changed_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    provider_sid: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    error_code: so.Mapped[int | None]
    error: so.Mapped[str | None] = so.mapped_column(sa.String(300))

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} to {self.to_e164}>"


class InboundMessage(Base):
    """A text the time bank received. Kept only when it belongs to a known flow."""

    __tablename__ = "sms_inbound"
    __table_args__ = (sa.Index("ix_sms_inbound_bank_id_received_at", "bank_id", "received_at"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Twilio's MessageSid: a text delivered twice is handled once.
    message_sid: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    from_e164: so.Mapped[str] = so.mapped_column(sa.String(16))
    # What the text was understood as: opt_out, opt_in, help, balance, answer, gave, join,
    # refer, consent, outcome (an answer to the outcome questions: its words are not kept),
    # unknown.
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    body: so.Mapped[str | None] = so.mapped_column(sa.String(1600))
    member_id: so.Mapped[int | None]
    # The referral it is about: a practice's REFER, the patient's answers. Purged with it.
    referral_id: so.Mapped[int | None] = so.mapped_column(index=True)
    reply: so.Mapped[str | None] = so.mapped_column(sa.String(1600))
    received_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )


class OptOut(Base):
    """Our mirror of the numbers that texted STOP (and START again)."""

    __tablename__ = "sms_opt_outs"

    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"), primary_key=True)
    e164: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    opted_out: so.Mapped[bool] = so.mapped_column(default=True)
    changed_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )


class ExchangeCode(Base):
    """The short number in "Reply YES 123" for a pending exchange announced by text."""

    __tablename__ = "exchange_sms_codes"

    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"), primary_key=True)
    code: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    transfer_id: so.Mapped[uuid.UUID] = so.mapped_column(
        sa.Uuid, sa.ForeignKey("transfers.id"), unique=True
    )
    # Only this member's YES or NO counts (the receiver of the help).
    member_id: so.Mapped[int]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
