"""What an import brought in: each row's source and source id, and what it became here."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm as so

from timebank.clock import utcnow
from timebank.db import Base, one_of

# Where rows come from: our own template, or a TimeOverflow export.
IMPORT_SOURCES = ("template", "timeoverflow")
# What a row became: a member, an organisation, a listing, a historic exchange, or the
# opening balance of an account with no history.
IMPORTED_KINDS = ("member", "organisation", "listing", "exchange", "balance")


class ImportedRow(Base):
    """One row of an imported file, kept so that importing the same file again adds nothing.

    `target` is the id of what the row became here (a member's or listing's id, a
    transfer's uuid). Transfers listed here with kind "exchange" are historic exchanges:
    they were posted at once, with their own dates, and nobody was asked to confirm them.
    """

    __tablename__ = "imported_rows"
    __table_args__ = (
        sa.UniqueConstraint("bank_id", "source", "kind", "source_id"),
        sa.CheckConstraint(one_of("source", IMPORT_SOURCES), name="source_known"),
        sa.CheckConstraint(one_of("kind", IMPORTED_KINDS), name="kind_known"),
        sa.Index("ix_imported_rows_target", "kind", "target"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    bank_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("time_banks.id"))
    source: so.Mapped[str] = so.mapped_column(sa.String(16))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    source_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    target: so.Mapped[str] = so.mapped_column(sa.String(40))
    imported_at: so.Mapped[dt.datetime] = so.mapped_column(
        sa.DateTime(timezone=True), default=utcnow
    )
