"""A circuit breaker: after repeated failures of a dependency, stop calling it for a while.

Used by the price feeds (one per source), the database connector and every Redis client:
while a breaker is open, callers fall back at once (an error, in-process counting, a cache
miss) instead of waiting on a dependency that is known to be failing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import Enum

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stops calling a source after ``failure_threshold`` consecutive failed calls.

    While open, calls fail at once for ``cooldown_seconds``; then one trial call is let
    through (half-open): success closes the breaker, failure opens it for another cooldown.
    The clock is injectable so tests never sleep.
    """

    def __init__(
        self,
        name: str,
        failure_threshold: int,
        cooldown_seconds: float,
        clock: Clock = time.monotonic,
        *,
        log_transitions: bool = True,
    ) -> None:
        self.name = name
        self._log = log_transitions
        self._threshold = failure_threshold
        self._cooldown = cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state_locked()

    def _state_locked(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self._cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def retry_in(self) -> float:
        """Seconds until the breaker lets a trial call through (0 when it would now)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self._cooldown - (self._clock() - self._opened_at))

    def allow(self) -> bool:
        """Whether a call may start now; in half-open state only one trial at a time."""
        with self._lock:
            state = self._state_locked()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def refusing(self) -> bool:
        """Whether `allow()` would refuse a call now (open, or its one trial in flight),
        without taking the trial: lets a caller answer at once, before any work."""
        with self._lock:
            state = self._state_locked()
            if state is BreakerState.CLOSED:
                return False
            return state is BreakerState.OPEN or self._trial_in_flight

    def record_success(self) -> None:
        with self._lock:
            if self._opened_at is not None and self._log:
                logger.info("circuit breaker for %s closed", self.name)
            self._failures = 0
            self._opened_at = None
            self._trial_in_flight = False

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            was_trial = self._trial_in_flight
            self._trial_in_flight = False
            if was_trial or self._failures >= self._threshold:
                if (self._opened_at is None or was_trial) and self._log:
                    logger.warning(
                        "circuit breaker for %s opened after %d consecutive failures",
                        self.name,
                        self._failures,
                    )
                self._opened_at = self._clock()
