"""Referral data kept only as long as promised

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:00:00.000000

Adds referrals.purged_at: the purge now empties a referral's personal details (number,
first name, reason, outcome, the notes of its steps) and keeps the row with its status and
dates, so reports of past periods keep their counts.

Adds sms_inbound.referral_id and sms_outbox.referral_id, indexed: the texts about a
referral (the practice's REFER, the patient's answers, the invitation) are purged with it.
No foreign key: texts sit below referrals, and a plain ADD COLUMN spares SQLite a rebuild
of two busy tables. They are filled where the stored rows say which referral they were:
a REFER by the reference in our reply to it ("Referral R-0042 received"), a patient's text
and an invitation by the newest referral of that number made before it.

Texts from a practice stored before this revision may hold an NHS number, which the
referral itself never kept: their words and our replies to them are emptied here (what is
kept of a REFER is on the referral row, already redacted).
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_REFERENCE = re.compile(r"\bR-(\d{1,9})\b")


def upgrade():
    op.add_column("referrals", sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    for table in ("sms_inbound", "sms_outbox"):
        op.add_column(table, sa.Column("referral_id", sa.Integer(), nullable=True))
        op.create_index(f"ix_{table}_referral_id", table, ["referral_id"], unique=False)
    _link_refer_texts()
    _link_texts_by_number()
    _empty_practice_texts()


def _link_refer_texts():
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, bank_id, reply FROM sms_inbound WHERE kind = 'refer'")
    ).all()
    for text_id, bank_id, reply in rows:
        match = _REFERENCE.search(reply or "")
        if match is None:
            continue
        bind.execute(
            sa.text(
                "UPDATE sms_inbound SET referral_id = :referral WHERE id = :id AND EXISTS"
                " (SELECT 1 FROM referrals WHERE id = :referral AND bank_id = :bank)"
            ),
            {"referral": int(match.group(1)), "id": text_id, "bank": bank_id},
        )


def _link_texts_by_number():
    newest = (
        "SELECT max(r.id) FROM referrals r WHERE r.bank_id = {t}.bank_id"
        " AND r.patient_e164 = {t}.{number} AND r.created_at <= {t}.{stamp}"
    )
    inbound = newest.format(t="sms_inbound", number="from_e164", stamp="received_at")
    op.execute(
        f"UPDATE sms_inbound SET referral_id = ({inbound}) WHERE referral_id IS NULL"
        " AND kind <> 'refer' AND (member_id IS NULL OR kind = 'consent')"
    )
    outbox = newest.format(t="sms_outbox", number="to_e164", stamp="created_at")
    op.execute(
        f"UPDATE sms_outbox SET referral_id = ({outbox}) WHERE purpose = 'referral_invitation'"
    )


def _empty_practice_texts():
    op.execute(
        "UPDATE sms_inbound SET body = NULL, reply = NULL WHERE kind = 'refer' OR EXISTS"
        " (SELECT 1 FROM partner_numbers p WHERE p.bank_id = sms_inbound.bank_id"
        " AND p.e164 = sms_inbound.from_e164)"
    )


def downgrade():
    # Plain DROP COLUMNs: a rebuild on SQLite would drop tables others refer to.
    for table in ("sms_outbox", "sms_inbound"):
        op.drop_index(f"ix_{table}_referral_id", table_name=table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN referral_id")
    op.execute("ALTER TABLE referrals DROP COLUMN purged_at")
