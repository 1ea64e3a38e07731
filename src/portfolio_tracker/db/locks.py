"""Transaction-scoped locks for rules that span rows (e.g. "the first account is admin").

PostgreSQL: ``pg_advisory_xact_lock(key)``, held until the transaction ends; a second
transaction asking for the same key waits, then (READ COMMITTED) sees what the first one
committed. SQLite has one writer at a time: a transaction that has already written holds
the database's write lock until it ends, so nothing is needed there.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

# Keys of the advisory locks (bigint, one per rule).
FIRST_USER = 0x5054_0001  # "PT" 1: deciding whether a new account is the first one


def hold_until_commit(db: Session, key: int) -> None:
    """Serialise this transaction with every other one holding ``key`` until it commits or
    rolls back. On SQLite the caller must have written in this transaction already."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(func.pg_advisory_xact_lock(key)))
