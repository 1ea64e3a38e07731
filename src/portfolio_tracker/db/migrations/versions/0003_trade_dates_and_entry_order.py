"""trade dates as calendar days, and entry order

A trade's date becomes what the user said (engine.dates): a calendar day, a wall-clock time
only when one was given, and the UTC offset of that moment; the instant column goes. The
per-asset `sequence` (reassigned on a move) becomes a per-user `entry_number` that never
changes.

Existing rows: an instant at exactly 00:00:00 UTC was a date-only input (the API stored a
date as midnight UTC), so it becomes that day without a time; any other instant is placed in
the owner's time zone setting (Europe/Istanbul when none is stored) for its day and time.
Entry numbers follow (created_at, sequence, id) per user. The downgrade gives back the
instants (date-only days at 00:00 UTC) and numbers each asset's rows in the order of trades.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 19:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from portfolio_tracker.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TIME_ZONE = "Europe/Istanbul"  # the settings default when a user has no row

# Lightweight tables of the columns the data steps read and write, whatever the models say.
_transactions = sa.table(
    "transactions",
    sa.column("id", sa.Uuid()),
    sa.column("user_id", sa.Uuid()),
    sa.column("asset_id", sa.Uuid()),
    sa.column("transaction_date", UTCDateTime()),
    sa.column("sequence", sa.Integer()),
    sa.column("created_at", UTCDateTime()),
    sa.column("trade_date", sa.Date()),
    sa.column("trade_time", sa.Time()),
    sa.column("trade_utc_offset", sa.Integer()),
    sa.column("entry_number", sa.BigInteger()),
)
_settings = sa.table("user_settings", sa.column("user_id", sa.Uuid()), sa.column("time_zone"))
_users = sa.table("users", sa.column("id", sa.Uuid()), sa.column("last_entry_number"))


def _split(instant: datetime, zone: ZoneInfo) -> tuple[date, time | None, int | None]:
    """(day, wall-clock time, offset seconds) of a stored instant (see module doc)."""
    instant = instant.astimezone(UTC)
    if instant.time() == time(0):
        return instant.date(), None, None
    local = instant.astimezone(zone)
    offset = local.utcoffset()
    assert offset is not None
    return local.date(), local.time().replace(tzinfo=None), int(offset.total_seconds())


def _instant(day: date, at: time | None, offset: int | None) -> datetime:
    """The instant a downgraded row stores: midnight UTC for a date-only trade."""
    if at is None or offset is None:
        return datetime.combine(day, time(0), UTC)
    return datetime.combine(day, at, timezone(timedelta(seconds=offset))).astimezone(UTC)


def upgrade() -> None:
    # In place, never a batch copy of `users` (see downgrade).
    op.add_column(
        "users",
        sa.Column("last_entry_number", sa.BigInteger(), server_default="0", nullable=False),
    )
    with op.batch_alter_table("transactions") as batch_op:
        batch_op.add_column(sa.Column("trade_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("trade_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("trade_utc_offset", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("entry_number", sa.BigInteger(), nullable=True))

    conn = op.get_bind()
    # dict(result) would take the Result for a mapping (it has .keys()): build it row by row.
    zones = {
        user_id: zone
        for user_id, zone in conn.execute(sa.select(_settings.c.user_id, _settings.c.time_zone))
    }
    rows = conn.execute(
        sa.select(
            _transactions.c.id,
            _transactions.c.user_id,
            _transactions.c.transaction_date,
        ).order_by(
            _transactions.c.user_id,
            _transactions.c.created_at,
            _transactions.c.sequence,
            _transactions.c.id,
        )
    ).all()
    updates: list[dict[str, Any]] = []
    last_entry: dict[Any, int] = {}
    zone_cache: dict[str, ZoneInfo] = {}
    for tx_id, user_id, instant in rows:
        name = zones.get(user_id) or DEFAULT_TIME_ZONE
        zone = zone_cache.get(name) or zone_cache.setdefault(name, ZoneInfo(name))
        day, at, offset = _split(instant, zone)
        entry = last_entry[user_id] = last_entry.get(user_id, 0) + 1
        updates.append(
            {"tx_id": tx_id, "d": day, "t": at, "o": offset, "e": entry},
        )
    if updates:
        conn.execute(
            _transactions.update()
            .where(_transactions.c.id == sa.bindparam("tx_id"))
            .values(
                trade_date=sa.bindparam("d"),
                trade_time=sa.bindparam("t"),
                trade_utc_offset=sa.bindparam("o"),
                entry_number=sa.bindparam("e"),
            ),
            updates,
        )
    if last_entry:
        conn.execute(
            _users.update()
            .where(_users.c.id == sa.bindparam("user"))
            .values(last_entry_number=sa.bindparam("last")),
            [{"user": user, "last": last} for user, last in last_entry.items()],
        )

    with op.batch_alter_table("transactions") as batch_op:
        batch_op.alter_column("trade_date", existing_type=sa.Date(), nullable=False)
        batch_op.alter_column("entry_number", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_index("ix_transactions_asset_date")
        batch_op.drop_column("transaction_date")
        batch_op.drop_column("sequence")
        batch_op.create_unique_constraint(
            "uq_transactions_user_id_entry_number", ["user_id", "entry_number"]
        )
        batch_op.create_index(
            "ix_transactions_asset_order",
            ["asset_id", "trade_date", "trade_time", "entry_number"],
            unique=False,
        )
        batch_op.create_index(
            "ix_transactions_user_order",
            ["user_id", "trade_date", "trade_time", "entry_number"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch_op:
        batch_op.add_column(
            sa.Column("transaction_date", UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=True))

    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            _transactions.c.id,
            _transactions.c.asset_id,
            _transactions.c.trade_date,
            _transactions.c.trade_time,
            _transactions.c.trade_utc_offset,
            _transactions.c.entry_number,
        )
    ).all()
    # Each asset's rows numbered in the order of trades (engine.dates.order_key).
    end_of_day = time.max
    ordered = sorted(
        rows,
        key=lambda r: (
            str(r.asset_id),
            r.trade_date,
            r.trade_time is None,
            r.trade_time or end_of_day,
            r.entry_number,
        ),
    )
    updates: list[dict[str, Any]] = []
    sequence: dict[Any, int] = {}
    for row in ordered:
        number = sequence[row.asset_id] = sequence.get(row.asset_id, 0) + 1
        instant = _instant(row.trade_date, row.trade_time, row.trade_utc_offset)
        updates.append({"tx_id": row.id, "at": instant, "seq": number})
    if updates:
        conn.execute(
            _transactions.update()
            .where(_transactions.c.id == sa.bindparam("tx_id"))
            .values(transaction_date=sa.bindparam("at"), sequence=sa.bindparam("seq")),
            updates,
        )

    with op.batch_alter_table("transactions") as batch_op:
        batch_op.alter_column(
            "transaction_date", existing_type=UTCDateTime(timezone=True), nullable=False
        )
        batch_op.alter_column("sequence", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index("ix_transactions_user_order")
        batch_op.drop_index("ix_transactions_asset_order")
        batch_op.drop_constraint("uq_transactions_user_id_entry_number", type_="unique")
        batch_op.drop_column("entry_number")
        batch_op.drop_column("trade_utc_offset")
        batch_op.drop_column("trade_time")
        batch_op.drop_column("trade_date")
        batch_op.create_index(
            "ix_transactions_asset_date",
            ["asset_id", "transaction_date", "sequence"],
            unique=False,
        )
    # Not in batch mode: on SQLite that would copy `users` into a new table and drop the old
    # one, and the drop cascades (ON DELETE CASCADE) to every asset and transaction. SQLite
    # 3.35+ drops a column in place.
    op.drop_column("users", "last_entry_number")
