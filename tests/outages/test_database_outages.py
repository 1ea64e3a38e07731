"""A database that hangs, is down, is locked or lost its file: every request answers a fast
503 with Retry-After and a JSON detail, /healthz stays up, /readyz says not ready, and
nothing is ever written to a database that silently took the old one's place."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench.faults import FreezableProxy, closed_port, hanging_listener
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from portfolio_tracker.app import create_app
from portfolio_tracker.db.migrate import upgrade
from portfolio_tracker.db.session import build_engine, engine_for
from portfolio_tracker.settings import Settings
from support import PASSWORD, make_settings, serve_in_thread

# Short limits keep these tests fast (psycopg counts connect timeouts in whole seconds, >= 2).
FAST = {
    "db_connect_timeout_seconds": 2,
    "db_pool_timeout_seconds": 1,
    "db_statement_timeout_seconds": 1,
}
# A client-side bound that only a hang reaches: the server must answer well before it.
HANG = 15.0


def settings_for(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": None,
        "price_backfill_on_create": False,
        **FAST,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def assert_database_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    assert "database is unavailable" in response.json()["detail"]
    assert "Traceback" not in response.text


def exercise(client: TestClient | httpx.Client) -> None:
    """Sign-in, an authenticated read and a write all answer 503; /readyz too; /healthz 200."""
    sign_in = client.post("/api/auth/signin", json={"email": "a@example.com", "password": "x" * 9})
    assert_database_unavailable(sign_in)
    bearer = {"Authorization": "Bearer not-checked-the-database-is-down"}
    assert_database_unavailable(client.get("/api/assets", headers=bearer))
    assert_database_unavailable(
        client.post("/api/assets", headers=bearer, json={"name": "Gold", "type": "metal"})
    )
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert client.get("/healthz").status_code == 200


def test_a_postgresql_port_nobody_listens_on_answers_503() -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/portfolio"
    with TestClient(create_app(settings_for(url)), raise_server_exceptions=False) as client:
        exercise(client)


def test_a_hanging_postgresql_answers_503_and_healthz_stays_up() -> None:
    """Sixty requests wait on a database that never answers, holding the worker threads for
    the whole connect timeout (5 s here); liveness must answer meanwhile, and then every one
    of them a 503."""
    bearer = {"Authorization": "Bearer x"}
    with hanging_listener() as listener:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{listener.port}/portfolio"
        settings = settings_for(url, db_connect_timeout_seconds=5, db_pool_timeout_seconds=5)
        with (
            serve_in_thread(create_app(settings)) as base,
            httpx.Client(base_url=base, timeout=HANG) as client,
            ThreadPoolExecutor(max_workers=60) as pool,
        ):
            stuck = [pool.submit(client.get, "/api/assets", headers=bearer) for _ in range(60)]
            time.sleep(0.5)  # they are all waiting on the database now
            for _ in range(10):
                # Well under the connect timeout: a /healthz queued behind them would fail.
                assert client.get("/healthz", timeout=3).status_code == 200
                time.sleep(0.1)
            answers = [future.result() for future in stuck]
            exercise(client)
    for answer in answers:
        assert_database_unavailable(answer)


def test_once_a_connect_failed_api_requests_are_refused_without_waiting_on_the_database(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After one connection to a hanging database failed, API requests answer 503 on the
    event loop (api.db_gate), before routing: a hundred of them open no connection of their
    own — only the gate's background trial does, one at a time — none waits the connect
    timeout, and the outage is one log line, not a hundred."""
    bearer = {"Authorization": "Bearer x"}
    with hanging_listener() as listener:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{listener.port}/portfolio"
        # A connect timeout well above what a loaded CI machine may take to answer a 503.
        settings = settings_for(url, db_connect_timeout_seconds=6, db_pool_timeout_seconds=6)
        with (
            serve_in_thread(create_app(settings)) as base,
            httpx.Client(base_url=base, timeout=HANG) as client,
            ThreadPoolExecutor(max_workers=20) as pool,
        ):
            # The first request waits the connect timeout (6 s) and opens the breaker.
            assert_database_unavailable(client.get("/api/assets", headers=bearer))
            before = listener.accepted
            caplog.clear()
            # A client bound below the connect timeout: waiting on the database would miss it.
            answers = list(
                pool.map(lambda _: client.get("/api/assets", headers=bearer, timeout=5), range(100))
            )
            # A trial lasts the connect timeout: at most two began while the hundred ran.
            assert listener.accepted - before <= 2
            assert client.get("/healthz").status_code == 200
    unavailable = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert 1 <= len(unavailable) <= 3, [r.getMessage() for r in unavailable]
    for answer in answers:
        assert_database_unavailable(answer)
        assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_database_that_comes_back_is_noticed_without_a_request_waiting(
    postgresql_engine: Engine,
) -> None:
    """A refused connect opens the breaker; when the database listens again, the gate's
    background trial closes it and requests go through, none of them waiting meanwhile."""
    port = closed_port()
    url = postgresql_engine.url.set(host="127.0.0.1", port=port)
    settings = settings_for(url.render_as_string(hide_password=False))
    email = f"{uuid.uuid4().hex}@example.com"
    body = {"email": email, "password": PASSWORD}
    with TestClient(create_app(settings)) as client:
        assert_database_unavailable(client.post("/api/auth/signup", json=body))
        proxy = FreezableProxy(postgresql_engine.url.port or 5432, listen_port=port)
        try:
            deadline = time.monotonic() + HANG
            while (answer := client.post("/api/auth/signup", json=body)).status_code == 503:
                assert time.monotonic() < deadline, "the database was never noticed back"
                time.sleep(0.05)
            assert answer.status_code == 201, answer.text
            token = answer.json()["token"]
            assets = client.get("/api/assets", headers={"Authorization": f"Bearer {token}"})
            assert assets.status_code == 200
        finally:
            proxy.close()


