"""The job_runs table: claiming a slot (exactly once across processes), the lease of a
running job, recording the end.

The claim is ``INSERT … ON CONFLICT (job, slot) DO NOTHING RETURNING id``: the unique key
is what makes a run happen once, whichever process, on SQLite and PostgreSQL alike (on
PostgreSQL a second inserter waits for the first to commit, then gets nothing back).

A claimed run holds a lease (``lease_until``) that its process renews while the job runs
(`renew`, from the scheduler's heartbeat). A process that dies mid-run stops renewing; the
next scheduler pass of any process (`reap_abandoned`) marks such a run ``abandoned``. Marking
never reruns the slot (its row still holds the claim), so a live run is never duplicated; a
run that was marked but finishes after all (its process stalled longer than the lease) is
recorded with its real outcome and a note.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from portfolio_tracker.db.dialect import dialect_insert
from portfolio_tracker.db.models import JobRun, utcnow

RUNNING, SUCCEEDED, FAILED, ABANDONED = "running", "succeeded", "failed", "abandoned"
DETAIL_MAX = 2000


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def claim(db: Session, job: str, slot: datetime, lease: timedelta) -> int | None:
    """Record the start of ``job``'s run for ``slot``, holding a lease of ``lease`` from
    now, and commit; its id, or None when another process already has that slot."""
    now = utcnow()
    statement = (
        dialect_insert(db)(JobRun)
        .values(
            job=job,
            slot=slot,
            started_at=now,
            outcome=RUNNING,
            worker=worker_name(),
            lease_until=now + lease,
        )
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(JobRun.id)
    )
    run_id = db.execute(statement).scalar_one_or_none()
    db.commit()
    return run_id


def renew(db: Session, run_id: int, lease: timedelta) -> bool:
    """Extend a running run's lease to ``lease`` from now and commit; False when the run
    is no longer running (e.g. it was marked abandoned)."""
    result = db.execute(
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.outcome == RUNNING)
        .values(lease_until=utcnow() + lease)
    )
    db.commit()
    return bool(getattr(result, "rowcount", 0))


def finish(db: Session, run_id: int, outcome: str, detail: str | None) -> None:
    """Record the end of a run. A run already marked abandoned keeps its real outcome, with
    a note in the detail."""
    values = {"finished_at": utcnow(), "outcome": outcome}
    result = db.execute(
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.outcome == RUNNING)
        .values(**values, detail=_clip(detail))
    )
    if not getattr(result, "rowcount", 0):
        late = f"{detail or ''} (finished after it was marked abandoned: its lease had lapsed)"
        db.execute(update(JobRun).where(JobRun.id == run_id).values(**values, detail=_clip(late)))
    db.commit()


def _clip(detail: str | None) -> str | None:
    return detail[:DETAIL_MAX] if detail else detail


def reap_abandoned(db: Session, lease: timedelta) -> list[int]:
    """Mark ``abandoned`` every running run whose lease lapsed (a row without a lease, from
    before leases existed: started more than ``lease`` ago), with a detail naming its
    process and when the lease ended; commit; the ids marked. Several processes may reap at
    once: each run is marked by one of them."""
    now = utcnow()
    lapsed = and_(
        JobRun.outcome == RUNNING,
        or_(
            JobRun.lease_until < now,
            and_(JobRun.lease_until.is_(None), JobRun.started_at < now - lease),
        ),
    )
    candidates = db.execute(select(JobRun.id, JobRun.worker, JobRun.lease_until).where(lapsed))
    marked = []
    for run_id, worker, lease_until in candidates.all():
        ended = (lease_until or now).isoformat(timespec="seconds")
        detail = (
            f"abandoned: the lease of {worker} ended at {ended} with no heartbeat since "
            "(its process died or hung)"
        )
        result = db.execute(
            update(JobRun)
            .where(JobRun.id == run_id, lapsed)
            .values(outcome=ABANDONED, finished_at=now, detail=detail)
        )
        if getattr(result, "rowcount", 0):
            marked.append(int(run_id))
    db.commit()
    return marked


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
    lease_until: datetime | None


def recent_runs(db: Session, limit: int = 50, job: str | None = None) -> list[RunRow]:
    """The latest runs first."""
    query = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        query = query.where(JobRun.job == job)
    return [
        RunRow(
            r.id,
            r.job,
            r.slot,
            r.started_at,
            r.finished_at,
            r.outcome,
            r.detail,
            r.worker,
            r.lease_until,
        )
        for r in db.scalars(query)
    ]
