"""Test databases: a migrated template per run, and a clean database for each test.

SQLite: the template file is copied for each test. PostgreSQL: one database per run
(created, migrated, dropped at the end), with every table truncated between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


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

    def start(self) -> None:
        if self.engine == "sqlite":
            path = os.path.join(self.workdir, "template.sqlite3")
            migrate(f"sqlite:///{path}")
            self.template = path
        else:
            self.template = create_postgres_database()
            migrate(self.template)

    def fresh(self) -> str:
        """Return the URL of a database with the schema and no rows."""
        if self.engine == "sqlite":
            path = os.path.join(self.workdir, f"{uuid.uuid4().hex}.sqlite3")
            shutil.copyfile(self.template, path)
            return f"sqlite:///{path}"
        engine = sa.create_engine(self.template.replace("postgresql://", "postgresql+psycopg://"))
        with engine.begin() as conn:
            tables = conn.scalars(
                sa.text(
                    "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ).all()
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return self.template

    def stop(self) -> None:
        if self.engine == "postgresql" and self.template:
            drop_postgres_database(self.template)
