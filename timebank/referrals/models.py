"""Referral partners (GP practices), the numbers they text from, and referrals."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

# received: the practice's text arrived. invited: the patient was asked YES or NO.
# consented / declined / no_reply: their answer (or none in time). contacted: a broker got
# in touch. joined: a member was created and linked. first_exchange: they traded.
# closed: finished, with an outcome.
REFERRAL_STATUSES = (
    "received",
    "invited",
    "consented",
    "declined",
    "no_reply",
    "contacted",
    "joined",
    "first_exchange",
    "closed",
)


class ReferralPartner(Base):
    __tablename__ = "referral_partners"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        sa.UniqueConstraint("bank_id", "name"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    # Its account-holding organisation, if the practice also trades hours.
    organisation_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("organisations.id"))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )


class PartnerNumber(Base):
    """A mobile number a partner texts referrals from."""

    __tablename__ = "partner_numbers"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "e164"),
        sa.ForeignKeyConstraint(
            ["bank_id", "partner_id"], ["referral_partners.bank_id", "referral_partners.id"]
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    partner_id: so.Mapped[int] = so.mapped_column(index=True)
    e164: so.Mapped[str] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )


class Referral(Base):
    __tablename__ = "referrals"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        sa.ForeignKeyConstraint(
            ["bank_id", "partner_id"], ["referral_partners.bank_id", "referral_partners.id"]
        ),
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.CheckConstraint(one_of("status", REFERRAL_STATUSES), name="status_known"),
        sa.Index("ix_referrals_bank_id_status", "bank_id", "status"),
        sa.Index("ix_referrals_bank_id_patient_e164", "bank_id", "patient_e164"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    # None for a person who referred themselves by texting JOIN.
    partner_id: so.Mapped[int | None]
    patient_e164: so.Mapped[str] = so.mapped_column(sa.String(16))
    first_name: so.Mapped[str] = so.mapped_column(sa.String(40))
    # A few words of need, for brokers only. Special category data: kept short, purged.
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    status: so.Mapped[str] = so.mapped_column(sa.String(16), default="received")
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(200))
    member_id: so.Mapped[int | None]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    invited_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    answered_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    joined_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    first_exchange_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    closed_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # Set when `flask referrals purge` removed the person's details: the row stays, with
    # its status and dates only, so past reports keep their counts. Nobody sees it again.
    purged_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))


class ReferralEvent(Base):
    """Each step of a referral: who moved it, when, to what (the broker's audit trail)."""

    __tablename__ = "referral_events"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "referral_id"], ["referrals.bank_id", "referrals.id"]),
        sa.Index("ix_referral_events_referral_id", "referral_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    referral_id: so.Mapped[int]
    status: so.Mapped[str] = so.mapped_column(sa.String(16))
    # None when the service itself moved it (a text arrived, a deadline passed).
    actor_id: so.Mapped[int | None]
    # Emptied when the referral is purged (a closing outcome is in the broker's words).
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
