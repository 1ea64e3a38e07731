"""Job runs on SQLite and PostgreSQL: one run per (job, slot), failures recorded, the
nightly snapshot, the CLI's view of runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import JobRun, PortfolioSnapshot
from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.jobs import runs
from portfolio_tracker.jobs.schedule import Daily, Every
from portfolio_tracker.jobs.scheduler import Scheduler, run_job
from portfolio_tracker.jobs.tasks import (
    Job,
    JobContext,
    JobFailed,
    backup_database,
    snapshot_portfolios,
)
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.settings import Settings
from support import ApiUser

SLOT = datetime(2026, 3, 1, 2, tzinfo=UTC)


@pytest.fixture
def ctx(settings: Settings, engine: Engine, tmp_path: Path) -> JobContext:
    settings = settings.model_copy(update={"backup_dir": str(tmp_path / "backups")})
    # No job here asks a feed: the price service is never called.
    prices = PriceService.__new__(PriceService)
    return JobContext(settings, build_session_factory(engine), prices)


def recorded(engine: Engine) -> list[JobRun]:
    with Session(engine) as db:
        return list(db.scalars(select(JobRun).order_by(JobRun.id)))


def test_a_slot_runs_once_and_the_next_slot_runs_again(ctx: JobContext, engine: Engine) -> None:
    calls: list[str] = []
    job = Job("count", Daily(SLOT.time()), lambda _: calls.append("x") or "did it")

    assert run_job(ctx, job, SLOT) == (runs.SUCCEEDED, "did it")
    assert run_job(ctx, job, SLOT) is None
    assert run_job(ctx, job, SLOT.replace(day=2)) == (runs.SUCCEEDED, "did it")

    assert calls == ["x", "x"]
    rows = recorded(engine)
    assert [(r.job, r.slot, r.outcome, r.detail) for r in rows] == [
        ("count", SLOT, "succeeded", "did it"),
        ("count", SLOT.replace(day=2), "succeeded", "did it"),
    ]
    assert all(r.finished_at is not None and r.finished_at >= r.started_at for r in rows)


def test_a_failing_job_is_recorded_with_its_error(ctx: JobContext, engine: Engine) -> None:
    def boom(_: JobContext) -> str:
        raise RuntimeError("feed exploded")

    def partial(_: JobContext) -> str:
        raise JobFailed("0 succeeded, 2 failed")

    assert run_job(ctx, Job("boom", Daily(SLOT.time()), boom), SLOT) == (
        runs.FAILED,
        "RuntimeError: feed exploded",
    )
    run_job(ctx, Job("partial", Daily(SLOT.time()), partial), SLOT)
    assert [(r.job, r.outcome, r.detail) for r in recorded(engine)] == [
        ("boom", "failed", "RuntimeError: feed exploded"),
        ("partial", "failed", "JobFailed: 0 succeeded, 2 failed"),
    ]


def test_scheduler_ticks_claim_each_slot_once(ctx: JobContext, engine: Engine) -> None:
    now = [SLOT]
    calls: list[datetime] = []
    job = Job("hourly", Every(timedelta(hours=1)), lambda _: calls.append(now[0]) or "")
    schedulers = [Scheduler(ctx, [job], 1, clock=lambda: now[0]) for _ in range(3)]
    for hh, mm in ((10, 0), (10, 0), (10, 30), (10, 59), (11, 0), (11, 1), (12, 0)):
        now[0] = datetime(2026, 3, 1, hh, mm, 5, tzinfo=UTC)
        for scheduler in schedulers:
            scheduler.run_due()
    assert [r.slot.hour for r in recorded(engine)] == [10, 11, 12]
    assert [c.hour for c in calls] == [10, 11, 12]


def test_snapshot_writes_each_users_value_once_a_day(
    ctx: JobContext, engine: Engine, alice: ApiUser, bob: ApiUser
) -> None:
    asset = alice.create_asset(name="Gold", type="metal", unit="gram", currency="TRY")
    assert alice.trade(asset["id"], "buy", "2", "1000", "2024-01-02").status_code == 201
    response = alice.post(
        "/api/prices/manual", json={"asset_id": asset["id"], "date": "2024-02-01", "price": "1500"}
    )
    assert response.status_code in (200, 201), response.text

    assert snapshot_portfolios(ctx) == "2 portfolios, 0 failed"
    assert snapshot_portfolios(ctx) == "2 portfolios, 0 failed"  # same day: updated, not added

    with Session(engine) as db:
        rows = {
            str(r.user_id): r
            for r in db.scalars(select(PortfolioSnapshot).order_by(PortfolioSnapshot.id))
        }
    assert len(rows) == 2
    assert rows[alice.id].market_value == Decimal("3000")
    assert rows[alice.id].cost_basis == Decimal("2000")
    assert rows[alice.id].currency == "TRY"
    assert rows[bob.id].market_value == Decimal(0)


def test_account_deletion_takes_the_snapshots_along(
    ctx: JobContext, engine: Engine, alice: ApiUser, count_rows: Callable[[], dict[str, int]]
) -> None:
    snapshot_portfolios(ctx)
    assert count_rows()["portfolio_snapshots"] == 1
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM users")
    assert count_rows()["portfolio_snapshots"] == 0


def test_backup_job_writes_a_file_and_says_so(ctx: JobContext, engine: Engine) -> None:
    detail = backup_database(ctx)
    files = list(Path(ctx.settings.backup_dir).iterdir())
    assert len(files) == 1 and files[0].name in detail
    assert files[0].stat().st_size > 0
