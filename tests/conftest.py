"""Fixtures shared by every test: the engine for this run, the app, a session, a bank."""

from __future__ import annotations

import os

import pytest

from tests.databases import TestDatabases, engine_name, postgres_reachable

ENGINE = engine_name()
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_report_header() -> str:
    return f"timebank test engine: {ENGINE}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ENGINE == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; runs in the PostgreSQL pass of make test")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory):
    """Migrate a template database once per run and drop it at the end."""
    if ENGINE == "postgresql":
        reason = postgres_reachable()
        if reason is not None:
            message = f"PostgreSQL is not reachable ({reason})"
            if IN_CI:
                pytest.exit(f"{message}; CI requires it.", returncode=1)
            pytest.skip(f"{message}; set TIMEBANK_TEST_DATABASE_URL to test on PostgreSQL.")
    dbs = TestDatabases(ENGINE, str(tmp_path_factory.mktemp("databases")))
    dbs.start()
    yield dbs
    dbs.stop()


@pytest.fixture
def database_url(databases: TestDatabases) -> str:
    """Return the URL of a clean, migrated database for this test."""
    return databases.fresh()


@pytest.fixture
def app(database_url: str):
    """Build the app on this test's database and push its context."""
    from timebank import create_app
    from timebank.extensions import db

    app = create_app("testing", {"DATABASE_URL": database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    """Return the database session the services use."""
    from timebank.extensions import db

    return db.session


@pytest.fixture
def client(app):
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def bank(session):
    """Return a time bank with the default settings."""
    from tests.factories import TimeBankFactory

    return TimeBankFactory()


@pytest.fixture
def broker(bank):
    """Return an active broker of `bank`."""
    from tests.factories import MemberFactory

    return MemberFactory(bank=bank, display_name="Bea Broker", role="broker")


@pytest.fixture
def admin(bank):
    """Return an admin of `bank`."""
    from tests.factories import MemberFactory

    return MemberFactory(bank=bank, display_name="Ada Admin", role="admin", mobile="07956 000001")


@pytest.fixture
def practice(session, bank, admin):
    """Return a referral partner of `bank` that texts from 07400 000111."""
    from timebank.referrals import partners

    partner = partners.add_partner(session, bank.id, admin.id, "Ravensbourne Health Centre")
    partners.add_partner_number(session, bank.id, admin.id, partner.id, "07400 000111")
    return partner
