"""The operations commands: backup and restore through the CLI, jobs run and jobs runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from portfolio_tracker.cli import app as cli
from portfolio_tracker.settings import get_settings

PASSWORD = "a perfectly fine passphrase"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'ops.db'}")
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "kept"))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    yield runner
    get_settings.cache_clear()


def emails() -> list[str]:
    engine = create_engine(get_settings().database_url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(text("SELECT email FROM users ORDER BY email")))
    finally:
        engine.dispose()


def test_backup_then_restore_brings_back_a_deleted_user(runner: CliRunner, tmp_path: Path) -> None:
    made = runner.invoke(cli, ["create-user", "a@example.com", "--password-stdin"], PASSWORD)
    assert made.exit_code == 0, made.output
    result = runner.invoke(cli, ["backup", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (file,) = (tmp_path / "out").iterdir()
    assert str(file) in result.output

    engine = create_engine(get_settings().database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM users"))
    engine.dispose()
    assert emails() == []

    restored = runner.invoke(cli, ["restore", str(file), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert emails() == ["a@example.com"]
    missing = runner.invoke(cli, ["restore", str(tmp_path / "nope.sqlite3"), "--yes"])
    assert missing.exit_code == 1 and "no such backup file" in missing.output


def test_jobs_run_records_a_run_that_jobs_runs_lists(runner: CliRunner, tmp_path: Path) -> None:
    ran = runner.invoke(cli, ["jobs", "run", "backup"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith("backup: succeeded: wrote portfolio-")
    assert len(list((tmp_path / "kept").iterdir())) == 1

    listed = runner.invoke(cli, ["jobs", "runs"])
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()[:2]
    assert header.split()[:5] == ["JOB", "SLOT", "STARTED", "SECONDS", "OUTCOME"]
    assert row.split()[0] == "backup" and "succeeded" in row

    unknown = runner.invoke(cli, ["jobs", "run", "nope"])
    assert unknown.exit_code == 2 and "refresh-prices" in unknown.output
