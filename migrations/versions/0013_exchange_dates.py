"""How far back an exchange may be dated

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:00:00.000000

Adds time_banks.exchange_past_days: how many days back a member may date an exchange
(today in the bank's own time zone counts as day 0). Existing banks get 90, the default.
A broker may date one further back, up to ten years, only with a reason, kept in the
transfer's existing `reason` column, so transfers need no change. The CHECK keeps the
setting between 1 and 3660 days. The column is added with a server default so existing
rows are filled. On SQLite the column comes with its CHECK in one plain ADD COLUMN:
time_banks is referred to by nearly every table, so it is never rebuilt (a rebuild drops the
table, which its foreign keys refuse once a bank has members).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


CHECK = "exchange_past_days BETWEEN 1 AND 3660"


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE time_banks ADD COLUMN exchange_past_days INTEGER DEFAULT 90 NOT NULL"
            f" CONSTRAINT ck_time_banks_exchange_past_days_in_range CHECK ({CHECK})"
        )
        return
    op.add_column(
        "time_banks",
        sa.Column("exchange_past_days", sa.Integer(), nullable=False, server_default="90"),
    )
    op.create_check_constraint("exchange_past_days_in_range", "time_banks", CHECK)


def downgrade():
    # A plain DROP COLUMN on both engines (the column's own CHECK goes with it): time_banks
    # is referred to by nearly every table, so SQLite must not rebuild it.
    op.execute("ALTER TABLE time_banks DROP COLUMN exchange_past_days")
