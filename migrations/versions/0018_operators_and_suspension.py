"""Platform operators, and suspending a time bank

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-08 00:00:00.000000

Adds operators (the people who run the whole install: they sign in with an email and a
password, kept as an argon2 hash) and operator_sessions (their signed-in browsers; only
the SHA-256 digest of each session id). Both stand apart from members, so no query scoped
to a time bank ever meets an operator. Adds time_banks.suspended_at, set while operators
have suspended a bank; a plain add_column, which SQLite does without rebuilding the table.
Nothing to backfill: no bank starts suspended and there are no operators until
`flask platform operator add`.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "time_banks", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("email", name=op.f("uq_operators_email")),
    )
    op.create_table(
        "operator_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_sessions_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_sessions")),
        sa.UniqueConstraint("digest", name=op.f("uq_operator_sessions_digest")),
    )
    op.create_index(
        op.f("ix_operator_sessions_operator_id"), "operator_sessions", ["operator_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_operator_sessions_operator_id"), table_name="operator_sessions")
    op.drop_table("operator_sessions")
    op.drop_table("operators")
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding time_banks would trip every foreign key.
    op.execute("ALTER TABLE time_banks DROP COLUMN suspended_at")
