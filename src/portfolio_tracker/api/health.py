"""Liveness and readiness probes (unauthenticated by design: they reveal nothing).

Both are async routes that never wait on the request thread pool: `/healthz` answers at
once whatever the database does, and `/readyz` runs its database check on a thread of its
own, for a bounded time, one check at a time (a hanging database holds at most one thread).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from portfolio_tracker.api.deps import from_state
from portfolio_tracker.api.errors import DATABASE_RETRY_AFTER
from portfolio_tracker.db.migrate import database_problem

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


class DatabaseProbe:
    """Checks the database (reachable, file present, schema migrated) within `timeout_s`.

    Concurrent probes share the check in flight instead of starting another, so probes
    against a hanging database never pile up threads.
    """

    def __init__(self, engine: Engine, timeout_s: float) -> None:
        self._engine = engine
        self._timeout = timeout_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
        self._lock = threading.Lock()
        self._in_flight: Future[str | None] | None = None

    async def problem(self) -> str | None:
        """None when ready, else a sentence saying why not (also logged)."""
        with self._lock:
            if self._in_flight is None or self._in_flight.done():
                self._in_flight = self._executor.submit(database_problem, self._engine)
            check = self._in_flight
        try:
            found = await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(check)), self._timeout
            )
        except TimeoutError:
            found = f"the database did not answer within {self._timeout:g} s"
        if found is not None:
            log.warning("not ready: %s", found)
        return found

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up (touches no database, no thread pool)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Database not ready"}})
async def readyz(request: Request) -> JSONResponse:
    """The database answers, its file exists (SQLite) and its schema is the latest."""
    probe = from_state(request, "database_probe", DatabaseProbe)
    if await probe.problem() is not None:
        return JSONResponse(
            {"status": "unavailable", "database": "unavailable"},
            status_code=503,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
        )
    return JSONResponse({"status": "ok", "database": "ok"})
