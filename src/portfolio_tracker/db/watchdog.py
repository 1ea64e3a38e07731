"""Cut off a PostgreSQL connection whose server stopped answering mid-statement.

PostgreSQL's statement_timeout ends a slow statement, but a server that answers nothing at
all (a stopped process, a network that swallows packets) never sends the cancellation, and
psycopg would wait on the socket forever, holding a worker thread and a pool slot. Each
statement, ping, commit and rollback is armed with a deadline; past it, one watchdog thread
shuts the connection's socket down, psycopg fails at once with OperationalError, the pool
discards the connection, and the request answers 503.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event


class Watchdog:
    """Deadlines of in-flight database calls, checked by one daemon thread (per process)."""

    def __init__(self, tick_s: float = 0.1) -> None:
        self._tick = tick_s
        self._lock = threading.Lock()
        self._deadlines: dict[int, tuple[float, Any]] = {}
        self._thread: threading.Thread | None = None

    def arm(self, dbapi_connection: Any, seconds: float) -> None:
        with self._lock:
            self._deadlines[id(dbapi_connection)] = (time.monotonic() + seconds, dbapi_connection)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._watch, name="db-watchdog", daemon=True)
                self._thread.start()

    def disarm(self, dbapi_connection: Any) -> None:
        with self._lock:
            self._deadlines.pop(id(dbapi_connection), None)

    def _watch(self) -> None:
        while True:
            time.sleep(self._tick)
            now = time.monotonic()
            with self._lock:
                expired = [conn for deadline, conn in self._deadlines.values() if deadline <= now]
                for conn in expired:
                    del self._deadlines[id(conn)]
            for conn in expired:
                _shut_down(conn)


def _shut_down(dbapi_connection: Any) -> None:
    """Shut the socket of a psycopg connection down (both ways) without closing its file
    descriptor, which psycopg still owns: its pending read then sees the end at once."""
    with contextlib.suppress(Exception):  # already closed or not psycopg: nothing to cut
        duplicate = os.dup(dbapi_connection.pgconn.socket)
        with socket.socket(fileno=duplicate) as sock:
            sock.shutdown(socket.SHUT_RDWR)


WATCHDOG = Watchdog()


def guard_hung_calls(engine: Engine, seconds: float, watchdog: Watchdog = WATCHDOG) -> None:
    """Arm every statement, pre-ping, commit and rollback of `engine` for `seconds`."""

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Any, *_args: Any) -> None:
        watchdog.arm(conn.connection.dbapi_connection, seconds)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Any, *_args: Any) -> None:
        watchdog.disarm(conn.connection.dbapi_connection)

    @event.listens_for(engine, "handle_error")
    def _disarm_on_error(context: Any) -> None:
        connection = context.connection
        if connection is not None and not connection.invalidated:
            with contextlib.suppress(Exception):
                watchdog.disarm(connection.connection.dbapi_connection)

    dialect = engine.dialect
    for name in ("do_ping", "do_commit", "do_rollback"):
        setattr(dialect, name, _armed(getattr(dialect, name), seconds, watchdog))


def _armed(call: Callable[[Any], Any], seconds: float, watchdog: Watchdog) -> Callable[[Any], Any]:
    def armed(dbapi_connection: Any) -> Any:
        watchdog.arm(dbapi_connection, seconds)
        try:
            return call(dbapi_connection)
        finally:
            watchdog.disarm(dbapi_connection)

    return armed
