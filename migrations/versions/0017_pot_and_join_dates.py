"""Community pot on the web, and members' real join dates

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 18:00:00.000000

PLACEHOLDER: no schema change yet.
"""

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
