"""Fixtures shared by every test: the engine for this run, the app, a session, a bank."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.databases import (
    TestDatabases,
    create_postgres_database,
    drop_postgres_database,
    engine_name,
    postgres_reachable,
)

ENGINE = engine_name()
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_report_header() -> str:
    return f"timebank test engine: {ENGINE}"


def pytest_sessionstart(session: pytest.Session) -> None:
    """On CI, stop at once, saying why, when the PostgreSQL pass has no server to run on."""
    # Checked here, in the main process: a pytest-xdist worker that stops the run leaves
    # only an internal error, without the reason.
    if ENGINE != "postgresql" or not IN_CI or hasattr(session.config, "workerinput"):
        return
    reason = postgres_reachable()
    if reason is not None:
        pytest.exit(f"PostgreSQL is not reachable ({reason}); CI requires it.", returncode=1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="leave out tests that touch no database (make test's SQLite pass runs them)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--database-tests-only"):
        leave_out_engine_free_tests(config, items)
    if ENGINE == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL; runs in the PostgreSQL pass of make test")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def leave_out_engine_free_tests(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect tests that run the same on any engine: no database, browser or PostgreSQL mark."""
    # Every database a test gets comes through the `databases` fixture, and the browser
    # tests run only in the PostgreSQL pass, so what is left here gains nothing from a
    # second run on another engine.
    keep, leave = [], []
    for item in items:
        engine_bound = {"databases", "browser"} & set(getattr(item, "fixturenames", ()))
        (keep if engine_bound or "postgres_only" in item.keywords else leave).append(item)
    if leave:
        config.hook.pytest_deselected(items=leave)
        items[:] = keep


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory):
    """Migrate a template database once per run and drop it at the end."""
    if ENGINE == "postgresql":
        reason = postgres_reachable()
        if reason is not None:
            message = f"PostgreSQL is not reachable ({reason})"
            if IN_CI:
                # Normally stopped at the start (below); a worker process cannot stop the run.
                pytest.fail(f"{message}; CI requires it.", pytrace=False)
            pytest.skip(f"{message}; set TIMEBANK_TEST_DATABASE_URL to test on PostgreSQL.")
    dbs = TestDatabases(ENGINE, str(tmp_path_factory.mktemp("databases")))
    dbs.start()
    yield dbs
    dbs.stop()


@pytest.fixture
def database_url(databases: TestDatabases) -> Iterator[str]:
    """Return the URL of a clean, migrated database for this test."""
    url = databases.fresh()
    yield url
    databases.discard(url)


@pytest.fixture
def empty_database_url(databases: TestDatabases, tmp_path) -> Iterator[str]:
    """Return the URL of a brand-new database with no schema, for migration tests."""
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = create_postgres_database("timebank_empty")
    yield url
    drop_postgres_database(url)


@pytest.fixture
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash and check passwords with argon2's cheapest settings while a test runs."""
    # The production settings (64 MiB, 3 passes) take about 0.4 s a hash and again a check
    # on a 2-core machine, and signing a member in does both: most of some tests' time.
    # The code path is the same; tests/unit checks hashing with the real settings.
    from argon2 import PasswordHasher, profiles

    from timebank.members import passwords, signin

    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(passwords, "_hasher", cheap)
    monkeypatch.setattr(signin, "_DUMMY_HASH", cheap.hash("not-a-real-password"))


@pytest.fixture
def app(database_url: str, cheap_password_hashing: None):
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
