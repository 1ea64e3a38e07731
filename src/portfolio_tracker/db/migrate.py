"""Run Alembic migrations from code (CLI, tests), and tell whether a database is ready.

`upgrade` is the only code that creates a database: an SQLite file (and its folder) comes
into being here, never as a side effect of serving a request.
"""

from __future__ import annotations

import os
import sqlite3
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from portfolio_tracker.db.session import sqlite_path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # The engine travels as an attribute: a URL in the ini would need %-escaping of passwords.
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, creating the SQLite file (and folder) if missing."""
    path = sqlite_path(engine.url)
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        sqlite3.connect(path).close()
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration this code ships."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def _sqlite_file_problem(path: Path) -> str | None:
    unusable = f"the database file {path} or its folder is not readable and writable"
    try:
        path.stat()
    except FileNotFoundError:
        return f"the database file {path} does not exist (`portfolio-tracker migrate` creates it)"
    except OSError:  # e.g. a folder we may not enter
        return unusable
    folder = path.parent
    # SQLite writes its -wal/-shm files beside the database: the folder must be usable too.
    if not os.access(folder, os.R_OK | os.W_OK | os.X_OK) or not os.access(path, os.R_OK | os.W_OK):
        return unusable
    return None


def database_problem(engine: Engine) -> str | None:
    """None when the database answers and its schema is the latest; else one sentence
    saying what is wrong (missing file, unreachable, not migrated). Blocks for at most the
    engine's connect and statement timeouts."""
    path = sqlite_path(engine.url)
    if path is not None:
        problem = _sqlite_file_problem(path)
        if problem is not None:
            return problem
    try:
        with engine.connect() as connection:
            has_versions = engine.dialect.has_table(connection, "alembic_version")
            current = (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if has_versions
                else None
            )
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        return f"the database is unreachable ({type(cause).__name__})"
    if current is None:
        return "the database has no schema yet (run `portfolio-tracker migrate`)"
    if current != head_revision():
        return (
            f"the database schema is at {current}, this version needs {head_revision()} "
            "(run `portfolio-tracker migrate`)"
        )
    return None
