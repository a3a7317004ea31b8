"""Summaries of the ledger that reports read instead of the transfer log.

They hold only counted exchanges (see `scratch.counted_trades`). `summaries` rebuilds them
from the ledger and then keeps them up to date by redoing only the rows that newly written
transfers touch; they carry no foreign keys to the accounts they sum.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.db import Base, one_of

# How the areas of an exchange's giver and receiver compare: "unknown" when either has none.
AREA_MIXES = ("same", "different", "unknown")


class AccountMonth(Base):
    """One account's counted exchanges in one calendar month."""

    __tablename__ = "summary_account_months"
    __table_args__ = (sa.Index("ix_summary_account_months_bank_id_month", "bank_id", "month"),)

    account_id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    # The first day of the month.
    month: so.Mapped[dt.date] = so.mapped_column(sa.Date, primary_key=True)
    bank_id: so.Mapped[int]
    gave: so.Mapped[int]
    received: so.Mapped[int]
    minutes_given: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    minutes_received: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    # With the first and last day, "traded in the 90 days up to day X" is exact for any X.
    first_day: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    last_day: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    # The same for each side, so "gave from day X to the month's end" (or "from its start to
    # day X") is exact too: a period may start or end inside a month.
    gave_first_day: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    gave_last_day: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    received_first_day: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    received_last_day: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    # And for its exchanges outside group exchanges (one-to-one).
    single_first_day: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    single_last_day: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)


class AccountPair(Base):
    """Two accounts that have exchanged (lower id first): when first and last, and how often."""

    __tablename__ = "summary_account_pairs"
    __table_args__ = (
        sa.CheckConstraint("one_account_id < other_account_id", name="lower_first"),
        sa.Index("ix_summary_account_pairs_bank_id", "bank_id"),
        # An account's pairs as the higher one, when its totals are worked out again.
        sa.Index("ix_summary_account_pairs_other_account_id", "other_account_id"),
    )

    one_account_id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    other_account_id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    bank_id: so.Mapped[int]
    first_day: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    last_day: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    # Transfers between the two: each giver and receiver pair of a group exchange once.
    trades: so.Mapped[int]


class AccountTotal(Base):
    """One account's exchanges so far: partners, last day, and its latest months.

    A report whose period reaches the latest exchange reads its members' sums from these
    rows alone, without adding up their months.
    """

    __tablename__ = "summary_accounts"
    __table_args__ = (sa.Index("ix_summary_accounts_bank_id", "bank_id"),)

    account_id: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    bank_id: so.Mapped[int]
    # How many different accounts it has exchanged with.
    partners: so.Mapped[int]
    last_day: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    # The latest months it gave and received help in (first days), if ever.
    last_gave_month: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    last_received_month: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    # The months it traded in, as bits: bit 62 is the month of the bank's latest exchange
    # (when rebuilt), bit 61 the month before, and so on back for 63 months.
    recent_months: so.Mapped[int] = so.mapped_column(sa.BigInteger)


class DayTotal(Base):
    """A bank's counted exchanges on one day, of one kind of help and mix of areas."""

    __tablename__ = "summary_day_totals"
    __table_args__ = (
        sa.CheckConstraint(one_of("areas", AREA_MIXES), name="areas_known"),
        sa.Index("ix_summary_day_totals_bank_id_day", "bank_id", "day"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int]
    day: so.Mapped[dt.date] = so.mapped_column(sa.Date)
    skill_category: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    areas: so.Mapped[str] = so.mapped_column(sa.String(9))
    minutes: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    # Transfers: a group exchange once for each giver and receiver pair in it.
    trades: so.Mapped[int]
    # Exchanges: a group exchange once on its day and kind of help, on one row of areas.
    exchanges: so.Mapped[int]


class SummaryRefresh(Base):
    """When a bank's summaries were last rebuilt, how long it took, and their latest day."""

    __tablename__ = "summary_refreshes"

    bank_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("time_banks.id"), primary_key=True, autoincrement=False
    )
    refreshed_at: so.Mapped[dt.datetime] = so.mapped_column(sa.DateTime(timezone=True))
    seconds: so.Mapped[float]
    # The latest day any counted exchange happened on, when they were brought up to date.
    latest_day: so.Mapped[dt.date | None] = so.mapped_column(sa.Date)
    # The last transfer (by `Transfer.seq`, or rowid on SQLite) they include; every earlier
    # one is included too.
    upto_seq: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
