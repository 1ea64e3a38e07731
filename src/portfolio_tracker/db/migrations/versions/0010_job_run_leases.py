"""job_runs: the lease of a running job

A running job renews `lease_until` (its heartbeat, every third of JOBS_LEASE_SECONDS); the
next scheduler pass of any process marks a `running` run whose lease lapsed `abandoned` (its
process died). Rows from before this revision have no lease: their start plus the reaper's
lease stands in for it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio_tracker.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "job_runs",
        sa.Column(
            "lease_until", portfolio_tracker.db.types.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column("job_runs", "lease_until")  # SQLite 3.35+ drops a column in place
