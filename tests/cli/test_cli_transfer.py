"""`portfolio-tracker import` and `export` through Typer's CliRunner, on SQLite and
PostgreSQL: the same service as the API, so the files are interchangeable."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from portfolio_tracker.cli import app as cli
from portfolio_tracker.settings import get_settings
from portfolio_tracker.transactions.csv_io import COLUMNS

if TYPE_CHECKING:
    from support import ApiUser

HEADER = ",".join(COLUMNS)
GOOD = (
    f"{HEADER}\n"
    "Gold,metal,,TRY,gram,0.995,auto,buy,10,2000,1,2024-01-02,bought\n"
    "Gold,metal,,TRY,gram,0.995,auto,sell,4,2200,0,2024-02-02,\n"
)


@pytest.fixture
def cli_database(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The test's database as DATABASE_URL for the command line."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_import_then_export(
    cli_database: None,
    make_user: Callable[..., ApiUser],
    tmp_path: Path,
    count_rows: Callable[[], dict[str, int]],
) -> None:
    alice = make_user()
    source = tmp_path / "in.csv"
    source.write_text(GOOD)
    runner = CliRunner()
    before = count_rows()

    dry = runner.invoke(cli, ["import", str(source), "--email", alice.email.upper(), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would import 2 transactions" in dry.output
    assert count_rows() == before

    done = runner.invoke(cli, ["import", str(source), "--email", alice.email])
    assert done.exit_code == 0, done.output
    assert "imported 2 transactions, 1 new assets" in done.output
    [gold] = alice.get("/api/assets").json()
    assert alice.get(f"/api/assets/{gold['id']}").json()["holding"]["quantity"] == "6"

    exported = runner.invoke(cli, ["export", "--email", alice.email])
    assert exported.exit_code == 0, exported.output
    assert exported.stdout_bytes == alice.get("/api/export").content
    target = tmp_path / "out.json"
    written = runner.invoke(
        cli, ["export", "--email", alice.email, "--format", "json", "--output", str(target)]
    )
    assert written.exit_code == 0, written.output
    assert json.loads(target.read_text()) == alice.get("/api/export?format=json").json()


def test_a_refused_file_exits_1_and_writes_nothing(
    cli_database: None,
    make_user: Callable[..., ApiUser],
    tmp_path: Path,
    count_rows: Callable[[], dict[str, int]],
) -> None:
    alice = make_user()
    source = tmp_path / "bad.csv"
    source.write_text(GOOD.replace("sell,4", "sell,40"))
    before = count_rows()

    result = CliRunner().invoke(cli, ["import", str(source), "--email", alice.email])

    assert result.exit_code == 1
    assert "row 3 quantity: sell on 2024-02-02 exceeds holdings" in result.output
    assert count_rows() == before


def test_an_unknown_account_or_format_is_an_error(cli_database: None, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(GOOD)
    runner = CliRunner()
    unknown = runner.invoke(cli, ["import", str(source), "--email", "nobody@example.com"])
    assert unknown.exit_code == 1 and "no account" in unknown.output
    wrong = runner.invoke(cli, ["export", "--email", "nobody@example.com", "--format", "xml"])
    assert wrong.exit_code == 2
