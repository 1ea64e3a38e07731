"""The scale-out check (`python -m bench.scaleout`) in short: three app processes and a
worker on one PostgreSQL and Redis, a few seconds of mixed load from a dozen users; no 5xx,
no lost or duplicated transaction, the sign-in limit counted across processes. No timing is
asserted (the machine may be busy); the numbers come from the 60 s run."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.scaleout import Config, run, table

pytestmark = pytest.mark.postgres


def test_three_processes_under_load_lose_nothing_and_share_limits(
    postgres_server: object, redis_url: str, tmp_path: Path
) -> None:
    config = Config(
        postgres_url=postgres_server.admin.url.render_as_string(hide_password=False),  # type: ignore[attr-defined]
        redis_url=redis_url,
        seconds=12,
        users=12,
        clients=1,
        log_dir=tmp_path,
    )
    report = run(config)
    summary = table(report)
    assert report.ok, summary
    names = [check.name for check in report.checks]
    assert names == [
        "no 5xx, every request answered",
        "sign-in limit across processes",
        "acknowledged transactions stored exactly once",
        "unacknowledged transactions not stored",
        "holdings add up",
        "sells beyond the holding refused (422)",
    ]
    kinds = {sample.kind for sample in report.samples}
    assert kinds == {"read", "write"}
    assert report.server_errors == 0
