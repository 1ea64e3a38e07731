"""Backups on SQLite and PostgreSQL: backup → wipe → restore finds every user's holdings and
transactions as they were; old backups pruned; clear errors."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from portfolio_tracker.app import create_app
from portfolio_tracker.backups.service import BackupError, backup, prune, restore
from portfolio_tracker.db.models import Base
from portfolio_tracker.settings import Settings
from support import ApiUser, row_counts

TABLES = ("users", "assets", "transactions", "manual_prices", "user_settings")


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def wipe(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(map(str, row)) for row in connection.execute(text(f"SELECT * FROM {name}"))),
            )
            for name in TABLES
        }


def views(settings: Settings, engine: Engine, users: list[ApiUser]) -> dict[str, Any]:
    """What each user sees, through a fresh app (no cache carried over)."""
    seen = {}
    with TestClient(create_app(settings, engine)) as client:
        for user in users:
            get: Callable[[str], Any] = lambda path, u=user: client.get(path, headers=u.headers)  # noqa: E731
            seen[user.email] = {
                path: get(path).json()
                for path in ("/api/assets", "/api/transactions", "/api/portfolio")
            }
            for asset in seen[user.email]["/api/assets"]:
                seen[user.email][asset["id"]] = get(f"/api/assets/{asset['id']}/lots").json()
    return seen


def test_backup_wipe_restore_loses_nothing(
    engine: Engine,
    settings: Settings,
    make_user: Callable[..., ApiUser],
    tmp_path: Path,
) -> None:
    users = [make_user() for _ in range(3)]
    for n, user in enumerate(users):
        asset = user.create_asset(name=f"Gold {n}", type="metal", unit="gram", currency="TRY")
        for day, kind, quantity in (("2024-01-02", "buy", "5"), ("2024-02-03", "sell", "1.25")):
            response = user.trade(asset["id"], kind, quantity, f"{1000 + n}.5", day, fee="1.1")
            assert response.status_code == 201, response.text
        user.post(
            "/api/prices/manual",
            json={"asset_id": asset["id"], "date": "2024-03-01", "price": "1234.5678"},
        )
    # Reads write the stored portfolio state back (a cache of the transactions): read first.
    before_views = views(settings, engine, users)
    before_rows = table_rows(engine)
    assert all(before_rows[name] for name in ("users", "assets", "transactions"))

    path = backup(url_of(engine), tmp_path / "backups")
    wipe(engine)
    assert not any(row_counts(engine).values())
    restore(url_of(engine), path)

    assert table_rows(engine) == before_rows
    assert views(settings, engine, users) == before_views


def test_prune_deletes_only_old_backups(tmp_path: Path) -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    old = tmp_path / "portfolio-20260301T000000Z.sqlite3"
    recent = tmp_path / "portfolio-20260309T000000Z.pgdump"
    other = tmp_path / "notes.txt"
    for path, age in ((old, 9), (recent, 1), (other, 30)):
        path.write_text("x")
        stamp = (now - timedelta(days=age)).timestamp()
        os.utime(path, (stamp, stamp))

    assert prune(tmp_path, keep_days=7, now=now) == [old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([recent.name, other.name])


def test_missing_pg_dump_is_a_one_line_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL client programs on it
    with pytest.raises(BackupError, match=r"^pg_dump is not installed: [^\n]+$"):
        backup("postgresql+psycopg://u:secret@127.0.0.1:5432/db", tmp_path)


def test_restoring_a_file_that_is_no_backup_changes_nothing(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    bogus = tmp_path / "portfolio-x.sqlite3"
    bogus.write_text("not a database")
    with pytest.raises(BackupError):
        restore(url_of(sqlite_engine), bogus)
    with pytest.raises(BackupError, match="no such backup file"):
        restore(url_of(sqlite_engine), tmp_path / "missing.sqlite3")
