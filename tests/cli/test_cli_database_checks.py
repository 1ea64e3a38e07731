"""Every CLI command on a missing or not-migrated database says so in one line and exits
non-zero: no traceback, and no stray database file is created. (The long-running `serve`
and `worker` say so in their log and run on, not ready, until the database is migrated.)"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from portfolio_tracker.cli import app as cli
from portfolio_tracker.settings import get_settings

COMMANDS = [
    ["create-user", "someone@example.com", "--password-stdin"],
    ["prices", "refresh"],
    ["prices", "backfill"],
    ["purge-sessions"],
    ["jobs", "runs"],
]


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run from a folder with no database, with the default DATABASE_URL (./data/...)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def one_line_error(result: object) -> str:
    output: str = result.output  # type: ignore[attr-defined]
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_missing_database_is_reported_and_not_created(
    elsewhere: Path, command: list[str]
) -> None:
    result = CliRunner().invoke(cli, command, input="a perfectly fine passphrase\n")
    assert result.exit_code == 1
    line = one_line_error(result)
    assert "does not exist" in line
    assert "portfolio-tracker migrate" in line
    assert not (elsewhere / "data").exists()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_database_without_schema_is_reported(elsewhere: Path, command: list[str]) -> None:
    (elsewhere / "data").mkdir()
    sqlite3.connect(elsewhere / "data" / "portfolio.db").close()  # an empty file
    result = CliRunner().invoke(cli, command, input="a perfectly fine passphrase\n")
    assert result.exit_code == 1
    assert "no schema" in one_line_error(result)


def test_migrate_creates_the_database_then_create_user_works(elsewhere: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert (elsewhere / "data" / "portfolio.db").exists()
    result = runner.invoke(
        cli,
        ["create-user", "someone@example.com", "--password-stdin"],
        input="a perfectly fine passphrase\n",
    )
    assert result.exit_code == 0, result.output


def test_migrate_on_an_unreachable_database_fails_in_one_line(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 1
    assert "migration failed" in one_line_error(result)
