"""Exactly once across processes: three app processes (jobs in the app) and a worker on one
PostgreSQL database, on loopback ports; every (job, slot) has one run.

The test holds the job_runs table locked until every process is blocked on its claim, then
lets them all race for the same slots at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from portfolio_tracker.db.migrate import upgrade
from portfolio_tracker.db.models import JobRun
from portfolio_tracker.db.session import build_engine
from portfolio_tracker.jobs.tasks import scheduled_jobs
from portfolio_tracker.settings import Settings

pytestmark = pytest.mark.postgres

CLI = str(Path(sys.executable).parent / "portfolio-tracker")
DEAD_FEED = "http://127.0.0.1:9"  # nothing listens: every feed call fails at once


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def database(postgres_server: object, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    url = postgres_server.create_database("pt_jobs")  # type: ignore[attr-defined]
    engine = build_engine(url)
    upgrade(engine)
    yield url, engine
    engine.dispose()
    postgres_server.drop_database(url)  # type: ignore[attr-defined]


def job_env(url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DATABASE_URL=url,
        JOBS_IN_APP="true",
        JOBS_TICK_SECONDS="0.2",
        BACKUP_DIR=str(tmp_path / "backups"),
        LOG_LEVEL="WARNING",
        FEED_RETRY_ATTEMPTS="1",
    )
    for feed in ("TEFAS", "YAHOO", "STOOQ", "COINGECKO", "TCMB", "ECB"):
        env[f"{feed}_BASE_URL"] = DEAD_FEED
    return env


def test_three_apps_and_a_worker_run_each_slot_once(
    database: tuple[str, Engine], tmp_path: Path
) -> None:
    url, engine = database
    env = job_env(url, tmp_path)
    ports = [free_port() for _ in range(3)]
    commands = [[CLI, "serve", "--no-migrate", "--port", str(p)] for p in ports]
    commands.append([CLI, "worker"])
    processes = [
        subprocess.Popen(
            command,
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"p{n}.log").open("w"),
        )
        for n, command in enumerate(commands)
    ]
    names = {job.name for job in scheduled_jobs(Settings(_env_file=None))}  # type: ignore[call-arg]
    try:
        # The test holds job_runs locked until all four processes wait on their claim
        # INSERT: then they race for the same slots at once.
        with engine.connect() as holder:
            holder.execute(text("LOCK TABLE job_runs IN EXCLUSIVE MODE"))
            for port in ports:
                wait_until(lambda port=port: healthy(port), 60)
            wait_until(lambda: waiting_claims(engine) >= len(processes), 60)
            holder.rollback()
        wait_until(lambda: finished_jobs(engine) >= names, 60)
        time.sleep(2)
        assert all(p.poll() is None for p in processes), "a process died"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(15)

    with engine.connect() as connection:
        per_slot = connection.execute(
            select(JobRun.job, JobRun.slot, func.count()).group_by(JobRun.job, JobRun.slot)
        ).all()
    assert {job for job, _, _ in per_slot} == names
    assert all(count == 1 for _, _, count in per_slot), per_slot


def waiting_claims(engine: Engine) -> int:
    """Sessions blocked on a lock while inserting into job_runs."""
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query ILIKE 'INSERT INTO job_runs%'"
                )
            )
            or 0
        )


def finished_jobs(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(JobRun.job).where(JobRun.finished_at.is_not(None))))


def healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"not true within {seconds} s")
