"""Backups: a consistent copy of the whole database, and restoring one.

* SQLite: the online backup API (``sqlite3.Connection.backup``), page by page, consistent
  while the app keeps writing; restore copies the file back the same way, into the live
  database, so open connections see it and nothing is half-copied.
* PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean``, when the client
  programs are installed (else ``BackupError`` says so in one line). The password travels
  in ``PGPASSWORD``, never on a command line other users can see.

Files are named ``portfolio-<UTC timestamp>.sqlite3`` / ``.pgdump``; ``prune`` deletes
those older than the kept number of days, and nothing else in the directory.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import URL, make_url

PREFIX = "portfolio-"
SUFFIXES = (".sqlite3", ".pgdump")


class BackupError(Exception):
    """A backup or restore that could not be made; the message is one line for a human."""


def backup(database_url: str, out_dir: Path, now: datetime | None = None) -> Path:
    """Write a backup of the database into ``out_dir`` (created if missing); its path."""
    url = make_url(database_url)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    backend = url.get_backend_name()
    if backend == "sqlite":
        target = out_dir / f"{PREFIX}{stamp}.sqlite3"
        _sqlite_copy(_sqlite_path(url), target)
        return target
    if backend == "postgresql":
        target = out_dir / f"{PREFIX}{stamp}.pgdump"
        partial = target.with_suffix(".partial")
        _run_pg("pg_dump", url, ["--format=custom", "--no-owner", f"--file={partial}"])
        partial.rename(target)  # a file named .pgdump is always complete
        return target
    raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")


def restore(database_url: str, file: Path) -> None:
    """Replace the database's contents with the backup in ``file``."""
    if not file.is_file():
        raise BackupError(f"no such backup file: {file}")
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        _check_sqlite_backup(file)
        _sqlite_copy(file, _sqlite_path(url))
    elif backend == "postgresql":
        _run_pg(
            "pg_restore",
            url,
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(file)],
        )
    else:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")


def prune(out_dir: Path, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Delete this app's backups in ``out_dir`` older than ``keep_days``; the deleted paths."""
    if not out_dir.is_dir():
        return []
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    deleted = []
    for path in sorted(out_dir.iterdir()):
        if not (path.name.startswith(PREFIX) and path.suffix in SUFFIXES and path.is_file()):
            continue
        if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
            path.unlink()
            deleted.append(path)
    return deleted


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Online backup from ``source`` into ``target`` (pages copied under SQLite's locks)."""
    if not source.is_file():
        raise BackupError(f"no such SQLite database: {source}")
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup from {source} to {target} failed: {exc}") from exc
    finally:
        src.close()


def _check_sqlite_backup(file: Path) -> None:
    """A restore starts only from an intact SQLite file of this app (it has migrations)."""
    try:
        connection = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        try:
            (status,) = connection.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{file} is not a SQLite database: {exc}") from exc
    if status != "ok" or "alembic_version" not in tables:
        raise BackupError(f"{file} is not an intact Portfolio Tracker backup")


def _run_pg(program: str, url: URL, arguments: list[str]) -> None:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} is not installed: install the PostgreSQL client programs "
            "(e.g. apt-get install postgresql-client) matching the server's major version"
        )
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    libpq = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run(
        [executable, f"--dbname={libpq}", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BackupError(f"{program} failed (exit {result.returncode}): {last}")
