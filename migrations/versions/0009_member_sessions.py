"""Sessions held on the server

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 17:00:00.000000

PLACEHOLDER: no schema change yet.
"""

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
