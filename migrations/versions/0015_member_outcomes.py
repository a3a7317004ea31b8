"""Members' own answers on loneliness and wellbeing

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:00:00.000000

Adds outcome_consents: one row per member who agreed to be asked the outcome questions
(when, and how: web, broker or text), said no once and for all, or was texted the one
question asking whether they agree.

Adds outcome_rounds: one row per member and six-month period since joining (round 0 is
the period of joining), with the answer to the ONS loneliness question (1 to 5), the
answer to the ONS life satisfaction question (0 to 10), when each came, and which question
a text reply would answer. Unique per member and round, so nobody is asked twice in a
period; the ranges are CHECK constraints. Both tables refer to members by (bank_id, id),
so a row never names a member of another time bank.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _member_key(table):
    return sa.ForeignKeyConstraint(
        ["bank_id", "member_id"],
        ["members.bank_id", "members.id"],
        name=op.f(f"fk_{table}_bank_id_member_id_members"),
    )


def _bank_key(table):
    return sa.ForeignKeyConstraint(
        ["bank_id"], ["time_banks.id"], name=op.f(f"fk_{table}_bank_id_time_banks")
    )


def upgrade():
    op.create_table(
        "outcome_consents",
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreed_via", sa.String(length=8), nullable=True),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "agreed_via IN ('web', 'broker', 'text')",
            name=op.f("ck_outcome_consents_agreed_via_known"),
        ),
        sa.CheckConstraint(
            "(agreed_at IS NULL) = (agreed_via IS NULL)",
            name=op.f("ck_outcome_consents_agreed_with_a_way"),
        ),
        _member_key("outcome_consents"),
        _bank_key("outcome_consents"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_outcome_consents")),
    )
    op.create_index(
        op.f("ix_outcome_consents_bank_id"), "outcome_consents", ["bank_id"], unique=False
    )
    op.create_table(
        "outcome_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("texted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_for", sa.String(length=12), nullable=True),
        sa.Column("lonely", sa.Integer(), nullable=True),
        sa.Column("lonely_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("satisfied", sa.Integer(), nullable=True),
        sa.Column("satisfied_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("round >= 0", name=op.f("ck_outcome_rounds_round_not_negative")),
        sa.CheckConstraint(
            "lonely BETWEEN 1 AND 5", name=op.f("ck_outcome_rounds_lonely_in_range")
        ),
        sa.CheckConstraint(
            "satisfied BETWEEN 0 AND 10", name=op.f("ck_outcome_rounds_satisfied_in_range")
        ),
        sa.CheckConstraint(
            "(lonely IS NULL) = (lonely_at IS NULL)",
            name=op.f("ck_outcome_rounds_lonely_with_time"),
        ),
        sa.CheckConstraint(
            "(satisfied IS NULL) = (satisfied_at IS NULL)",
            name=op.f("ck_outcome_rounds_satisfied_with_time"),
        ),
        sa.CheckConstraint(
            "waiting_for IN ('lonely', 'satisfied')",
            name=op.f("ck_outcome_rounds_waiting_for_known"),
        ),
        sa.CheckConstraint(
            "closes_at > opens_at", name=op.f("ck_outcome_rounds_closes_after_it_opens")
        ),
        _member_key("outcome_rounds"),
        _bank_key("outcome_rounds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_rounds")),
        sa.UniqueConstraint("member_id", "round", name=op.f("uq_outcome_rounds_member_id_round")),
    )
    op.create_index(
        "ix_outcome_rounds_bank_id_round", "outcome_rounds", ["bank_id", "round"], unique=False
    )


def downgrade():
    op.drop_index("ix_outcome_rounds_bank_id_round", table_name="outcome_rounds")
    op.drop_table("outcome_rounds")
    op.drop_index(op.f("ix_outcome_consents_bank_id"), table_name="outcome_consents")
    op.drop_table("outcome_consents")
