from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.jobs.schedule import Every
from portfolio_tracker.jobs.scheduler import run_job
from portfolio_tracker.jobs.tasks import Job, JobContext
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.settings import Settings


@pytest.fixture
def run_failing_job(settings: Settings, engine: Engine) -> Callable[[], None]:
    def fail(_: JobContext) -> str:
        raise RuntimeError("no")

    def run() -> None:
        ctx = JobContext(
            settings, build_session_factory(engine), PriceService.__new__(PriceService)
        )
        job = Job("always-fails", Every(datetime.max - datetime.min), fail)
        run_job(ctx, job, datetime.now(UTC))

    return run
