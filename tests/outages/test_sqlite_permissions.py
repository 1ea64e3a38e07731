"""An SQLite folder the server may not read or write: /readyz must say not ready (the file is
there, but SQLite cannot open it or its -wal/-shm files).

Root reads everything, so as root the check runs in a forked child that drops to `nobody`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from portfolio_tracker.db.migrate import database_problem, upgrade
from portfolio_tracker.db.session import build_engine

NOBODY = 65534


def problem_as_unprivileged(engine: Engine) -> str | None:
    """`database_problem(engine)` as a user without special rights."""
    if os.geteuid() != 0:
        return database_problem(engine)
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_end)
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            try:
                found = database_problem(engine)
                answer = "READY" if found is None else found
            except Exception as exc:
                answer = f"raised {exc!r}"
            os.write(write_end, answer.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(child, 0)
    return None if answer == "READY" else answer


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder outside root's private temp tree, open to everyone to begin with."""
    folder = Path(tempfile.mkdtemp(prefix="pt-perm-", dir="/tmp"))
    folder.chmod(0o777)
    yield folder
    folder.chmod(0o700)
    shutil.rmtree(folder, ignore_errors=True)


def test_an_unreadable_database_folder_is_not_ready(shared_folder: Path) -> None:
    path = shared_folder / "portfolio.db"
    migration = build_engine(f"sqlite:///{path}")
    upgrade(migration)
    migration.dispose()
    path.chmod(0o666)

    assert problem_as_unprivileged(build_engine(f"sqlite:///{path}")) is None  # the control

    shared_folder.chmod(0o000)
    found = problem_as_unprivileged(build_engine(f"sqlite:///{path}"))
    assert found is not None
    assert "not readable and writable" in found or "does not exist" in found
