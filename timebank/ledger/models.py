"""Accounts and transfers, after TigerBeetle: counters on accounts, an append-only transfer log.

Amounts are integer minutes. Debit = the account of whoever received help; credit = whoever
gave it. The database itself enforces the limits (CHECK on the account row, counting pending
reservations), resolve-at-most-once and reverse-at-most-once (unique indexes), and the
append-only log (triggers, see the migrations).
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

TRANSFER_CODES = ("exchange", "group", "donation", "grant", "reversal", "adjustment")
# posted: moved at once. pending: reserved until resolved by a later post_pending or
# void_pending transfer that names it in pending_id.
TRANSFER_PHASES = ("posted", "pending", "post_pending", "void_pending")
# Help given between members that moved hours: an exchange or group exchange posted at
# once, or the post_pending transfer that confirmed a pending one. The dormancy scan's
# index is partial on exactly these words, and its queries repeat them.
TRADE_CODES = ("exchange", "group")
TRADE_PHASES = ("posted", "post_pending")
RESOLVED_TRADE = f"{one_of('code', TRADE_CODES)} AND {one_of('phase', TRADE_PHASES)}"


def is_trade(code: str, phase: str) -> bool:
    """Say whether a transfer of this code and phase is a trade (RESOLVED_TRADE, in Python)."""
    return code in TRADE_CODES and phase in TRADE_PHASES


def trade_condition(transfer: sa.FromClause) -> sa.ColumnElement[bool]:
    """Return the condition that a row of `transfer` is a trade (RESOLVED_TRADE, as a clause)."""
    return sa.and_(transfer.c.code.in_(TRADE_CODES), transfer.c.phase.in_(TRADE_PHASES))


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "id"),
        sa.ForeignKeyConstraint(["bank_id", "member_id"], ["members.bank_id", "members.id"]),
        sa.ForeignKeyConstraint(
            ["bank_id", "organisation_id"], ["organisations.bank_id", "organisations.id"]
        ),
        sa.CheckConstraint("(member_id IS NULL) <> (organisation_id IS NULL)", name="one_owner"),
        sa.CheckConstraint(
            "debits_posted >= 0 AND credits_posted >= 0"
            " AND debits_pending >= 0 AND credits_pending >= 0",
            name="counters_not_negative",
        ),
        sa.CheckConstraint(
            "min_balance IS NULL OR credits_posted - debits_posted - debits_pending >= min_balance",
            name="within_overdraft",
        ),
        sa.CheckConstraint(
            "max_balance IS NULL"
            " OR credits_posted + credits_pending - debits_posted <= max_balance",
            name="within_max_balance",
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"), index=True)
    member_id: so.Mapped[int | None] = so.mapped_column(unique=True)
    organisation_id: so.Mapped[int | None] = so.mapped_column(unique=True)
    # Closed accounts take no new transfers; a suspended or departed member's account closes.
    is_open: so.Mapped[bool] = so.mapped_column(default=True)
    # None = no limit (the community pot and the bank's own account).
    min_balance: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    max_balance: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    debits_posted: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    credits_posted: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    debits_pending: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    credits_pending: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    opened_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True), default=utcnow)
    # The account's trades (RESOLVED_TRADE) on each side, kept by posting with the counters:
    # how many, and the first and last day one happened. Given = the account was credited
    # (its member helped); received = debited. The dormancy scan reads these instead of
    # summing the transfer log; `flask ledger verify` checks them against it.
    trades_given: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    first_given_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    last_given_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    trades_received: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    first_received_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    last_received_on: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)

    @property
    def balance(self) -> int:
        """Return posted credits minus posted debits, in minutes."""
        return self.credits_posted - self.debits_posted

    def __repr__(self) -> str:
        return f"<Account {self.id} balance={self.balance}>"


class Transfer(Base):
    __tablename__ = "transfers"
    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["bank_id", "debit_account_id"], ["accounts.bank_id", "accounts.id"]
        ),
        sa.ForeignKeyConstraint(
            ["bank_id", "credit_account_id"], ["accounts.bank_id", "accounts.id"]
        ),
        sa.ForeignKeyConstraint(["bank_id", "recorded_by_id"], ["members.bank_id", "members.id"]),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
        sa.CheckConstraint(one_of("code", TRANSFER_CODES), name="code_known"),
        sa.CheckConstraint(one_of("phase", TRANSFER_PHASES), name="phase_known"),
        sa.CheckConstraint(
            "(pending_id IS NOT NULL) = (phase IN ('post_pending', 'void_pending'))",
            name="resolves_a_pending",
        ),
        sa.CheckConstraint(
            "(reverses_id IS NOT NULL) = (code = 'reversal')", name="reversal_names_original"
        ),
        # At most one resolution per pending transfer and one reversal per transfer.
        sa.Index(
            "uq_transfers_pending_id",
            "pending_id",
            unique=True,
            postgresql_where=sa.text("pending_id IS NOT NULL"),
            sqlite_where=sa.text("pending_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_transfers_reverses_id",
            "reverses_id",
            unique=True,
            postgresql_where=sa.text("reverses_id IS NOT NULL"),
            sqlite_where=sa.text("reverses_id IS NOT NULL"),
        ),
        sa.Index(
            "ix_transfers_group_id",
            "group_id",
            postgresql_where=sa.text("group_id IS NOT NULL"),
            sqlite_where=sa.text("group_id IS NOT NULL"),
        ),
        sa.Index("ix_transfers_debit_account_id", "debit_account_id", "recorded_at"),
        sa.Index("ix_transfers_credit_account_id", "credit_account_id", "recorded_at"),
        sa.Index("ix_transfers_bank_id_recorded_at", "bank_id", "recorded_at"),
        # The dormancy scan counts each account's trades of its recent window from this
        # alone (index-only): a range of days, both accounts of each trade.
        sa.Index(
            "ix_transfers_trades_by_day",
            "bank_id",
            "happened_on",
            "credit_account_id",
            "debit_account_id",
            postgresql_where=sa.text(RESOLVED_TRADE),
            sqlite_where=sa.text(RESOLVED_TRADE),
        ),
        # Reports find the transfers written since their summaries were brought up to date
        # by `seq`. The log only grows, so on PostgreSQL a BRIN index (a few pages) serves;
        # SQLite uses the rowid and leaves `seq` and this index empty.
        sa.Index(
            "ix_transfers_seq",
            "seq",
            postgresql_using="brin",
            sqlite_where=sa.text("seq IS NOT NULL"),
        ),
    )

    # The client's id: replaying a write with the same id returns the first result.
    id: so.Mapped[uuid.UUID] = so.mapped_column(sa.Uuid, primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    debit_account_id: so.Mapped[int]
    credit_account_id: so.Mapped[int]
    amount: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    code: so.Mapped[str] = so.mapped_column(sa.String(16))
    phase: so.Mapped[str] = so.mapped_column(sa.String(16))
    pending_id: so.Mapped[uuid.UUID | None] = so.mapped_column(
        sa.Uuid, sa.ForeignKey("transfers.id")
    )
    reverses_id: so.Mapped[uuid.UUID | None] = so.mapped_column(
        sa.Uuid, sa.ForeignKey("transfers.id")
    )
    # Linked transfers of one group exchange share a group id and post all or nothing.
    group_id: so.Mapped[uuid.UUID | None] = so.mapped_column(sa.Uuid)
    description: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    skill_category: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    happened_on: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    recorded_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
    recorded_by_id: so.Mapped[int | None]
    # SHA-256 of the request that created this transfer, to tell a replay from a conflict.
    request_digest: so.Mapped[str] = so.mapped_column(sa.String(64))
    # The order transfers were written in (PostgreSQL numbers them; SQLite's rowid does).
    seq: so.Mapped[int | None] = so.mapped_column(sa.BigInteger, sa.Identity(), nullable=True)

    def __repr__(self) -> str:
        return f"<Transfer {self.id} {self.phase} {self.amount}>"


def still_pending(transfer: sa.FromClause) -> sa.ColumnElement[bool]:
    """Return the condition that a row of `transfer` is pending and nothing has resolved it."""
    resolutions = Transfer.__table__.alias("resolutions")
    resolved = sa.select(resolutions.c.pending_id).where(resolutions.c.pending_id.is_not(None))
    return sa.and_(transfer.c.phase == "pending", transfer.c.id.not_in(resolved))


class PendingEscalation(Base):
    """A pending exchange nobody confirmed in time, handed to a broker to chase."""

    __tablename__ = "pending_escalations"

    transfer_id: so.Mapped[uuid.UUID] = so.mapped_column(
        sa.Uuid, sa.ForeignKey("transfers.id"), primary_key=True
    )
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"), index=True)
    escalated_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
