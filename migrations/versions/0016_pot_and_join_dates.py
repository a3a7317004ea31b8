"""The community pot cannot give more than it holds

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00.000000

Gives every community pot's account a lower limit (accounts.min_balance) of zero, so the
CHECK within_overdraft refuses a grant bigger than what members have given. A pot that is
already below zero (grants were not limited before this revision) keeps its balance, and
its limit is set to that lower figure instead, so the CHECK still holds: it can take
donations but no grant takes it further down. Data only, no column changes; downgrade puts
the pots back to no limit. Members' real join dates need no schema change: they are
written to members.joined_at, and the broker audit trail (broker_actions) keeps the reason
and the old date.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

POTS = "SELECT id FROM organisations WHERE kind = 'community_pot'"
LOWEST = "credits_posted - debits_posted - debits_pending"


def upgrade():
    op.execute(
        sa.text(
            f"UPDATE accounts SET min_balance = CASE WHEN {LOWEST} < 0 THEN {LOWEST} ELSE 0 END"
            f" WHERE organisation_id IN ({POTS})"
        )
    )


def downgrade():
    op.execute(sa.text(f"UPDATE accounts SET min_balance = NULL WHERE organisation_id IN ({POTS})"))
