"""Declarative base, engine settings for SQLite and PostgreSQL, and running prebuilt statements."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Mapping, Sequence
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
    url: str | None = settings.get("DATABASE_URL")
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
    session: orm.Session, name: str, query: sa.Select[Any], *, analyse: bool = True
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


# Statements compiled for psycopg, keyed by the statement object: the SQL text, and the
# values of the parameters the statement binds itself (the caller's parameters win).
_PSYCOPG_SQL: dict[sa.Select[Any] | sa.TextClause, tuple[str, dict[str, Any]]] = {}


def run(
    conn: sa.Connection, statement: sa.Select[Any] | sa.TextClause, params: Mapping[str, Any]
) -> Sequence[Any]:
    """Execute a prebuilt statement that returns rows; return them as tuples.

    For statements built once and run many times (the posting path's, matching's bounds).
    On psycopg, when nothing watches the connection's statements (no cursor event listener,
    no SQL logging), the statement is compiled once and run straight on the driver's cursor,
    skipping SQLAlchemy's work per execution: the cache key of the statement, parameter
    processing and result objects, which was most of the posting path's Python time and
    several milliseconds for matching's large statement. psycopg adapts every type these
    statements use by itself. Otherwise it goes through `Connection.execute`. Errors are
    SQLAlchemy's either way.
    """
    if conn.dialect.driver != "psycopg" or _watched(conn):
        return conn.execute(statement, params).all()
    compiled = _PSYCOPG_SQL.get(statement)
    if compiled is None:
        built = statement.compile(dialect=conn.dialect)
        if "__[POSTCOMPILE_" in str(built):
            raise ValueError("A prebuilt statement cannot hold an IN list of values.")
        # The values written into the statement itself (constants the builder bound).
        constants = {key: value for key, value in built.params.items() if value is not None}
        compiled = _PSYCOPG_SQL[statement] = (str(built), constants)
    sql, constants = compiled
    if constants:
        params = {**constants, **params}
    cursor = _cursor(conn)
    try:
        cursor.execute(sql, params)
        rows: Sequence[Any] = cursor.fetchall()
        return rows
    except conn.dialect.loaded_dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, params, exc, conn.dialect.loaded_dbapi.Error) from exc


def _cursor(conn: sa.Connection) -> Any:
    """Return the driver cursor kept with this driver connection (it lives as long as it)."""
    info = conn.connection.info
    cursor = info.get("prebuilt_cursor")
    if cursor is None:
        cursor = info["prebuilt_cursor"] = conn.connection.cursor()
    return cursor


def _watched(conn: sa.Connection) -> bool:
    """Say whether something observes this connection's statements: listeners or SQL logging."""
    events = conn.dispatch
    if events.before_cursor_execute or events.after_cursor_execute:
        return True
    return conn.engine.logger.isEnabledFor(logging.INFO)
