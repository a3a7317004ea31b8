"""Mobile numbers a bank allows, and numbers confirmed by code

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:00:00.000000

Adds time_banks.mobile_regions: the countries (ISO codes, comma-separated) whose mobile
numbers the bank's members may have. Existing banks get "GB", the only numbers they could
rightly hold before. A plain add_column with a server default, which SQLite can do without
rebuilding the table.

Adds mobile_changes: a new mobile number a member asked for, with the hash of the code
texted to it. The member's number changes only when they type that code.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "time_banks",
        sa.Column("mobile_regions", sa.String(length=60), server_default="GB", nullable=False),
    )
    op.create_table(
        "mobile_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("new_e164", sa.String(length=16), nullable=False),
        sa.Column("salt", sa.String(length=43), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["bank_id", "member_id"],
            ["members.bank_id", "members.id"],
            name=op.f("fk_mobile_changes_bank_id_member_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["time_banks.id"], name=op.f("fk_mobile_changes_bank_id_time_banks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mobile_changes")),
    )
    op.create_index(
        "ix_mobile_changes_member_id_created_at",
        "mobile_changes",
        ["member_id", "created_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_mobile_changes_member_id_created_at", table_name="mobile_changes")
    op.drop_table("mobile_changes")
    # A plain DROP COLUMN on both engines: time_banks is referred to by nearly every table,
    # so SQLite must not rebuild it.
    op.execute("ALTER TABLE time_banks DROP COLUMN mobile_regions")
