"""Where a time bank's hourly value comes from

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:00:00.000000

Adds time_banks.hourly_value_source: the words reports print under the estimated value to
say where the value of one hour of help (time_banks.hourly_value_pence) comes from. Admins
change both on the hourly value page. Existing banks get the default the value itself has
always had, "Volunteering England's method: the average hourly wage", through the server
default, so the column can be NOT NULL at once. A plain ADD COLUMN with a constant default,
which SQLite can do without rebuilding the table.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

DEFAULT_SOURCE = "Volunteering England's method: the average hourly wage"


def upgrade():
    op.add_column(
        "time_banks",
        sa.Column(
            "hourly_value_source",
            sa.String(200),
            nullable=False,
            server_default=DEFAULT_SOURCE,
        ),
    )


def downgrade():
    with op.batch_alter_table("time_banks", schema=None) as batch_op:
        batch_op.drop_column("hourly_value_source")
