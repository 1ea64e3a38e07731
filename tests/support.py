"""Helpers shared by the tests (importable as `support`; conftest modules are not)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from portfolio_tracker.db.models import Base, DataVersion
from portfolio_tracker.serving import server_options
from portfolio_tracker.settings import Settings

PASSWORD = "a perfectly fine passphrase"
IN_CI = os.environ.get("CI", "").lower() == "true"


def unavailable(what: str) -> None:
    """Skip locally; fail under CI, where every service must be exercised for real."""
    if IN_CI:
        pytest.fail(f"{what} (CI=true: this must run, not skip)")
    pytest.skip(what)


def make_settings(engine: Engine, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": engine.url.render_as_string(hide_password=False),
        "redis_url": None,
        "auth_rate_limit": "10000/minute",
        "auth_email_rate_limit": "10000/minute",
        "auth_signup_rate_limit": "10000/minute",
        "trusted_origins": [],
        "cookie_secure": False,
        # Tests never reach the internet: no background history download on asset creation.
        "price_backfill_on_create": False,
        # No scheduler thread in test apps: the jobs tests run jobs themselves.
        "jobs_in_app": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass
class ApiUser:
    """A signed-up user whose requests carry `Authorization: Bearer <token>`."""

    client: TestClient
    token: str
    id: str
    email: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.client.get(url, headers=self.headers, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.client.post(url, headers=self.headers, **kwargs)

    def put(self, url: str, **kwargs: Any) -> Any:
        return self.client.put(url, headers=self.headers, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.client.delete(url, headers=self.headers, **kwargs)

    def create_asset(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Gram gold", "type": "metal", **fields}
        response = self.post("/api/assets", json=body)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    def trade(
        self, asset_id: str, kind: str, quantity: str, price: str, when: str, **fields: Any
    ) -> Any:
        body = {
            "asset_id": asset_id,
            "type": kind,
            "quantity": quantity,
            "price_per_unit": price,
            "transaction_date": when,
            **fields,
        }
        return self.post("/api/transactions", json=body)


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(text(f"SELECT COUNT(*) FROM {table.name}")).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def user_version(engine: Engine, user_id: str) -> int:
    """The user's data version (0 before any write): every write of theirs bumps it."""
    with engine.connect() as connection:
        version = connection.execute(
            select(DataVersion.version).where(DataVersion.scope == f"user:{user_id}")
        ).scalar_one_or_none()
    return version or 0


def refusals(
    count_rows: Callable[[], dict[str, int]],
    send: Callable[[Any], Any],
    values: list[Any],
    field: str,
) -> list[str]:
    """Send each value; describe every one that was not a 422 naming `field` with no write."""
    problems = []
    for value in values:
        before = count_rows()
        response = send(value)
        locations = (
            [tuple(err["loc"]) for err in response.json()["detail"]]
            if response.status_code == 422
            else []
        )
        if not any(loc and loc[-1] == field for loc in locations):
            problems.append(f"{value!r}: {response.status_code} {response.text[:200]}")
        elif count_rows() != before:
            problems.append(f"{value!r}: rows changed")
    return problems


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: FastAPI, seconds: float = 10) -> Iterator[str]:
    """Runs `app` under a real uvicorn server on a free loopback port; yields its base URL."""
    port = free_port()
    # The options `portfolio-tracker serve` uses (its HTTP protocol, the trusted proxies).
    options = {**server_options(app.state.core.settings), "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + seconds
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=seconds)
