"""Data version counters: what cached portfolio figures are keyed by.

Every write that changes a user's figures bumps that user's counter inside the same
database transaction (so a rolled-back write bumps nothing); every stored price or rate
bumps the global 'prices' counter. A cache entry made under older counters is never served,
whichever app process made it.
"""

from __future__ import annotations

import time
import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import DataVersion

PRICES_SCOPE = "prices"


def user_scope(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def bump(db: Session, scope: str) -> None:
    """Move the counter past both its last value and the current time in microseconds.

    Counting from the clock means a database restored from an older backup never hands out
    a version that an existing cache entry was made under for different data.
    """
    postgres = db.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert
    now = time.time_ns() // 1000
    larger = func.greatest if postgres else func.max  # SQLite's scalar max() of two values
    statement = insert(DataVersion).values(scope=scope, version=now)
    db.execute(
        statement.on_conflict_do_update(
            index_elements=[DataVersion.scope],
            set_={"version": larger(DataVersion.version + 1, now)},
        )
    )


def bump_user(db: Session, user_id: uuid.UUID) -> None:
    bump(db, user_scope(user_id))


def bump_prices(db: Session) -> None:
    bump(db, PRICES_SCOPE)


def read_versions(db: Session, user_id: uuid.UUID) -> tuple[int, int]:
    """(the user's version, the prices version), in one query."""
    # dict(result) would take the Result for a mapping (it has .keys()): build it row by row.
    rows = {
        scope: version
        for scope, version in db.execute(
            select(DataVersion.scope, DataVersion.version).where(
                DataVersion.scope.in_([user_scope(user_id), PRICES_SCOPE])
            )
        )
    }
    return rows.get(user_scope(user_id), 0), rows.get(PRICES_SCOPE, 0)
