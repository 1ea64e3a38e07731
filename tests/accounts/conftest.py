"""Fixtures of the accounts tests: apps built with chosen settings, raw session rows.

The shared helpers of tests/conftest.py (`make_settings`, `row_counts`, `PASSWORD`) are
reached through pytest's plugin manager rather than `import conftest`: every conftest.py
here is a top-level module named `conftest`, so the import would depend on which one was
loaded last.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from portfolio_tracker.app import create_app
from portfolio_tracker.db.models import UserSession

SESSIONS = UserSession.__table__


@pytest.fixture(scope="session")
def shared(pytestconfig: pytest.Config) -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    module = pytestconfig.pluginmanager.get_plugin(str(path))
    assert isinstance(module, ModuleType), f"{path} is not loaded as a conftest"
    return module


@pytest.fixture
def password(shared: ModuleType) -> str:
    value: str = shared.PASSWORD
    return value


@pytest.fixture
def count_rows(shared: ModuleType, engine: Engine) -> Callable[[], dict[str, int]]:
    def count() -> dict[str, int]:
        counts: dict[str, int] = shared.row_counts(engine)
        return counts

    return count


@pytest.fixture
def build_app(shared: ModuleType, engine: Engine) -> Callable[..., FastAPI]:
    """An app on the test's database with the given settings (test defaults otherwise)."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(shared.make_settings(engine, **overrides), engine)

    return build


@pytest.fixture
def open_client() -> Iterator[Callable[..., TestClient]]:
    """A new TestClient (own cookie jar; `client=(ip, port)` picks the caller's address)."""
    clients: list[TestClient] = []

    def open_(app: FastAPI, **kwargs: Any) -> TestClient:
        test_client = TestClient(app, **kwargs)
        clients.append(test_client)
        return test_client

    yield open_
    for test_client in clients:
        test_client.close()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@pytest.fixture
def session_row(engine: Engine) -> Callable[[str], dict[str, Any] | None]:
    """The sessions row behind a raw token, or None."""

    def read(token: str) -> dict[str, Any] | None:
        with engine.connect() as connection:
            row = connection.execute(
                select(SESSIONS).where(SESSIONS.c.token_hash == token_hash(token))
            ).mappings().first()
        return dict(row) if row is not None else None

    return read


@pytest.fixture
def set_session_times(engine: Engine) -> Callable[..., None]:
    """Rewrite a session's instants directly in the database (to expire or age it)."""

    def write(token: str, **instants: datetime) -> None:
        with engine.begin() as connection:
            statement = update(UserSession).where(UserSession.token_hash == token_hash(token))
            result = connection.execute(statement.values(**instants))
            assert result.rowcount == 1

    return write
