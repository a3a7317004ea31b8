"""A time bank and its settings. One install hosts many; every other row carries its bank."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base

EXPIRY_ACTIONS = ("confirm", "escalate")
# Where the default hourly value (GBP 13.90) comes from, printed under the estimated value.
DEFAULT_HOURLY_VALUE_SOURCE = "Volunteering England's method: the average hourly wage"


class TimeBank(Base):
    __tablename__ = "time_banks"
    __table_args__ = (
        sa.CheckConstraint("overdraft_minutes <= 0", name="overdraft_not_positive"),
        sa.CheckConstraint(
            "max_balance_minutes IS NULL OR max_balance_minutes > 0", name="max_balance_positive"
        ),
        sa.CheckConstraint("max_exchange_minutes > 0", name="max_exchange_positive"),
        sa.CheckConstraint(
            "exchange_past_days BETWEEN 1 AND 3660", name="exchange_past_days_in_range"
        ),
        sa.CheckConstraint("confirm_days > 0", name="confirm_days_positive"),
        sa.CheckConstraint("on_expiry IN ('confirm', 'escalate')", name="on_expiry_known"),
        sa.CheckConstraint("hourly_value_pence >= 0", name="hourly_value_not_negative"),
        # An index rather than a constraint: SQLite adds it without rebuilding the table.
        sa.Index("uq_time_banks_sms_number", "sms_number", unique=True),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    slug: so.Mapped[str] = so.mapped_column(sa.String(60), unique=True)
    timezone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Europe/London")
    # Lowest balance a member may reach, in minutes (e.g. -600 = ten hours owed).
    overdraft_minutes: so.Mapped[int] = so.mapped_column(default=-600)
    max_balance_minutes: so.Mapped[int | None] = so.mapped_column(default=None)
    # The largest single exchange, to catch typos such as 90 hours for 90 minutes.
    max_exchange_minutes: so.Mapped[int] = so.mapped_column(default=720)
    # How many days back a member may date an exchange (brokers may go further, with a reason).
    exchange_past_days: so.Mapped[int] = so.mapped_column(default=90, server_default="90")
    # Days an exchange waits for the receiver before it is confirmed or escalated.
    confirm_days: so.Mapped[int] = so.mapped_column(default=14)
    on_expiry: so.Mapped[str] = so.mapped_column(sa.String(16), default="confirm")
    # What reports value one hour of help at, and where that figure comes from (admins set
    # both on the hourly value page).
    hourly_value_pence: so.Mapped[int] = so.mapped_column(default=1390)
    hourly_value_source: so.Mapped[str] = so.mapped_column(
        sa.String(200),
        default=DEFAULT_HOURLY_VALUE_SOURCE,
        server_default=DEFAULT_HOURLY_VALUE_SOURCE,
    )
    # The number members and practices text (E.164); inbound texts find their bank by it.
    sms_number: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    # What outbound texts come from: a number or a Twilio Messaging Service (MG...).
    # None means sms_number.
    sms_sender: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # Referrals: days to wait for a patient's YES or NO, and days to keep ones that
    # never led to a member before they are deleted.
    referral_reply_days: so.Mapped[int] = so.mapped_column(default=14)
    referral_retention_days: so.Mapped[int] = so.mapped_column(default=90)
    # Outreach: flag a member after this many days without an exchange, and a new
    # (joined or referred) member with no first exchange after `first_exchange_days`.
    dormant_after_days: so.Mapped[int] = so.mapped_column(default=60, server_default="60")
    first_exchange_days: so.Mapped[int] = so.mapped_column(default=30, server_default="30")
    # The SMS nudge brokers can send a flagged member; None uses the built-in wording.
    nudge_template: so.Mapped[str | None] = so.mapped_column(sa.String(320))
    # The countries whose mobiles members may have (ISO codes, comma-separated): texts
    # cost and reach only what the bank expects. Set with `flask bank sms --mobile-countries`.
    mobile_regions: so.Mapped[str] = so.mapped_column(
        sa.String(60), default="GB", server_default="GB"
    )
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    # Set while the install's operators have suspended the bank: nobody in it can sign in,
    # use the API, post an exchange or text a command until they lift it.
    suspended_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))

    @property
    def allowed_mobile_regions(self) -> tuple[str, ...]:
        """Return the region codes of the mobiles this bank takes, e.g. ("GB",)."""
        return tuple(code for code in (self.mobile_regions or "GB").split(",") if code) or ("GB",)

    def __repr__(self) -> str:
        return f"<TimeBank {self.slug}>"


class BrokerAction(Base):
    """The audit trail: who did what, when, to which member or record."""

    __tablename__ = "broker_actions"
    __table_args__ = (
        sa.ForeignKeyConstraint(["bank_id", "broker_id"], ["members.bank_id", "members.id"]),
        sa.Index("ix_broker_actions_bank_id_at", "bank_id", "at"),
        sa.Index("ix_broker_actions_member_id", "member_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    # None: the time bank's scheduled jobs did it (e.g. linking a logged exchange).
    broker_id: so.Mapped[int | None]
    # A stable code such as "proposal_sent", "check_recorded", "flag_snoozed".
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    # The member the action was about, if any (the helper, the flagged member...).
    member_id: so.Mapped[int | None]
    # The record it touched, as "proposal:12", "flag:7", "listing:3".
    subject: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    detail: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
