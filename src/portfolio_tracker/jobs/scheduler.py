"""The scheduler loop: every tick, runs whose process died are marked abandoned, then each
job's current slot is claimed and, if this process won the claim, run with a heartbeat
renewing its lease. Runs in a thread inside the app (JOBS_IN_APP) or in the foreground of
``portfolio-tracker worker``; any number of them may run against one database."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from portfolio_tracker import metrics
from portfolio_tracker.api.deps import Core
from portfolio_tracker.jobs import runs
from portfolio_tracker.jobs.tasks import Job, JobContext, JobFailed, scheduled_jobs
from portfolio_tracker.prices.service import PriceService

logger = logging.getLogger(__name__)


class Heartbeat:
    """While in its ``with`` block, renews run ``run_id``'s lease every third of ``lease``
    from a daemon thread (its own database sessions). A failed renewal is logged and tried
    again at the next beat: the lease has two more beats of margin."""

    def __init__(
        self, session_factory: sessionmaker[Session], run_id: int, lease: timedelta
    ) -> None:
        self.session_factory = session_factory
        self.run_id = run_id
        self.lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def _beat(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                with self.session_factory() as db:
                    if not runs.renew(db, self.run_id, self.lease):
                        logger.warning(
                            "jobs: run %s was marked abandoned while running", self.run_id
                        )
                        return
            except Exception:  # e.g. the database is briefly down: next beat
                logger.warning(
                    "jobs: could not renew the lease of run %s", self.run_id, exc_info=True
                )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()


def run_job(ctx: JobContext, job: Job, slot: datetime) -> tuple[str, str] | None:
    """Claim ``slot`` of ``job`` and run it, renewing its lease (JOBS_LEASE_SECONDS) while
    it runs; (outcome, detail), or None when another process has the slot. Never raises: a
    failure is recorded, logged and counted."""
    lease = timedelta(seconds=ctx.settings.jobs_lease_seconds)
    with ctx.session_factory() as db:
        run_id = runs.claim(db, job.name, slot, lease)
    if run_id is None:
        return None
    logger.info("jobs: %s for %s started", job.name, slot.isoformat())
    started = time.perf_counter()
    try:
        with Heartbeat(ctx.session_factory, run_id, lease):
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
        """One tick: runs whose lease lapsed are marked abandoned, then every job whose
        current slot no process has claimed yet runs now."""
        reap_abandoned(self.ctx)
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


def reap_abandoned(ctx: JobContext) -> list[int]:
    """Mark abandoned the running runs whose lease lapsed (their process died); the ids.
    Never raises (the database may be down: the next tick tries again)."""
    try:
        with ctx.session_factory() as db:
            marked = runs.reap_abandoned(db, timedelta(seconds=ctx.settings.jobs_lease_seconds))
    except Exception:
        logger.exception("jobs: could not look for abandoned runs")
        return []
    for run_id in marked:
        logger.warning("jobs: run %s marked abandoned: its lease lapsed", run_id)
    return marked


def start_in_app_scheduler(core: Core, prices: PriceService) -> Scheduler:
    """The scheduler thread of one-process mode, on the app's own database and price
    service."""
    ctx = JobContext(core.settings, core.session_factory, prices)
    scheduler = Scheduler(ctx, scheduled_jobs(core.settings), core.settings.jobs_tick_seconds)
    scheduler.start()
    return scheduler
