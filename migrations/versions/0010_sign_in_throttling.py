"""Sign-in codes for unknown numbers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 17:00:00.000000

Makes sign_in_codes.member_id nullable. A code requested for a number that belongs to no
active member now gets a row too, with no member: no text is sent and no code can match it,
but wrong guesses are counted and it expires exactly as a member's code does, so the pages
answer a stranger's number and a member's alike. The composite foreign key to members is
kept; a row without a member is not checked against it (MATCH SIMPLE, on SQLite and
PostgreSQL alike). SQLite cannot change a column's nullability in place, so the table is
rebuilt with batch_alter_table. Downgrading deletes the rows without a member first.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sign_in_codes", schema=None) as batch_op:
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM sign_in_codes WHERE member_id IS NULL")
    with op.batch_alter_table("sign_in_codes", schema=None) as batch_op:
        batch_op.alter_column("member_id", existing_type=sa.Integer(), nullable=False)
