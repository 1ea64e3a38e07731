"""Sessions end after SESSION_MAX_AGE_DAYS however often they are used, and rows that can no
longer be used are purged (at sign-in, and by `portfolio-tracker purge-sessions`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from portfolio_tracker.cli import app as cli
from portfolio_tracker.db.models import UserSession
from portfolio_tracker.settings import get_settings


def now() -> datetime:
    return datetime.now(UTC)


def session_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(UserSession)) or 0)


def sign_up(open_client: Callable[..., Any], app: FastAPI, email: str, password: str) -> Any:
    client = open_client(app)
    response = client.post("/api/auth/signup", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return client, response.json()["token"]


def test_a_session_used_every_day_still_ends_at_its_absolute_lifetime(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., Any],
    set_session_times: Callable[..., None],
    password: str,
) -> None:
    app = build_app(session_max_age_days=30, session_ttl_days=7)
    client, token = sign_up(open_client, app, "daily@example.com", password)
    bearer = {"Authorization": f"Bearer {token}"}
    # Used yesterday, so idle expiry is days away; but it was opened 31 days ago.
    set_session_times(
        token,
        created_at=now() - timedelta(days=31),
        refreshed_at=now() - timedelta(days=1),
        expires_at=now() + timedelta(days=6),
    )
    assert client.get("/api/auth/session", headers=bearer).status_code == 401


def test_extending_a_session_never_passes_its_absolute_lifetime(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., Any],
    set_session_times: Callable[..., None],
    password: str,
) -> None:
    app = build_app(session_max_age_days=30, session_ttl_days=7, session_refresh_after_seconds=0)
    client, token = sign_up(open_client, app, "extend@example.com", password)
    opened = now() - timedelta(days=28)
    set_session_times(token, created_at=opened, refreshed_at=opened)
    answer = client.get("/api/auth/session", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    expires = datetime.fromisoformat(answer.json()["expires_at"].replace("Z", "+00:00"))
    assert expires <= opened + timedelta(days=30, seconds=1)


def test_sign_in_purges_the_users_dead_sessions(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., Any],
    set_session_times: Callable[..., None],
    engine: Engine,
    password: str,
) -> None:
    app = build_app()
    client, token = sign_up(open_client, app, "purge@example.com", password)
    set_session_times(token, expires_at=now() - timedelta(minutes=1))
    assert session_count(engine) == 1
    signed_in = client.post(
        "/api/auth/signin", json={"email": "purge@example.com", "password": password}
    )
    assert signed_in.status_code == 200
    assert session_count(engine) == 1  # the dead one gone, the new one there


def test_the_purge_sessions_command_deletes_every_dead_session(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., Any],
    set_session_times: Callable[..., None],
    engine: Engine,
    password: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = build_app()
    _, idle = sign_up(open_client, app, "idle@example.com", password)
    _, old = sign_up(open_client, app, "old@example.com", password)
    sign_up(open_client, app, "alive@example.com", password)
    set_session_times(idle, expires_at=now() - timedelta(seconds=1))
    set_session_times(old, created_at=now() - timedelta(days=400))
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["purge-sessions"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "purged 2 sessions" in result.output
    assert session_count(engine) == 1
