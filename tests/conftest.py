"""Shared fixtures: a real database per backend (SQLite and PostgreSQL), the real ASGI app.

Every API test runs once per backend (`[sqlite]`, `[postgresql]`). The schema is built by
the Alembic migrations once per session; each test starts from empty tables.
PostgreSQL and Redis tests are skipped with a reason when the service is unreachable,
except under CI=true, where they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from portfolio_tracker.app import create_app
from portfolio_tracker.db.migrate import upgrade
from portfolio_tracker.db.models import Base
from portfolio_tracker.db.session import build_engine
from portfolio_tracker.settings import Settings
from support import PASSWORD, ApiUser, make_settings, row_counts, unavailable

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _postgres_admin_engine() -> Engine | None:
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        engine.dispose()
        return None
    return engine


@dataclass
class PostgresServer:
    admin: Engine

    def create_database(self, prefix: str = "pt_test") -> str:
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    admin = _postgres_admin_engine()
    if admin is None:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
        raise AssertionError("unreachable")
    yield PostgresServer(admin)
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "test.db"
    engine = build_engine(f"sqlite:///{path}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine(postgres_server: PostgresServer) -> Iterator[Engine]:
    url = postgres_server.create_database()
    engine = build_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()
    postgres_server.drop_database(url)


def _empty_tables(engine: Engine) -> None:
    tables = list(reversed(Base.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            connection.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The database of the test's backend, with empty tables."""
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    _empty_tables(engine)
    yield engine


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        unavailable(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def count_rows(engine: Engine) -> Callable[[], dict[str, int]]:
    """Row counts of every table, to prove a refused request wrote nothing."""
    return lambda: row_counts(engine)


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def settings(engine: Engine) -> Settings:
    return make_settings(engine)


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    built = create_app(settings, engine)
    yield built
    # Finish the stored-state write-backs the test's reads queued (a background thread)
    # before the next test empties the tables: else its TRUNCATE can deadlock with them.
    writer = built.state.portfolio_cache.writer
    if writer is not None:
        writer.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client with no session."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_user(app: FastAPI) -> Iterator[Callable[..., ApiUser]]:
    """Sign up a new user, each with their own client (and so their own cookie jar)."""
    clients: list[TestClient] = []

    def _make(email: str | None = None, password: str = PASSWORD) -> ApiUser:
        test_client = TestClient(app)
        clients.append(test_client)
        email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
        response = test_client.post("/api/auth/signup", json={"email": email, "password": password})
        assert response.status_code == 201, response.text
        body = response.json()
        return ApiUser(test_client, body["token"], body["user"]["id"], body["user"]["email"])

    yield _make
    for test_client in clients:
        test_client.close()


@pytest.fixture
def alice(make_user: Callable[..., ApiUser]) -> ApiUser:
    return make_user("alice@example.com")


@pytest.fixture
def bob(make_user: Callable[..., ApiUser]) -> ApiUser:
    return make_user("bob@example.com")
