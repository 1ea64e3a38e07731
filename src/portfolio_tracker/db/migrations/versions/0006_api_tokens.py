"""API tokens: sessions get a kind and a name; an API token may never expire or be used

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio_tracker.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INSTANT = portfolio_tracker.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=8), server_default="web", nullable=False)
        )
        batch_op.add_column(sa.Column("name", sa.String(length=100), nullable=True))
        batch_op.alter_column("expires_at", existing_type=_INSTANT, nullable=True)
        batch_op.alter_column("refreshed_at", existing_type=_INSTANT, nullable=True)


def downgrade() -> None:
    # The old schema has no API tokens: they are revoked, and every kept row has both dates.
    op.execute("DELETE FROM sessions WHERE kind = 'api'")
    op.execute("UPDATE sessions SET refreshed_at = created_at WHERE refreshed_at IS NULL")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.alter_column("refreshed_at", existing_type=_INSTANT, nullable=False)
        batch_op.alter_column("expires_at", existing_type=_INSTANT, nullable=False)
        batch_op.drop_column("name")
        batch_op.drop_column("kind")
