"""Data version counters: what cached portfolio figures are keyed by.

Every write that changes a user's figures bumps that user's counter inside the same
database transaction (so a rolled-back write bumps nothing); every stored price or rate
bumps the global 'prices' counter. A cache entry made under older counters is never served,
whichever app process made it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from portfolio_tracker.db.models import DataVersion

PRICES_SCOPE = "prices"


def user_scope(user_id: uuid.UUID) -> str:
    return f"user:{user_id}"


def bump(db: Session, scope: str) -> None:
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(DataVersion).values(scope=scope, version=1)
    db.execute(
        statement.on_conflict_do_update(
            index_elements=[DataVersion.scope], set_={"version": DataVersion.version + 1}
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
