"""Test databases: a migrated template per run, and a clean database for each test.

SQLite: the template file is copied for each test (in /dev/shm, memory, where there is
one) and deleted after it. PostgreSQL: one database per run (created, migrated, dropped at
the end), with every table emptied between tests, whose commits do not wait for the disk.
Each pytest-xdist worker has its own template.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field

import sqlalchemy as sa

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# Memory-backed, where the system has it: SQLite's FULL sync waits for the disk on every
# commit (3 to 5 ms each), and a test database is thrown away at the end of its test.
MEMORY_DIRECTORY = "/dev/shm"


def engine_name() -> str:
    """Return which engine this test run uses: 'sqlite' (default) or 'postgresql'."""
    name = os.environ.get("TIMEBANK_TEST_ENGINE", "sqlite")
    if name not in ("sqlite", "postgresql"):
        raise RuntimeError(f"TIMEBANK_TEST_ENGINE must be sqlite or postgresql, not {name!r}")
    return name


def postgres_admin_url() -> str:
    """Return the URL of the PostgreSQL server tests may create databases on."""
    url = os.environ.get("TIMEBANK_TEST_DATABASE_URL", DEFAULT_POSTGRES_URL)
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def postgres_reachable() -> str | None:
    """Return None when the test server answers, else the reason it does not."""
    engine = sa.create_engine(postgres_admin_url(), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        return str(exc.orig).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


def create_postgres_database(prefix: str = "timebank_test") -> str:
    """Create an empty database with a unique name and return its URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return (
        sa.make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
    )


def drop_postgres_database(url: str) -> None:
    """Drop a database made by `create_postgres_database`, closing stray connections."""
    name = sa.make_url(url).database
    admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest migration."""
    from flask_migrate import upgrade

    from timebank import create_app

    app = create_app("testing", {"DATABASE_URL": url})
    with app.app_context():
        upgrade()
        from timebank.extensions import db

        db.engine.dispose()


@dataclass
class TestDatabases:
    """Hands out a clean, migrated database for each test."""

    engine: str
    workdir: str
    template: str = ""
    _emptier: sa.Engine | None = field(default=None, repr=False)
    _empty_sql: str = ""

    def start(self) -> None:
        if self.engine == "sqlite":
            if os.path.isdir(MEMORY_DIRECTORY) and os.access(MEMORY_DIRECTORY, os.W_OK):
                self.workdir = tempfile.mkdtemp(prefix="timebank-tests-", dir=MEMORY_DIRECTORY)
            path = os.path.join(self.workdir, "template.sqlite3")
            migrate(f"sqlite:///{path}")
            self.template = path
        else:
            self.template = create_postgres_database()
            self._commit_without_waiting_for_the_disk()
            migrate(self.template)
            self._emptier = sa.create_engine(
                self.template.replace("postgresql://", "postgresql+psycopg://", 1)
            )
            self._empty_sql = self._emptying_statement()

    def fresh(self) -> str:
        """Return the URL of a database with the schema and no rows."""
        if self.engine == "sqlite":
            path = os.path.join(self.workdir, f"{uuid.uuid4().hex}.sqlite3")
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        assert self._emptier is not None, "start() first"
        with self._emptier.begin() as conn:
            conn.exec_driver_sql(self._empty_sql)
            self._restart_used_sequences(conn)
        return self.template

    def discard(self, url: str) -> None:
        """Delete a database `fresh` made for one test (SQLite; PostgreSQL's is kept)."""
        if self.engine != "sqlite":
            return
        path = sa.make_url(url).database or ""
        for name in (path, f"{path}-wal", f"{path}-shm"):
            if name.startswith(self.workdir) and os.path.exists(name):
                os.remove(name)

    def _commit_without_waiting_for_the_disk(self) -> None:
        """Let this run's database commit without waiting for the disk, as SQLite's does."""
        # Each commit otherwise waits 3 to 5 ms for the write-ahead log to reach the disk.
        # Nothing a test sees changes: only what a crash of the server would keep.
        name = sa.make_url(self.template).database
        admin = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        admin.dispose()

    def _emptying_statement(self) -> str:
        """Return SQL that deletes every row of every table but Alembic's."""
        assert self._emptier is not None
        with self._emptier.connect() as conn:
            tables = conn.scalars(
                sa.text(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            ).all()
            superuser = conn.scalar(sa.text("SELECT current_setting('is_superuser')")) == "on"
        if not superuser:
            # Only a superuser may switch triggers off; TRUNCATE needs no trigger switched off.
            return f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
        # DELETE takes about a millisecond where TRUNCATE of every table takes 70 or more:
        # TRUNCATE makes new files for each table. The replica role skips the triggers that
        # forbid deleting transfers and the foreign keys' checks, so the order does not matter.
        deletes = "; ".join(f"DELETE FROM {table}" for table in tables)
        return f"SET LOCAL session_replication_role = replica; {deletes}"

    @staticmethod
    def _restart_used_sequences(conn: sa.Connection) -> None:
        """Start every sequence a test has drawn from again at 1, as in a new database."""
        conn.execute(
            sa.text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        )

    def stop(self) -> None:
        if self._emptier is not None:
            self._emptier.dispose()
        if self.engine == "postgresql" and self.template:
            drop_postgres_database(self.template)
        if self.workdir.startswith(MEMORY_DIRECTORY):
            shutil.rmtree(self.workdir, ignore_errors=True)


def insert_as_migrated(conn: sa.Connection, model: type, **values: object) -> int:
    """Insert a row into a table as the database has it now (an older revision, say).

    Columns that later revisions added are left out; the model's plain defaults fill the rest.
    """
    table = sa.Table(model.__tablename__, sa.MetaData(), autoload_with=conn)
    for column in model.__table__.columns:
        default = column.default
        if column.name in table.c and column.name not in values and default is not None:
            arg = getattr(default, "arg", None)
            values[column.name] = arg(None) if callable(arg) else arg
    return conn.execute(sa.insert(table).values(**values)).inserted_primary_key[0]
