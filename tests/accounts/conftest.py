"""Fixtures of the accounts tests: apps built with chosen settings, raw session rows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from portfolio_tracker.app import create_app
from portfolio_tracker.db.models import UserSession
from support import make_settings

SESSIONS = UserSession.__table__


@pytest.fixture
def build_app(engine: Engine) -> Callable[..., FastAPI]:
    """An app on the test's database with the given settings (test defaults otherwise)."""

    def build(**overrides: Any) -> FastAPI:
        return create_app(make_settings(engine, **overrides), engine)

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
            row = (
                connection.execute(
                    select(SESSIONS).where(SESSIONS.c.token_hash == token_hash(token))
                )
                .mappings()
                .first()
            )
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
