"""An SQLite folder the server may not read or write: /readyz must say not ready (the file is
there, but SQLite cannot open it or its -wal/-shm files).

Root reads everything, so as root the check runs in a forked child that drops to `nobody`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from portfolio_tracker.db.migrate import database_problem, upgrade
from portfolio_tracker.db.session import build_engine
from support import PASSWORD, make_settings

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


def api_statuses_as_unprivileged(path: Path) -> dict[str, int]:
    """Sign-up, an authenticated read and /readyz through the real app, served by a user
    without special rights (a forked child that drops to `nobody` when we are root)."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_end)
            if os.geteuid() == 0:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            try:
                answer = json.dumps(_api_statuses(path))
            except Exception as exc:
                answer = json.dumps({"raised": repr(exc)})
            os.write(write_end, answer.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read().decode()
    os.waitpid(child, 0)
    found: dict[str, int] = json.loads(answer)
    return found


def _api_statuses(path: Path) -> dict[str, int]:
    engine = build_engine(f"sqlite:///{path}")
    with TestClient(
        create_app(make_settings(engine), engine), raise_server_exceptions=False
    ) as client:
        body = {"email": "someone@example.com", "password": PASSWORD}
        statuses = {"signup": client.post("/api/auth/signup", json=body).status_code}
        bearer = {"Authorization": "Bearer not-a-token"}
        statuses["assets"] = client.get("/api/assets", headers=bearer).status_code
        statuses["readyz"] = client.get("/readyz").status_code
        statuses["healthz"] = client.get("/healthz").status_code
        return statuses


@pytest.mark.parametrize("locked", ["folder", "file"])
def test_an_unreadable_or_read_only_database_answers_503_not_500(
    shared_folder: Path, locked: str
) -> None:
    """The API says the database is unavailable (503), never 500, and readiness agrees. A
    read-only file still answers reads (here: the bearer token is unknown, 401)."""
    path = shared_folder / "portfolio.db"
    migration = build_engine(f"sqlite:///{path}")
    upgrade(migration)
    migration.dispose()
    path.chmod(0o666)
    if locked == "folder":
        shared_folder.chmod(0o000)
    else:
        path.chmod(0o444)  # the folder stays writable: SQLite can make its -wal, not write

    statuses = api_statuses_as_unprivileged(path)

    read = 503 if locked == "folder" else 401
    assert statuses == {"signup": 503, "assets": read, "readyz": 503, "healthz": 200}, statuses
