"""How far back an exchange may be dated

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:00:00.000000

PLACEHOLDER: no schema change yet.
"""

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
