"""Requests that can only fail while the database refuses connections answer 503 at once.

After a connection to the database fails, its connect breaker (`db.session.connect_breaker`)
refuses new connections for a cool-down. A request that reached a route then would take a
worker thread only to fail there; under load, dozens of such threads fight the event loop
for the GIL, and every answer, `/healthz` too, waits behind them. This pure ASGI middleware
answers those requests 503 on the event loop instead, before routing, authentication or any
thread: the same body and `Retry-After` as the 503 of `api.errors`. When the cool-down is
over, the trial connection that decides whether the database is back is made by the gate on a
thread of its own, not by a user's request: no request waits the connect timeout of a
database known to be failing.

Only API paths are gated (pages keep their HTML error page), and never the probes:
`/healthz` touches no database and `/readyz` runs its own bounded check.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from portfolio_tracker.api.errors import DATABASE_RETRY_AFTER, DATABASE_UNAVAILABLE_DETAIL
from portfolio_tracker.breaker import BreakerState, CircuitBreaker

log = logging.getLogger(__name__)


class DatabaseGate:
    """`breaker` is the database's connect breaker (None: nothing to gate, e.g. SQLite);
    `trial` opens and closes one connection (through the breaker, which records the
    outcome); `retry_after` the seconds the 503 asks a client to wait; `gated_prefix` the
    paths gated."""

    def __init__(
        self,
        app: ASGIApp,
        breaker: CircuitBreaker | None,
        trial: Callable[[], None],
        retry_after: int = DATABASE_RETRY_AFTER,
        gated_prefix: str = "/api/",
    ) -> None:
        self.app = app
        self.breaker = breaker
        self.retry_after = retry_after
        self.gated_prefix = gated_prefix
        self.trial = trial
        self._refused = 0  # requests refused since the breaker last let one through
        self._trial_lock = threading.Lock()
        self._trial_running = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        breaker = self.breaker
        if (
            breaker is None
            or scope["type"] != "http"
            or not scope["path"].startswith(self.gated_prefix)
        ):
            await self.app(scope, receive, send)
            return
        state = breaker.state
        if state is BreakerState.CLOSED:
            self._refused = 0
            await self.app(scope, receive, send)
            return
        if state is BreakerState.HALF_OPEN:
            self._start_trial()
        # One log line when refusing starts, then one per thousand refusals: an outage
        # under load must not become a log flood (the cause is logged where it happened).
        self._refused += 1
        if self._refused % 1000 == 1:
            log.warning("database unavailable: %d API requests refused at once", self._refused)
        response = JSONResponse(
            {"detail": DATABASE_UNAVAILABLE_DETAIL},
            status_code=503,
            headers={"Retry-After": str(self.retry_after)},
        )
        await response(scope, receive, send)

    def _start_trial(self) -> None:
        with self._trial_lock:
            if self._trial_running:
                return
            self._trial_running = True
        threading.Thread(target=self._run_trial, name="db-gate-trial", daemon=True).start()

    def _run_trial(self) -> None:
        try:
            self.trial()
        except Exception as exc:  # the breaker recorded it; one line, no trace
            log.debug("database trial connection failed: %s", type(exc).__name__)
        finally:
            with self._trial_lock:
                self._trial_running = False
