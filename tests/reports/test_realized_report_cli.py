"""`portfolio-tracker report realized`: the same figures as the API, as a table, CSV or
JSON; bad options exit 2; on SQLite and PostgreSQL."""

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

if TYPE_CHECKING:
    from support import ApiUser


@pytest.fixture
def cli_database(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_report_realized_table_csv_json(
    cli_database: None, make_user: Callable[..., ApiUser]
) -> None:
    alice = make_user()
    gold = alice.create_asset(name="Gold", type="metal")
    assert alice.trade(gold["id"], "buy", "10", "2000", "2024-01-02", fee="10").status_code == 201
    assert alice.trade(gold["id"], "sell", "4", "2500", "2024-06-03", fee="8").status_code == 201
    runner = CliRunner()
    base = ["report", "realized", "--year", "2024", "--user", alice.email]

    as_json = runner.invoke(cli, [*base, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == alice.get("/api/reports/realized?year=2024").json()
    # cost 4 × 2001 = 8004; proceeds 10000 - 8 = 9992
    assert json.loads(as_json.stdout)["totals"] == {
        "proceeds": "9992",
        "cost": "8004",
        "gain": "1988",
    }

    as_csv = runner.invoke(cli, [*base, "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.stdout_bytes == alice.get("/api/reports/realized?year=2024&format=csv").content

    table = runner.invoke(cli, base)
    assert table.exit_code == 0, table.output
    assert "Gold" in table.stdout and "2024-01-02" in table.stdout
    assert "Total: proceeds 9992, cost 8004, gain 1988 TRY" in table.stdout

    tr = runner.invoke(cli, [*base, "--mode", "tr"])
    assert tr.exit_code == 0, tr.output
    assert "Declared gain: 0 TRY; declare by 2025-03-31" in tr.stdout
    assert "Not covered: Gold" in tr.stdout

    empty = runner.invoke(cli, [*base[:2], "--year", "2023", "--user", alice.email])
    assert "(no sells in this year)" in empty.stdout


@pytest.mark.parametrize(
    "extra",
    [["--format", "xml"], ["--mode", "us"], ["--method", "moon"], ["--currency", "ZZZ"]],
)
def test_bad_options_exit_2(
    cli_database: None, make_user: Callable[..., ApiUser], extra: list[str]
) -> None:
    alice = make_user()
    result = CliRunner().invoke(
        cli, ["report", "realized", "--year", "2024", "--user", alice.email, *extra]
    )
    assert result.exit_code == 2, result.output


def test_unknown_user_exits_1(cli_database: None) -> None:
    result = CliRunner().invoke(
        cli, ["report", "realized", "--year", "2024", "--user", "nobody@example.com"]
    )
    assert result.exit_code == 1
