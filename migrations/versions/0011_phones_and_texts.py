"""Mobile numbers a bank allows, and numbers confirmed by code

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:00:00.000000

PLACEHOLDER: no schema change yet.
"""

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
