"""Members' own answers on loneliness and wellbeing

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00.000000

PLACEHOLDER: no schema change yet.
"""

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
