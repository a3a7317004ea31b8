"""What brokers record: skill categories, safeguarding checks, blocks, proposals, outreach.

Every table is scoped to one time bank, and every row that points at a member does so
through the (bank_id, member_id) pair, so a row can never join members of two time banks.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

# The one kind of check recorded for now: an enhanced DBS check, or the time bank's own
# equivalent, that lets a member make home visits and help people who may be vulnerable.
CHECK_KINDS = ("dbs",)
# A proposal asks a member whether they can help with a request. It is "sent", then the
# member says yes or no (or the broker withdraws it); a yes can be introduced (both told
# of each other and, if set, the first meeting), then matched when the help is arranged.
PROPOSAL_STATUSES = ("sent", "accepted", "declined", "withdrawn", "introduced", "matched")
PROPOSAL_CHANNELS = ("sms", "web")
FLAG_STATUSES = ("open", "snoozed", "resolved", "cleared")
CONTACT_METHODS = ("phoned", "texted", "visited", "no_answer")
CONTACT_OUTCOMES = ("re_engaged", "needs_support", "paused", "left")


def _member_fk(*columns: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["bank_id", *columns], ["members.bank_id", "members.id"], ondelete=None
    )


class MemberCheck(Base):
    """A safeguarding check a broker saw and recorded for a member."""

    __tablename__ = "member_checks"
    __table_args__ = (
        _member_fk("member_id"),
        _member_fk("recorded_by_id"),
        sa.CheckConstraint(one_of("kind", CHECK_KINDS), name="kind_known"),
        sa.Index("ix_member_checks_bank_id_member_id", "bank_id", "member_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    member_id: so.Mapped[int]
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), default="dbs")
    checked_on: so.Mapped[dt.date]
    # None: the check does not lapse (the bank re-checks by its own policy).
    expires_on: so.Mapped[dt.date | None]
    reference: so.Mapped[str] = so.mapped_column(sa.String(60), default="")
    recorded_by_id: so.Mapped[int]
    recorded_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    withdrawn_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))


class MemberBlock(Base):
    """One member does not want to be matched with another (matching honours both ways)."""

    __tablename__ = "member_blocks"
    __table_args__ = (
        _member_fk("member_id"),
        _member_fk("blocked_member_id"),
        _member_fk("recorded_by_id"),
        sa.UniqueConstraint("bank_id", "member_id", "blocked_member_id"),
        sa.CheckConstraint("member_id <> blocked_member_id", name="not_self"),
        sa.Index("ix_member_blocks_blocked_member_id", "blocked_member_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    member_id: so.Mapped[int]
    blocked_member_id: so.Mapped[int]
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    recorded_by_id: so.Mapped[int]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )


class Proposal(Base):
    """A broker (or the requester) asks a member whether they can help with a request."""

    __tablename__ = "proposals"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        sa.UniqueConstraint("request_id", "helper_id"),
        sa.ForeignKeyConstraint(["bank_id", "request_id"], ["listings.bank_id", "listings.id"]),
        _member_fk("helper_id"),
        _member_fk("proposed_by_id"),
        sa.CheckConstraint(one_of("status", PROPOSAL_STATUSES), name="status_known"),
        sa.CheckConstraint(one_of("channel", PROPOSAL_CHANNELS), name="channel_known"),
        sa.Index("ix_proposals_helper_id_status", "helper_id", "status"),
        sa.Index("ix_proposals_bank_id_created_at", "bank_id", "created_at"),
        # A text code answers one proposal in the bank (NULLs, for web proposals, never clash).
        sa.Index("ix_proposals_bank_id_sms_code", "bank_id", "sms_code", unique=True),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    request_id: so.Mapped[int]
    helper_id: so.Mapped[int]
    proposed_by_id: so.Mapped[int]
    channel: so.Mapped[str] = so.mapped_column(sa.String(8))
    status: so.Mapped[str] = so.mapped_column(sa.String(12), default="sent")
    # The reasons matching gave when the proposal was sent, kept as the broker saw them.
    why: so.Mapped[str] = so.mapped_column(sa.String(400), default="")
    message: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    # The number in "Reply YES 12" when the proposal went by text.
    sms_code: so.Mapped[int | None]
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    answered_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    introduced_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    meeting_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    meeting_place: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    matched_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # The exchange that came of it, once logged.
    transfer_id: so.Mapped[uuid.UUID | None] = so.mapped_column(
        sa.Uuid, sa.ForeignKey("transfers.id")
    )
    updated_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )


_FLAG_STILL_OPEN = "status IN ('open', 'snoozed')"


class OutreachFlag(Base):
    """A member the dormancy scan says needs outreach, for one rule, until it is dealt with.

    At most one flag per member and rule is open (or snoozed) at a time; resolved and
    cleared flags stay as history.
    """

    __tablename__ = "outreach_flags"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        _member_fk("member_id"),
        _member_fk("assigned_to_id"),
        _member_fk("resolved_by_id"),
        sa.CheckConstraint(one_of("status", FLAG_STATUSES), name="status_known"),
        sa.CheckConstraint(
            f"outcome IS NULL OR {one_of('outcome', CONTACT_OUTCOMES)}", name="outcome_known"
        ),
        sa.Index(
            "ix_outreach_flags_one_open",
            "bank_id",
            "member_id",
            "rule",
            unique=True,
            sqlite_where=sa.text(_FLAG_STILL_OPEN),
            postgresql_where=sa.text(_FLAG_STILL_OPEN),
        ),
        sa.Index("ix_outreach_flags_bank_id_status", "bank_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    member_id: so.Mapped[int]
    rule: so.Mapped[str] = so.mapped_column(sa.String(24))
    reason: so.Mapped[str] = so.mapped_column(sa.String(300))
    since: so.Mapped[dt.date]
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="open")
    raised_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # When the scan last saw the rule still apply (the reason's numbers are refreshed then).
    seen_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    assigned_to_id: so.Mapped[int | None]
    snoozed_until: so.Mapped[dt.date | None]
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    resolved_at: so.Mapped[dt.datetime | None] = so.mapped_column(sa.DateTime(timezone=True))
    # None on a flag the scan cleared because the member traded again.
    resolved_by_id: so.Mapped[int | None]


class OutreachContact(Base):
    """One attempt by a broker to reach a flagged member, and how it went."""

    __tablename__ = "outreach_contacts"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["bank_id", "flag_id"], ["outreach_flags.bank_id", "outreach_flags.id"]
        ),
        _member_fk("member_id"),
        _member_fk("broker_id"),
        sa.CheckConstraint(one_of("method", CONTACT_METHODS), name="method_known"),
        sa.CheckConstraint(
            f"outcome IS NULL OR {one_of('outcome', CONTACT_OUTCOMES)}", name="outcome_known"
        ),
        sa.Index("ix_outreach_contacts_member_id", "member_id"),
        sa.Index("ix_outreach_contacts_flag_id", "flag_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    flag_id: so.Mapped[int | None]
    member_id: so.Mapped[int]
    broker_id: so.Mapped[int]
    method: so.Mapped[str] = so.mapped_column(sa.String(12))
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