def test_a_statement_that_waits_too_long_on_a_lock_answers_503(engine: Engine) -> None:
    """A table locked by someone else: the statement gives up after its timeout (PostgreSQL
    statement_timeout, SQLite busy timeout) and the request answers 503."""
    settings = make_settings(engine, **FAST)
    app_engine = engine_for(settings)
    try:
        with TestClient(create_app(settings, app_engine)) as client:
            assert (
                client.post(
                    "/api/auth/signup", json={"email": "lock@example.com", "password": PASSWORD}
                ).status_code
                == 201
            )
            with engine.connect() as blocker:
                if engine.dialect.name == "postgresql":
                    blocker.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
                else:
                    blocker.exec_driver_sql("BEGIN IMMEDIATE")
                    blocker.execute(text("UPDATE users SET name = 'locked'"))
                response = client.post(
                    "/api/auth/signup", json={"email": "second@example.com", "password": PASSWORD}
                )
                blocker.rollback()
            assert_database_unavailable(response)
            assert client.get("/readyz").status_code == 200
    finally:
        app_engine.dispose()


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "data" / "portfolio.db"
    migration_engine = build_engine(f"sqlite:///{path}")
    upgrade(migration_engine)
    migration_engine.dispose()
    yield path


def test_serving_a_missing_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "data" / "portfolio.db"
    with TestClient(create_app(settings_for(f"sqlite:///{path}"))) as client:
        assert_database_unavailable(
            client.post("/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD})
        )
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
    assert not path.exists()
    assert not path.parent.exists()


def test_a_sqlite_file_removed_while_serving_is_an_error_not_a_new_database(
    sqlite_file: Path,
) -> None:
    with TestClient(create_app(settings_for(f"sqlite:///{sqlite_file}"))) as client:
        signed_up = client.post(
            "/api/auth/signup", json={"email": "a@example.com", "password": PASSWORD}
        )
        assert signed_up.status_code == 201
        bearer = {"Authorization": f"Bearer {signed_up.json()['token']}"}
        assert (
            client.post(
                "/api/assets", headers=bearer, json={"name": "Gold", "type": "metal"}
            ).status_code
            == 201
        )
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        for _ in range(6):  # the pooled connections still hold the deleted file open
            assert_database_unavailable(
                client.post("/api/assets", headers=bearer, json={"name": "Gold", "type": "metal"})
            )
        assert client.get("/readyz").status_code == 503
    assert not sqlite_file.exists()


def test_postgresql_gone_silent_under_pooled_connections_answers_503(
    postgresql_engine: Engine,
) -> None:
    """Connections already in the pool when the server stops answering (a stopped process,
    a black-holed network): no statement_timeout can come back, so the client cuts them."""
    url = postgresql_engine.url
    proxy = FreezableProxy(url.port or 5432)
    try:
        through_proxy = url.set(host="127.0.0.1", port=proxy.port)
        settings = settings_for(through_proxy.render_as_string(hide_password=False))
        with TestClient(create_app(settings)) as client:
            email = f"{uuid.uuid4().hex}@example.com"
            signed_up = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
            assert signed_up.status_code == 201
            bearer = {"Authorization": f"Bearer {signed_up.json()['token']}"}
            assert client.get("/api/assets", headers=bearer).status_code == 200
            proxy.freeze()
            assert_database_unavailable(client.get("/api/assets", headers=bearer))
            assert client.get("/readyz").status_code == 503
    finally:
        proxy.close()
