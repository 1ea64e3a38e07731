"""Engine and session factory for SQLite and PostgreSQL, bounded in time.

Every wait on the database has a limit (seconds, from the settings): opening a connection,
waiting for one from the pool, and one statement. A database that hangs or is down then
surfaces as `sqlalchemy.exc.OperationalError` / `sqlalchemy.exc.TimeoutError` within those
limits, which the HTTP kit answers with 503 (see `DATABASE_UNAVAILABLE`).

Nothing here creates a database: an SQLite file is opened read-write only if it exists
(``mode=rw``), and a connection whose file vanished or was replaced while the app ran is
thrown away instead of writing into a deleted file. Only `db.migrate.upgrade` creates one.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker.breaker import CircuitBreaker
from portfolio_tracker.db.watchdog import guard_hung_calls
from portfolio_tracker.settings import Settings

# What "the database is unavailable" looks like once SQLAlchemy has wrapped it: a refused,
# failed or timed-out connection, a cancelled (timed-out) statement, a pool with no free
# connection in time, a connection that died under us.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
)


@dataclass(frozen=True, slots=True)
class DatabaseTimeouts:
    """Seconds: opening a connection, waiting for a pooled one, running one statement
    (None: no limit, for migrations, whose statements may rightly run long)."""

    connect: float = 5.0
    pool: float = 5.0
    statement: float | None = 15.0


def sqlite_path(url: str | URL) -> Path | None:
    """The file of an SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:" or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def build_engine(database_url: str, timeouts: DatabaseTimeouts | None = None) -> Engine:
    """An engine for `database_url` (never creates the database; see `db.migrate`)."""
    timeouts = timeouts or DatabaseTimeouts()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, timeouts)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        # psycopg applies connect_timeout to the whole handshake (whole seconds, at least 2);
        # statement_timeout makes the server cancel a statement that runs too long.
        connect_args = {"connect_timeout": max(1, round(timeouts.connect))}
        if timeouts.statement is not None:
            connect_args["options"] = f"-c statement_timeout={round(timeouts.statement * 1000)}"
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        pool_timeout=timeouts.pool,
        connect_args=connect_args,
    )
    breaker = CircuitBreaker("database", 1, CONNECT_COOLDOWN, log_transitions=False)
    _fail_fast_after_a_failed_connect(engine, breaker)
    _CONNECT_BREAKERS[engine] = breaker
    if url.get_backend_name() == "postgresql" and timeouts.statement is not None:
        # The server's statement_timeout fires first; this is for a server gone silent.
        guard_hung_calls(engine, timeouts.statement + timeouts.connect)
    return engine


# Seconds new connections fail at once after one failed: requests answer 503 immediately
# instead of each waiting the connect timeout of a database known to be down or hanging.
CONNECT_COOLDOWN = 1.0


# Each server engine's connect breaker, for `connect_breaker` (weak: engines come and go in
# tests).
_CONNECT_BREAKERS: weakref.WeakKeyDictionary[Engine, CircuitBreaker] = weakref.WeakKeyDictionary()


def connect_breaker(engine: Engine) -> CircuitBreaker | None:
    """The breaker that refuses new connections of `engine` after one failed (None for
    SQLite, whose connections never wait on a network). While it refuses, a request that
    needs a new connection can only fail: `api.db_gate` answers such requests 503 before
    they take a worker thread."""
    return _CONNECT_BREAKERS.get(engine)


def _fail_fast_after_a_failed_connect(engine: Engine, breaker: CircuitBreaker) -> None:
    """Each refused connection surfaces as an OperationalError (logged once, by whoever
    answers it: the 503 handler, the CLI), so the breaker itself stays quiet."""

    @event.listens_for(engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        if not breaker.allow():
            raise dialect.loaded_dbapi.OperationalError(
                "database unavailable: a connection failed "
                f"{CONNECT_COOLDOWN - breaker.retry_in():.1f} s ago"
            )
        try:
            connection = dialect.connect(*cargs, **cparams)
        except BaseException:
            breaker.record_failure()
            raise
        breaker.record_success()
        return connection


def _sqlite_engine(url: URL, timeouts: DatabaseTimeouts) -> Engine:
    path = sqlite_path(url)
    if path is None:
        engine = create_engine(url, connect_args={"check_same_thread": False})
    else:
        # mode=rw: a missing file is an error ("unable to open database file"), never a new,
        # empty database. The busy timeout bounds how long a writer queues behind another.
        uri = f"file:{urllib.parse.quote(str(path.absolute()))}?mode=rw"

        def connect() -> sqlite3.Connection:
            busy = timeouts.statement if timeouts.statement is not None else 3600.0
            return sqlite3.connect(uri, uri=True, timeout=busy, check_same_thread=False)

        engine = create_engine(url, creator=connect, pool_timeout=timeouts.pool)
        _forget_connections_to_a_replaced_file(engine, path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE needs it
        cursor.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _forget_connections_to_a_replaced_file(engine: Engine, path: Path) -> None:
    """A pooled SQLite connection keeps the file it opened even after it was deleted or
    replaced: writes through it would be acknowledged and lost. Each checkout compares the
    file on disk with the one the connection opened (one stat); a mismatch discards the
    connection, and the fresh one fails with "unable to open database file" if the file is
    gone."""

    @event.listens_for(engine, "connect")
    def _remember(_dbapi_connection: Any, record: Any) -> None:
        record.info["sqlite_file"] = _file_identity(path)

    @event.listens_for(engine, "checkout")
    def _check(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        opened = record.info.get("sqlite_file")
        if opened is None or _file_identity(path) != opened:
            raise DisconnectionError(f"SQLite file {path} is gone or was replaced")


def engine_for(settings: Settings, *, for_migrations: bool = False) -> Engine:
    """The engine of DATABASE_URL with the DB_*_TIMEOUT_SECONDS limits (no statement limit
    for migrations)."""
    return build_engine(
        settings.database_url,
        DatabaseTimeouts(
            connect=settings.db_connect_timeout_seconds,
            pool=settings.db_pool_timeout_seconds,
            statement=None if for_migrations else settings.db_statement_timeout_seconds,
        ),
    )


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
