"""Report summaries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 00:27:20.289660

Adds the summaries reports read instead of the transfer log: each account's counted
exchanges per calendar month, each pair of accounts that have exchanged, how many partners
each account has, each month's minutes and exchanges by kind of help and mix of areas, and
when each bank's summaries were last rebuilt. On PostgreSQL all five are UNLOGGED (see
`_unlogged`). They start empty; the first report (or `flask reports refresh --all`) fills
them from the ledger, so nothing needs backfilling here.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _unlogged() -> list[str]:
    """Return UNLOGGED on PostgreSQL, where the summaries skip the write-ahead log.

    They are rebuilt from the ledger at will, and several times quicker without the log.
    After a crash PostgreSQL empties them all, the record of when they were rebuilt
    included, so the next report rebuilds them. They are not copied to standby servers
    either: run reports against the primary.
    """
    return ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []


def upgrade():
    op.create_table(
        "summary_account_months",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("gave", sa.Integer(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("minutes_given", sa.BigInteger(), nullable=False),
        sa.Column("minutes_received", sa.BigInteger(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_summary_account_months")),
        prefixes=_unlogged(),
    )
    with op.batch_alter_table("summary_account_months", schema=None) as batch_op:
        batch_op.create_index(
            "ix_summary_account_months_bank_id_month", ["bank_id", "month"], unique=False
        )

    op.create_table(
        "summary_account_pairs",
        sa.Column("one_account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("other_account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "one_account_id < other_account_id", name=op.f("ck_summary_account_pairs_lower_first")
        ),
        sa.PrimaryKeyConstraint(
            "one_account_id", "other_account_id", name=op.f("pk_summary_account_pairs")
        ),
        prefixes=_unlogged(),
    )
    with op.batch_alter_table("summary_account_pairs", schema=None) as batch_op:
        batch_op.create_index("ix_summary_account_pairs_bank_id", ["bank_id"], unique=False)

    op.create_table(
        "summary_accounts",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("partners", sa.Integer(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("last_gave_month", sa.Date(), nullable=True),
        sa.Column("last_received_month", sa.Date(), nullable=True),
        sa.Column("recent_months", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_summary_accounts")),
        prefixes=_unlogged(),
    )
    with op.batch_alter_table("summary_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_summary_accounts_bank_id", ["bank_id"], unique=False)

    op.create_table(
        "summary_month_totals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("skill_category", sa.String(length=60), nullable=True),
        sa.Column("areas", sa.String(length=9), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("exchanges", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "areas IN ('same', 'different', 'unknown')",
            name=op.f("ck_summary_month_totals_areas_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summary_month_totals")),
        prefixes=_unlogged(),
    )
    with op.batch_alter_table("summary_month_totals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_summary_month_totals_bank_id_month", ["bank_id", "month"], unique=False
        )

    op.create_table(
        "summary_refreshes",
        sa.Column("bank_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("latest_day", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["time_banks.id"], name=op.f("fk_summary_refreshes_bank_id_time_banks")
        ),
        sa.PrimaryKeyConstraint("bank_id", name=op.f("pk_summary_refreshes")),
        prefixes=_unlogged(),
    )


def downgrade():
    with op.batch_alter_table("summary_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_summary_accounts_bank_id")

    op.drop_table("summary_accounts")
    op.drop_table("summary_refreshes")
    with op.batch_alter_table("summary_month_totals", schema=None) as batch_op:
        batch_op.drop_index("ix_summary_month_totals_bank_id_month")

    op.drop_table("summary_month_totals")
    with op.batch_alter_table("summary_account_pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_summary_account_pairs_bank_id")

    op.drop_table("summary_account_pairs")
    with op.batch_alter_table("summary_account_months", schema=None) as batch_op:
        batch_op.drop_index("ix_summary_account_months_bank_id_month")

    op.drop_table("summary_account_months")
