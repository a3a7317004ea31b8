"""When a member left

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 23:58:00.000000

Adds members.left_at, set when a member's status becomes "left" and cleared when they come
back. It is nullable and not backfilled: nothing recorded before this revision says when a
departed member left (the status alone has no date), so members who left earlier keep
left_at empty and the reports count them as leaving in no period. A plain add_column, which
SQLite can do without rebuilding the table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("members", sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("left_at")
