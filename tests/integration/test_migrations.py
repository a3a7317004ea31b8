"""Migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.databases import migrate


def _differences(url: str) -> list:
    from timebank.extensions import db

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(context, db.metadata)
    finally:
        engine.dispose()


def test_upgrading_an_empty_database_matches_the_models(empty_database_url):
    migrate(empty_database_url)
    assert _differences(empty_database_url) == []


def test_downgrade_then_upgrade_leaves_the_same_schema(empty_database_url):
    from flask_migrate import downgrade, upgrade

    from timebank import create_app

    app = create_app("testing", {"DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        from timebank.extensions import db

        with db.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        db.engine.dispose()
    assert _differences(empty_database_url) == []


def test_a_bank_with_members_and_exchanges_goes_down_to_0008_and_back_up(empty_database_url):
    """Revisions after 0008 never rebuild a table others refer to (SQLite refuses that)."""
    from flask_migrate import downgrade, upgrade

    from tests.factories import MemberFactory, TimeBankFactory, record_help
    from timebank import create_app
    from timebank.extensions import db
    from timebank.ledger.verify import verify_ledger

    app = create_app("testing", {"DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade()
        bank = TimeBankFactory()
        giver, receiver = MemberFactory(bank=bank), MemberFactory(bank=bank)
        record_help(db.session, giver, receiver, 90)
        db.session.commit()

        downgrade(revision="0008")
        upgrade()

        assert verify_ledger(db.session()).ok
        db.session.remove()
        db.engine.dispose()
    assert _differences(empty_database_url) == []
