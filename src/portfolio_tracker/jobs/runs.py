"""The job_runs table: claiming a slot (exactly once across processes), recording the end.

The claim is ``INSERT … ON CONFLICT (job, slot) DO NOTHING RETURNING id``: the unique key
is what makes a run happen once, whichever process, on SQLite and PostgreSQL alike (on
PostgreSQL a second inserter waits for the first to commit, then gets nothing back).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portfolio_tracker.db.dialect import dialect_insert
from portfolio_tracker.db.models import JobRun, utcnow

RUNNING, SUCCEEDED, FAILED = "running", "succeeded", "failed"
DETAIL_MAX = 2000


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def claim(db: Session, job: str, slot: datetime) -> int | None:
    """Record the start of ``job``'s run for ``slot`` and commit; its id, or None when
    another process already has that slot."""
    statement = (
        dialect_insert(db)(JobRun)
        .values(job=job, slot=slot, started_at=utcnow(), outcome=RUNNING, worker=worker_name())
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(JobRun.id)
    )
    run_id = db.execute(statement).scalar_one_or_none()
    db.commit()
    return run_id


def finish(db: Session, run_id: int, outcome: str, detail: str | None) -> None:
    db.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            finished_at=utcnow(),
            outcome=outcome,
            detail=detail[:DETAIL_MAX] if detail else detail,
        )
    )
    db.commit()


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    job: str
    slot: datetime
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    detail: str | None
    worker: str


def recent_runs(db: Session, limit: int = 50, job: str | None = None) -> list[RunRow]:
    """The latest runs first."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    return [
        RunRow(r.id, r.job, r.slot, r.started_at, r.finished_at, r.outcome, r.detail, r.worker)
        for r in db.scalars(query)
    ]
