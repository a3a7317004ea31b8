"""Sign-in throttling

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 17:00:00.000000

PLACEHOLDER: no schema change yet.
"""

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
