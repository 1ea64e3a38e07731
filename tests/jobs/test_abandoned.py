"""A run whose process dies is marked abandoned by the next scheduler pass once its lease
lapses; a live run renews its lease and is never marked. On SQLite and PostgreSQL, and with
a real process SIGKILLed mid-run on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session
from test_exactly_once import CLI, database, job_env, wait_until  # noqa: F401 (a fixture)
from typer.testing import CliRunner

from portfolio_tracker.cli import app as cli
from portfolio_tracker.db.models import JobRun
from portfolio_tracker.db.session import build_session_factory
from portfolio_tracker.jobs import runs
from portfolio_tracker.jobs.schedule import Daily
from portfolio_tracker.jobs.scheduler import Scheduler, run_job
from portfolio_tracker.jobs.tasks import Job, JobContext
from portfolio_tracker.prices.service import PriceService
from portfolio_tracker.settings import Settings, get_settings

SLOT = datetime(2026, 3, 1, 2, tzinfo=UTC)
LEASE = 0.6  # seconds: beats every 0.2 s


def context(settings: Settings, engine: Engine) -> JobContext:
    settings = settings.model_copy(update={"jobs_lease_seconds": LEASE})
    return JobContext(settings, build_session_factory(engine), PriceService.__new__(PriceService))


def row(engine: Engine, run_id: int) -> JobRun:
    with Session(engine) as db:
        found = db.get(JobRun, run_id)
        assert found is not None
        return found


def test_a_run_whose_lease_lapsed_is_abandoned_by_the_next_pass(
    settings: Settings, engine: Engine
) -> None:
    ctx = context(settings, engine)
    with ctx.session_factory() as db:
        dead = runs.claim(db, "died", SLOT, timedelta(seconds=LEASE))  # nobody renews it
        alive = runs.claim(db, "alive", SLOT, timedelta(hours=1))
    assert dead is not None and alive is not None
    scheduler = Scheduler(ctx, [], tick_seconds=1)
    scheduler.run_due()
    assert row(engine, dead).outcome == runs.RUNNING  # its lease has not lapsed yet

    time.sleep(LEASE + 0.2)
    scheduler.run_due()
    scheduler.run_due()  # a second pass changes nothing

    marked = row(engine, dead)
    assert marked.outcome == runs.ABANDONED
    assert marked.finished_at is not None
    assert marked.detail is not None
    assert marked.detail.startswith(f"abandoned: the lease of {marked.worker} ended at ")
    assert row(engine, alive).outcome == runs.RUNNING

    # Its slot keeps the claim: the job is not run again for it.
    assert run_job(ctx, Job("died", Daily(SLOT.time()), lambda _: "again"), SLOT) is None
    # Should the process come back after all, the real outcome is recorded, with a note.
    with ctx.session_factory() as db:
        runs.finish(db, dead, runs.SUCCEEDED, "did it")
    late = row(engine, dead)
    assert late.outcome == runs.SUCCEEDED
    assert late.detail == "did it (finished after it was marked abandoned: its lease had lapsed)"


def test_a_live_run_renews_its_lease_and_is_never_abandoned(
    settings: Settings, engine: Engine
) -> None:
    """The job runs for five leases while another scheduler reaps every 50 ms."""
    ctx = context(settings, engine)
    other = Scheduler(ctx, [], tick_seconds=0.05)
    leases: list[datetime] = []

    def slow(_: JobContext) -> str:
        deadline = time.monotonic() + 5 * LEASE
        while time.monotonic() < deadline:
            with Session(engine) as db:
                lease = db.scalar(select(JobRun.lease_until).where(JobRun.job == "slow"))
            assert lease is not None
            leases.append(lease)
            time.sleep(0.1)
        return "done"

    reaper = threading.Thread(target=other.run_forever)
    reaper.start()
    try:
        result = run_job(ctx, Job("slow", Daily(SLOT.time()), slow), SLOT)
    finally:
        other.stop()
        reaper.join(10)
    assert result == (runs.SUCCEEDED, "done")
    assert len(set(leases)) >= 5  # renewed again and again
    assert leases[-1] - leases[0] >= timedelta(seconds=3 * LEASE)
    with Session(engine) as db:
        assert db.scalars(select(JobRun.outcome)).all() == [runs.SUCCEEDED]


@pytest.mark.postgres
def test_a_sigkilled_run_is_marked_abandoned_and_listed(
    database: tuple[str, Engine],  # noqa: F811 (the fixture)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`jobs run snapshot-portfolios` in a real process, stuck on a table this test holds
    locked, renews its lease; SIGKILLed, its run is marked abandoned by a worker's first
    pass, and `jobs runs` shows it."""
    url, engine = database
    env = job_env(url, tmp_path)
    env.update(JOBS_LEASE_SECONDS="1", DB_STATEMENT_TIMEOUT_SECONDS="120")
    with engine.connect() as holder:
        holder.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        job = subprocess.Popen(
            [CLI, "jobs", "run", "snapshot-portfolios"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "job.log").open("w"),
        )
        try:
            wait_until(lambda: lease_of(engine) is not None, 60)
            first = lease_of(engine)
            time.sleep(2.5)  # more than two leases: alive, so renewed, never reaped
            with build_session_factory(engine)() as db:
                assert runs.reap_abandoned(db, timedelta(seconds=1)) == []
            renewed = lease_of(engine)
            assert first is not None and renewed is not None and renewed > first
            assert job.poll() is None
        finally:
            os.kill(job.pid, signal.SIGKILL)
            job.wait(10)
        holder.rollback()
    assert outcome_of(engine) == runs.RUNNING  # nobody has looked yet

    worker = subprocess.Popen(
        [CLI, "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "worker.log").open("w"),
    )
    try:
        wait_until(lambda: outcome_of(engine) == runs.ABANDONED, 60)
    finally:
        worker.terminate()
        worker.wait(15)

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        listed = CliRunner().invoke(cli, ["jobs", "runs", "--job", "snapshot-portfolios"])
    finally:
        get_settings.cache_clear()
    assert listed.exit_code == 0, listed.output
    manual = [line for line in listed.output.splitlines() if "abandoned: the lease of" in line]
    assert len(manual) == 1, listed.output
    assert manual[0].split()[0] == "snapshot-portfolios"
    assert f":{job.pid} " in manual[0]  # the worker column names the killed process
    cells = manual[0].split()
    assert cells[cells.index("abandoned") - 1] == "-"  # no duration for a run that died


def lease_of(engine: Engine) -> datetime | None:
    with engine.connect() as connection:
        return connection.scalar(
            select(JobRun.lease_until).where(
                JobRun.job == "snapshot-portfolios", JobRun.outcome == runs.RUNNING
            )
        )


def outcome_of(engine: Engine) -> str | None:
    """The outcome of the manual run (the one whose slot is not a whole hour)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(JobRun.outcome, JobRun.slot).where(JobRun.job == "snapshot-portfolios")
        ).all()
    manual = [outcome for outcome, slot in rows if slot.minute or slot.second or slot.microsecond]
    return manual[0] if manual else None
