"""One database for the shared state: an SQLAlchemy engine, short transactions, and the
schema brought to the newest Alembic revision when it is opened.

SQLite (the default, a file under NEWSDESK_HOME) runs every transaction as BEGIN IMMEDIATE
in WAL mode, so two processes' read-modify-writes take turns instead of failing; Postgres
gets row locks (`FOR UPDATE`) where a row is read to be changed."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError

from index.errors import NewsdeskError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant: the Postgres advisory lock that lets one process at a time migrate.
MIGRATION_LOCK = 0x6E657773
SQLITE_BUSY_SECONDS = 30
DRIVERS = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/NAME"


class DatabaseError(NewsdeskError):
    """The database can't be opened, reached or migrated; the message says which, with the
    URL's password hidden (and so is for the operator: a bot tells its readers less).
    `transient`: the same work may well succeed if tried again (a lock, a lost connection)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


# Postgres SQLSTATEs worth another try: serialization failure, deadlock, lock not available,
# the server shutting down or restarting (and class 08, the connection, below).
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "57P02", "57P03"})


def is_transient(error: SQLAlchemyError) -> bool:
    """Whether `error` is one a later try may not meet: SQLite's "database is locked" (another
    process held the write lock past the busy timeout), or a Postgres conflict or lost
    connection."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    state = getattr(error.orig, "sqlstate", None)
    if isinstance(state, str):
        return state in TRANSIENT_SQLSTATES or state.startswith("08")
    reason = str(error.orig).lower()
    return "locked" in reason or "busy" in reason


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"NEWSDESK_DATABASE_URL is not a database URL; use {DRIVERS}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"NEWSDESK_DATABASE_URL: unsupported database {parsed.get_backend_name()!r}; "
            f"use {DRIVERS}"
        )
    return parsed


class Database:
    """`transaction()` yields a connection in one transaction, committed when the block
    ends (rolled back on an error). Any thread may use it: the engine pools connections."""

    def __init__(self, url: str) -> None:
        self.url = parse_url(url)
        self.shown_url = self.url.render_as_string(hide_password=True)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self.engine = self._make_engine()

    def _make_engine(self) -> Engine:
        if not self.is_sqlite:
            return self._make_server_engine()
        if self.url.database and self.url.database != ":memory:":
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        # A `?timeout=SECONDS` in the URL sets how long to wait for another process's lock.
        waits = {} if "timeout" in self.url.query else {"timeout": SQLITE_BUSY_SECONDS}
        engine = create_engine(self.url, connect_args=waits)
        event.listen(engine, "connect", _sqlite_connected)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    def _make_server_engine(self) -> Engine:
        """Postgres, through its driver: psycopg, the `postgres` extra, installed only by
        those who use it (SQLite, the default, needs nothing)."""
        try:
            return create_engine(self.url, pool_pre_ping=True, future=True)
        except ImportError as error:
            raise DatabaseError(
                f"NEWSDESK_DATABASE_URL {self.shown_url} needs the Postgres driver "
                f"({error.name or 'psycopg'}), which is not installed: "
                f"pip install 'newsdesk[postgres]', and use a postgresql+psycopg:// URL"
            ) from None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as error:
            raise DatabaseError(self.describe(error), transient=is_transient(error)) from None

    def describe(self, error: BaseException) -> str:
        """What went wrong, in one line without the password (the driver's own message can
        quote the URL)."""
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()
        line = reason[0] if reason else type(error).__name__
        password = self.url.password
        if password:
            line = line.replace(str(password), "***")
        return f"the database {self.shown_url} failed: {line}"

    def upgrade(self) -> None:
        """Bring the schema to the newest migration; several processes starting at once take
        turns (an advisory lock on Postgres, the write lock on SQLite). A database already
        at the newest is left alone, quietly: the CLI opens it on every command."""
        with _quiet("alembic"):
            from alembic.config import Config
            from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        newest = ScriptDirectory.from_config(config).get_current_head()
        started = time.perf_counter()
        with self.transaction() as connection, _quiet("alembic"):
            from alembic import command
            from alembic.runtime.migration import MigrationContext

            self.lock(connection, MIGRATION_LOCK)
            current = MigrationContext.configure(connection).get_current_revision()
            if current == newest:
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        # A new database is unremarkable (the CLI's first command makes one); an upgrade is not.
        level = logging.INFO if current else logging.DEBUG
        log.log(level, "database %s migrated from %s to %s (%.0f ms)", self.shown_url,
                current or "empty", newest, (time.perf_counter() - started) * 1000)  # fmt: skip

    def lock(self, connection: Connection, key: int) -> None:
        """Hold a lock on `key` until the transaction ends: two processes changing the same
        thing take turns (Postgres advisory lock; on SQLite, BEGIN IMMEDIATE already holds
        the one write lock)."""
        if not self.is_sqlite:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def insert_or_ignore(self, table: Table, **values: Any) -> Insert:
        """An INSERT that does nothing when the row's key is taken."""
        statement: Insert = self._insert(table).values(**values).on_conflict_do_nothing()
        return statement

    def insert_new(self, connection: Connection, table: Table, **values: Any) -> bool:
        """Insert the row unless its key is taken; whether it was inserted. (RETURNING, not
        rowcount: with RETURNING, drivers' rowcount is no count of rows inserted.)"""
        statement = self.insert_or_ignore(table, **values).returning(*table.primary_key.columns)
        return connection.execute(statement).first() is not None

    def upsert(self, table: Table, keys: list[str], **values: Any) -> Insert:
        """An INSERT that updates the row's other columns when its key is taken."""
        statement = self._insert(table).values(**values)
        changed = {name: statement.excluded[name] for name in values if name not in keys}
        upserted: Insert = statement.on_conflict_do_update(index_elements=keys, set_=changed)
        return upserted

    def _insert(self, table: Table) -> Any:
        if self.is_sqlite:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            return sqlite_insert(table)
        from sqlalchemy.dialects.postgresql import insert as postgres_insert

        return postgres_insert(table)

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Alembic's own INFO lines (plugins, "Running upgrade") would reach the CLI's stderr."""
    logger = logging.getLogger(logger_name)
    before = logger.level
    logger.setLevel(max(before, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(before)


def _sqlite_connected(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are begun by _sqlite_begin, not by the driver's own guesswork.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_database(url: str) -> Database:
    """The database at `url`, migrated to the newest schema."""
    database = Database(url)
    database.upgrade()
    return database


def existing_database(url: str) -> Database | None:
    """The database at `url` as it is, for reading: nothing is created or migrated. None when
    it is a SQLite file that doesn't exist yet (nothing was ever kept)."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or not Path(path).exists():
            return None
    return Database(url)
