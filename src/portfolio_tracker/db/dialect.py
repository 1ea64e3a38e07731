"""The dialect's INSERT, for ``ON CONFLICT`` clauses on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def dialect_insert(db: Session) -> Any:
    """``insert`` of the session's dialect (both spell ``on_conflict_do_*`` the same way)."""
    return pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
