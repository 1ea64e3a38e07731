"""Request ids on every log line (and the user once known; never the token), Prometheus
metrics at /metrics labelled by route template, Sentry only with a DSN."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from portfolio_tracker.accounts.auth import CurrentUser
from portfolio_tracker.logging_setup import JsonFormatter
from support import PASSWORD, ApiUser

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler = Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_a_request_id_is_made_echoed_or_replaced(client: TestClient) -> None:
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and int(made, 16) >= 0
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == (
        "abc-123"
    )
    for bad in (b"has space", b"x" * 129, "evil\u2028line".encode(), b"a;b=c"):
        answer = client.get("/healthz", headers={"X-Request-ID": bad})
        assert answer.headers["X-Request-ID"].encode() != bad
        assert len(answer.headers["X-Request-ID"]) == 32


def test_every_line_of_a_request_names_it_and_its_user_but_no_secret(
    app: FastAPI, alice: ApiUser, log_lines: list[str]
) -> None:
    log = logging.getLogger("portfolio_tracker.test")

    def noisy(principal: CurrentUser) -> dict[str, str]:
        log.info("working for someone")
        log.warning("and again")
        return {"ok": "yes"}

    app.add_api_route("/api/test-noisy", noisy)
    response = alice.client.get(
        "/api/test-noisy", headers={**alice.headers, "X-Request-ID": "req-42"}
    )
    assert response.status_code == 200
    alice.client.post("/api/auth/signin", json={"email": alice.email, "password": PASSWORD})

    ours = [json.loads(line) for line in log_lines if '"req-42"' in line]
    assert [entry["message"] for entry in ours] == ["working for someone", "and again"]
    assert all(entry["user_id"] == alice.id for entry in ours)
    assert not [line for line in log_lines if alice.token in line or PASSWORD in line]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "no request", None, None)
    assert "request_id" not in json.loads(JsonFormatter().format(outside))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_count_requests_by_route_template_and_cache_lookups(
    alice: ApiUser, client: TestClient
) -> None:
    asset = alice.create_asset()
    route = {"method": "GET", "route": "/api/assets/{asset_id}", "status": "200"}
    before = sample("pt_http_request_duration_seconds_count", **route)
    hits = sample("pt_cache_lookups_total", cache="portfolio", result="hit")
    misses = sample("pt_cache_lookups_total", cache="portfolio", result="miss")
    for _ in range(3):
        assert alice.get(f"/api/assets/{asset['id']}").status_code == 200
    alice.get("/api/portfolio")
    alice.get("/api/portfolio")

    assert sample("pt_http_request_duration_seconds_count", **route) == before + 3
    assert sample("pt_cache_lookups_total", cache="portfolio", result="miss") == misses + 1
    assert sample("pt_cache_lookups_total", cache="portfolio", result="hit") == hits + 1
    body = client.get("/metrics")
    assert body.status_code == 200
    assert body.headers["content-type"].startswith("text/plain")
    assert 'route="/api/assets/{asset_id}"' in body.text
    assert asset["id"] not in body.text


SENTRY_PROBE = """
import sys, sentry_sdk
from portfolio_tracker.app import create_app
from portfolio_tracker.settings import Settings
dsn = sys.argv[1] or None
create_app(Settings(_env_file=None, database_url="sqlite://", sentry_dsn=dsn, jobs_in_app=False))
client = sentry_sdk.get_client()
print(client.is_active(), client.dsn)
"""


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("http://public@127.0.0.1:9/1", "True http://public@127.0.0.1:9/1"),
        ("", "False None"),
    ],
)
def test_sentry_starts_only_with_a_dsn(dsn: str, expected: str) -> None:
    # A fresh interpreter: the SDK's client and integrations are process-wide. Nothing is
    # sent (no error happens), and the DSN points at a closed loopback port anyway.
    result = subprocess.run(
        [sys.executable, "-c", SENTRY_PROBE, dsn], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_job_runs_are_timed_and_failures_counted(
    run_failing_job: Callable[[], None],
) -> None:
    failures = sample("pt_job_failures_total", job="always-fails")
    count = sample("pt_job_duration_seconds_count", job="always-fails", outcome="failed")
    run_failing_job()
    assert sample("pt_job_failures_total", job="always-fails") == failures + 1
    assert (
        sample("pt_job_duration_seconds_count", job="always-fails", outcome="failed") == count + 1
    )
