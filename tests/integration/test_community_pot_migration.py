"""Revision 0016 on banks that already have pots: a floor at zero, or at a pot's own deficit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.databases import insert_as_migrated as _add


def _bank_with_pot(conn, slug: str, credits: int, debits: int) -> tuple[int, int]:
    """Add a bank whose pot and own account were opened with no limits, as before 0016."""
    from timebank.ledger.models import Account
    from timebank.members.models import Organisation
    from timebank.tenancy.models import TimeBank

    bank = _add(conn, TimeBank, name=slug, slug=slug)
    pot = _add(conn, Organisation, bank_id=bank, name="Community pot", kind="community_pot")
    own = _add(conn, Organisation, bank_id=bank, name=slug, kind="bank")
    pot_account = _add(
        conn, Account, bank_id=bank, organisation_id=pot, credits_posted=credits,
        debits_posted=debits,
    )  # fmt: skip
    own_account = _add(conn, Account, bank_id=bank, organisation_id=own)
    return pot_account, own_account


def _floors(conn, ids) -> list[int | None]:
    rows = dict(conn.execute(sa.text("SELECT id, min_balance FROM accounts")).all())
    return [rows[account_id] for account_id in ids]


def test_pots_get_a_floor_that_their_balance_already_meets_and_lose_it_on_downgrade(
    empty_database_url,
):
    from flask_migrate import downgrade, upgrade

    from timebank import create_app
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade(revision="0015")
        with db.engine.begin() as conn:
            in_credit, own = _bank_with_pot(conn, "pot-in-credit", 90, 0)
            overdrawn, _ = _bank_with_pot(conn, "pot-overdrawn", 20, 50)
        upgrade(revision="0016")
        with db.engine.begin() as conn:
            assert _floors(conn, (in_credit, overdrawn, own)) == [0, -30, None]
            # The floor holds: the overdrawn pot can go no lower.
            with pytest.raises(sa.exc.IntegrityError):
                with conn.begin_nested():
                    conn.execute(
                        sa.text("UPDATE accounts SET debits_posted = 51 WHERE id = :id"),
                        {"id": overdrawn},
                    )
        downgrade(revision="0015")
        with db.engine.begin() as conn:
            assert _floors(conn, (in_credit, overdrawn, own)) == [None, None, None]
        db.session.remove()
        db.engine.dispose()
