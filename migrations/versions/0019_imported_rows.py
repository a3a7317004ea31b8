"""Imported rows: where each imported member, listing and exchange came from

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 23:30:00.000000

`flask bank import` and the admin's upload page keep, for each row they bring in, its
source (our own template or TimeOverflow), the kind of row, the id it had there and what it
became here. Importing the same files again finds those rows and adds nothing. Historic
exchanges are ordinary posted transfers; this table is what marks them as imported.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "imported_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('template', 'timeoverflow')", name=op.f("ck_imported_rows_source_known")
        ),
        sa.CheckConstraint(
            "kind IN ('member', 'organisation', 'listing', 'exchange', 'balance')",
            name=op.f("ck_imported_rows_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["time_banks.id"], name=op.f("fk_imported_rows_bank_id_time_banks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_rows")),
        sa.UniqueConstraint(
            "bank_id",
            "source",
            "kind",
            "source_id",
            name=op.f("uq_imported_rows_bank_id_source_kind_source_id"),
        ),
    )
    op.create_index("ix_imported_rows_target", "imported_rows", ["kind", "target"], unique=False)


def downgrade():
    op.drop_index("ix_imported_rows_target", table_name="imported_rows")
    op.drop_table("imported_rows")
