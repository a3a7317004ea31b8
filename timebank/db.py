"""Declarative base, engine settings for SQLite and PostgreSQL, and the unit of work."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, orm

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(orm.DeclarativeBase):
    """Base of every model; constraint names are stable so migrations can refer to them."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """Return the SQL of a CHECK that `column` holds one of `values`."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def database_url(settings: dict[str, Any], instance_path: str) -> str:
    """Return the SQLAlchemy URL: TIMEBANK_DATABASE_URL, or SQLite under instance/."""
    url = settings.get("DATABASE_URL")
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "timebank.sqlite3")
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def configure_engine(engine: sa.Engine, busy_timeout_ms: int = 5000) -> None:
    """Give SQLite the settings a ledger needs; PostgreSQL needs none here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event own the transaction so it can be IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin_immediate(conn: sa.Connection) -> None:
        # Take the write lock up front: two writers never both read-then-write stale rows.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextlib.contextmanager
def unit_of_work(session: orm.Session) -> Iterator[orm.Session]:
    """Run a block in one transaction: commit when it finishes, roll back on any error."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


P = ParamSpec("P")
R = TypeVar("R")


def use_case(fn: Callable[P, R]) -> Callable[P, R]:
    """Mark a service function: whatever it raises, its session is rolled back first.

    The function takes the session as its first argument and commits when it succeeds.
    """

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        try:
            return fn(*args, **kwargs)
        except BaseException:
            session.rollback()  # type: ignore[attr-defined]
            raise

    return run


def create_scratch(
    session: orm.Session, name: str, query: sa.Select, *, analyse: bool = True
) -> sa.Table:
    """Fill a temporary table `name` from `query` in one statement; return it to select from.

    CREATE TABLE AS rather than INSERT ... SELECT: only the former may run on several cores
    in PostgreSQL. The table goes at the end of the transaction on PostgreSQL, and at the
    next call with the same name on the same connection on SQLite. With `analyse`, PostgreSQL
    gathers its statistics (a temporary table has none), for the queries that join it.
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    statement = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    session.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
    when = " ON COMMIT DROP" if postgresql else ""
    session.execute(sa.text(f"CREATE TEMPORARY TABLE {name}{when} AS {statement}"))
    if postgresql and analyse:
        session.execute(sa.text(f"ANALYZE {name}"))
    return sa.Table(
        name,
        sa.MetaData(),
        *(sa.Column(column.name, column.type) for column in query.selected_columns),
    )
