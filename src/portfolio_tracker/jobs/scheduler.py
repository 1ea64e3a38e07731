"""The scheduler loop: every tick, each job's current slot is claimed and, if this process
won the claim, run. Runs in a thread inside the app (JOBS_IN_APP) or in the foreground of
``portfolio-tracker worker``; any number of them may run against one database."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from portfolio_tracker import metrics
from portfolio_tracker.api.deps import Core
from portfolio_tracker.jobs import runs
from portfolio_tracker.jobs.tasks import Job, JobContext, JobFailed, scheduled_jobs
from portfolio_tracker.prices.service import PriceService

logger = logging.getLogger(__name__)


def run_job(ctx: JobContext, job: Job, slot: datetime) -> tuple[str, str] | None:
    """Claim ``slot`` of ``job`` and run it; (outcome, detail), or None when another
    process has the slot. Never raises: a failure is recorded, logged and counted."""
    with ctx.session_factory() as db:
        run_id = runs.claim(db, job.name, slot)
    if run_id is None:
        return None
    logger.info("jobs: %s for %s started", job.name, slot.isoformat())
    started = time.perf_counter()
    try:
        detail = job.run(ctx)
        outcome = runs.SUCCEEDED
    except Exception as exc:
        outcome, detail = runs.FAILED, f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, JobFailed):
            logger.exception("jobs: %s for %s failed", job.name, slot.isoformat())
    elapsed = time.perf_counter() - started
    metrics.JOB_DURATION.labels(job.name, outcome).observe(elapsed)
    if outcome == runs.FAILED:
        metrics.JOB_FAILURES.labels(job.name).inc()
    with ctx.session_factory() as db:
        runs.finish(db, run_id, outcome, detail)
    logger.info("jobs: %s %s in %.1f s: %s", job.name, outcome, elapsed, detail)
    return outcome, detail


class Scheduler:
    def __init__(
        self,
        ctx: JobContext,
        jobs: Sequence[Job],
        tick_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ctx = ctx
        self.jobs = tuple(jobs)
        self.tick_seconds = tick_seconds
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_due(self) -> None:
        """One tick: every job whose current slot no process has claimed yet runs now."""
        for job in self.jobs:
            if self._stop.is_set():
                return
            try:
                run_job(self.ctx, job, job.cadence.slot_at(self.clock()))
            except Exception:  # e.g. the database is down: try again next tick
                logger.exception("jobs: could not claim %s", job.name)

    def run_forever(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(self.tick_seconds)

    def start(self) -> None:
        """Run in a daemon thread (the app's in-process mode)."""
        self._thread = threading.Thread(target=self.run_forever, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the running job (if any) ends, waiting up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def start_in_app_scheduler(core: Core, prices: PriceService) -> Scheduler:
    """The scheduler thread of one-process mode, on the app's own database and price
    service."""
    ctx = JobContext(core.settings, core.session_factory, prices)
    scheduler = Scheduler(ctx, scheduled_jobs(core.settings), core.settings.jobs_tick_seconds)
    scheduler.start()
    return scheduler
