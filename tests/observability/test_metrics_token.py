"""METRICS_TOKEN: when set, /metrics answers only a request carrying it as a bearer token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from support import make_settings

TOKEN = "s3cret-scrape-token"


@pytest.fixture
def guarded(engine: Engine) -> Iterator[TestClient]:
    app = create_app(make_settings(engine, metrics_token=TOKEN), engine)
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer"],
    ids=["none", "wrong", "basic", "longer", "shorter", "empty"],
)
def test_without_the_token_metrics_are_refused(
    guarded: TestClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    answer = guarded.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "METRICS_TOKEN" in answer.json()["detail"]
    assert "pt_http_request_duration_seconds" not in answer.text


def test_with_the_token_metrics_are_served(guarded: TestClient) -> None:
    answer = guarded.get("/metrics", headers={"Authorization": f"bearer  {TOKEN} "})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    assert "pt_http_request_duration_seconds" in answer.text


def test_without_a_token_setting_metrics_stay_open(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 200
