"""users: admin flag and disabled time

`is_admin`: the first account of a database is made admin at sign-up; the CLI grants and
revokes it (`portfolio-tracker users make-admin/revoke-admin`). `disabled_at`: set by
`portfolio-tracker users disable`; a disabled account cannot sign in and its sessions and
API tokens are revoked.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 22:05:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import portfolio_tracker.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE on both databases, never a batch copy: on SQLite a batch rebuild drops
# the users table, and with foreign keys on that cascades into every row of every user.


def upgrade() -> None:
    op.add_column(
        "users", sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column(
        "users",
        sa.Column(
            "disabled_at", portfolio_tracker.db.types.UTCDateTime(timezone=True), nullable=True
        ),
    )


def downgrade() -> None:
    op.drop_column("users", "disabled_at")  # SQLite 3.35+ drops a column in place
    op.drop_column("users", "is_admin")
