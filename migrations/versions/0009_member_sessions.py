"""Sessions held on the server

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 17:00:00.000000

Adds member_sessions: one row per signed-in web session, so a session can be ended on the
server (signing out, a password change, "sign out of all other devices", a member being
suspended, leaving, being erased or changing role) and checked on every request. The
browser's cookie carries a random session id; the row keeps only its SHA-256 digest. Rows
are deleted 30 days after the session ended (`flask sessions purge`). Nothing to backfill:
sessions opened before this revision lived only in their cookie, which no longer signs
anyone in, so every member signs in again once after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ROLES = "'member', 'broker', 'admin'"
REASONS = (
    "'signed_out', 'other_devices', 'password_changed', 'suspended', 'left', 'erased', "
    "'status_changed', 'role_changed', 'idle', 'expired'"
)


def upgrade():
    op.create_table(
        "member_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=20), nullable=True),
        sa.CheckConstraint(f"role IN ({ROLES})", name=op.f("ck_member_sessions_role_known")),
        sa.CheckConstraint(
            f"ended_reason IN ({REASONS})", name=op.f("ck_member_sessions_ended_reason_known")
        ),
        sa.CheckConstraint(
            "(ended_at IS NULL) = (ended_reason IS NULL)",
            name=op.f("ck_member_sessions_ended_with_a_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id", "member_id"],
            ["members.bank_id", "members.id"],
            name=op.f("fk_member_sessions_bank_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["time_banks.id"], name=op.f("fk_member_sessions_bank_id_time_banks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_sessions")),
        sa.UniqueConstraint("digest", name=op.f("uq_member_sessions_digest")),
    )
    op.create_index(
        "ix_member_sessions_bank_id_member_id", "member_sessions", ["bank_id", "member_id"]
    )


def downgrade():
    op.drop_index("ix_member_sessions_bank_id_member_id", table_name="member_sessions")
    op.drop_table("member_sessions")
