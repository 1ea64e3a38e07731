"""The command line: `migrate` builds the schema and `create-user` makes an account that
can sign in through the API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select
from typer.testing import CliRunner

from portfolio_tracker.app import create_app
from portfolio_tracker.cli import app as cli
from portfolio_tracker.db.models import User
from portfolio_tracker.settings import get_settings

PASSWORD = "a perfectly fine passphrase"


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file as DATABASE_URL, with the settings cache cleared around the test."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("AUTH_RATE_LIMIT", "100/minute")
    monkeypatch.setenv("JOBS_IN_APP", "false")  # no scheduler thread (and no feed calls)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def users(url: str) -> list[tuple[str, str | None]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(User.email, User.name))
            return [(email, name) for email, name in rows]
    finally:
        engine.dispose()


def migrated(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output


def test_migrate_creates_the_schema_and_can_run_twice(runner: CliRunner, database_url: str) -> None:
    migrated(runner)
    migrated(runner)

    engine = create_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"users", "sessions", "assets", "transactions", "alembic_version"} <= tables


def test_created_user_signs_in_through_the_api(runner: CliRunner, database_url: str) -> None:
    migrated(runner)

    result = runner.invoke(
        cli,
        ["create-user", "  Carol@Example.COM ", "--name", "Carol", "--password-stdin"],
        input=PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert "created user carol@example.com" in result.stdout
    assert PASSWORD not in result.output
    assert users(database_url) == [("carol@example.com", "Carol")]
    app = create_app(get_settings())
    try:
        with TestClient(app) as client:
            signin = client.post(
                "/api/auth/signin", json={"email": "carol@example.com", "password": PASSWORD}
            )
            assert signin.status_code == 200, signin.text
            assert signin.json()["user"]["name"] == "Carol"
            token = signin.json()["token"]
            me = client.get("/api/auth/session", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
            wrong = client.post(
                "/api/auth/signin", json={"email": "carol@example.com", "password": "nope nope"}
            )
            assert wrong.status_code == 401
    finally:
        app.state.core.engine.dispose()


def test_create_user_prompts_for_the_password_without_the_flag(
    runner: CliRunner, database_url: str
) -> None:
    migrated(runner)

    result = runner.invoke(
        cli, ["create-user", "dan@example.com"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )

    assert result.exit_code == 0, result.output
    assert users(database_url) == [("dan@example.com", None)]


def test_create_user_refuses_a_duplicate_email(runner: CliRunner, database_url: str) -> None:
    migrated(runner)
    first = runner.invoke(
        cli, ["create-user", "erin@example.com", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert first.exit_code == 0, first.output

    again = runner.invoke(
        cli, ["create-user", "ERIN@example.com", "--password-stdin"], input=PASSWORD + "\n"
    )

    assert again.exit_code == 1
    assert "error" in again.stderr
    assert users(database_url) == [("erin@example.com", None)]


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [
        ("frank@example.com", "short", "password"),
        ("frank@example.com", "password123", "password"),
        ("frank@example.com", "p" * 129, "password"),
        ("not-an-email", PASSWORD, "email"),
    ],
    ids=["short-password", "common-password", "long-password", "bad-email"],
)
def test_create_user_refuses_invalid_input_and_writes_nothing(
    runner: CliRunner, database_url: str, email: str, password: str, field: str
) -> None:
    migrated(runner)

    result = runner.invoke(cli, ["create-user", email, "--password-stdin"], input=password + "\n")

    assert result.exit_code == 2
    assert f"error: {field}:" in result.stderr
    assert password not in result.output
    assert users(database_url) == []
