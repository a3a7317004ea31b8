"""Where a time bank's hourly value comes from

Revision ID: 0014
Revises: 0013
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
revision = "0014"
down_revision = "0013"
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
    # A plain DROP COLUMN on both engines: time_banks is referred to by nearly every table,
    # so SQLite must not rebuild it.
    op.execute("ALTER TABLE time_banks DROP COLUMN hourly_value_source")
