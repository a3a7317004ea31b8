"""Reports: disclosure control

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00.000000

PLACEHOLDER: no schema change yet.
"""

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
