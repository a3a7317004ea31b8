"""Each account's trades, kept with its counters

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 03:20:00.000000

Adds to accounts how many trades each account has on each side (given: it was credited;
received: debited) and the first and last day one happened. Posting keeps them from now on,
in the same statement that moves the counters; this revision fills them from the transfer
log. The dormancy scan reads them instead of summing every transfer.

The two partial indexes that the scan summed from (one per side, by account) go, and one
partial index by day takes their place: the scan now only reads the days of its recent
window from the log. A posting updates one index fewer than before.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The same words as timebank.ledger.models.RESOLVED_TRADE, which a migration must not import.
RESOLVED_TRADE = "code IN ('exchange', 'group') AND phase IN ('posted', 'post_pending')"
SIDES = (("given", "credit_account_id"), ("received", "debit_account_id"))


def _columns(side: str) -> list[sa.Column]:
    return [
        sa.Column(f"trades_{side}", sa.Integer(), server_default="0", nullable=False),
        sa.Column(f"first_{side}_on", sa.Date(), nullable=True),
        sa.Column(f"last_{side}_on", sa.Date(), nullable=True),
    ]


def upgrade():
    # Plain ADD COLUMN: accounts is referred to by other tables, so it is never rebuilt.
    for side, _account in SIDES:
        for column in _columns(side):
            op.add_column("accounts", column)
    # Filled while the old per-account indexes still serve each account's lookups.
    for side, account in SIDES:
        trades = (
            f"FROM transfers WHERE transfers.bank_id = accounts.bank_id"
            f" AND transfers.{account} = accounts.id AND {RESOLVED_TRADE}"
        )
        op.execute(
            f"UPDATE accounts SET trades_{side} = (SELECT count(*) {trades}),"
            f" first_{side}_on = (SELECT min(happened_on) {trades}),"
            f" last_{side}_on = (SELECT max(happened_on) {trades})"
        )
    op.create_index(
        "ix_transfers_trades_by_day",
        "transfers",
        ["bank_id", "happened_on", "credit_account_id", "debit_account_id"],
        postgresql_where=sa.text(RESOLVED_TRADE),
        sqlite_where=sa.text(RESOLVED_TRADE),
    )
    op.drop_index("ix_transfers_trades_given", table_name="transfers")
    op.drop_index("ix_transfers_trades_received", table_name="transfers")


def downgrade():
    for name, account in (
        ("ix_transfers_trades_given", "credit_account_id"),
        ("ix_transfers_trades_received", "debit_account_id"),
    ):
        op.create_index(
            name,
            "transfers",
            ["bank_id", account, "happened_on"],
            postgresql_where=sa.text(RESOLVED_TRADE),
            sqlite_where=sa.text(RESOLVED_TRADE),
        )
    op.drop_index("ix_transfers_trades_by_day", table_name="transfers")
    for side, _account in reversed(SIDES):
        for column in reversed(_columns(side)):
            op.drop_column("accounts", column.name)
