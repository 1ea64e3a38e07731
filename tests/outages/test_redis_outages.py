"""A Redis that hangs costs one short timeout, then is left alone for the cool-down: sign-in,
the portfolio and rate limits keep working in process without waiting on it again."""

from __future__ import annotations

import time

from bench.faults import closed_port, hanging_listener
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from support import PASSWORD, make_settings


def run_requests(client: TestClient) -> None:
    email = "redis-down@example.com"
    signed_up = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD})
    assert signed_up.status_code == 201, signed_up.text
    bearer = {"Authorization": f"Bearer {signed_up.json()['token']}"}
    for _ in range(3):
        signed_in = client.post("/api/auth/signin", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 200
        assert client.get("/api/portfolio", headers=bearer).status_code == 200
    # The per-email limit (3/minute here) still holds, counted in this process.
    wrong = [
        client.post("/api/auth/signin", json={"email": email, "password": "wrong password"})
        for _ in range(4)
    ]
    assert [r.status_code for r in wrong] == [401, 401, 401, 429]
    assert int(wrong[-1].headers["retry-after"]) > 0


def test_a_hanging_redis_is_waited_on_once_then_left_alone(engine: Engine) -> None:
    with hanging_listener() as redis_server:
        settings = make_settings(
            engine,
            redis_url=f"redis://127.0.0.1:{redis_server.port}/0",
            redis_timeout_seconds=0.2,
            auth_rate_limit="3/minute",
        )
        with TestClient(create_app(settings, engine)) as client:
            run_requests(client)
        # Every Redis user shares one breaker: the first timeout opens it for all of them.
        assert redis_server.accepted == 1


def test_redis_is_tried_again_after_the_cool_down(engine: Engine) -> None:
    cooldown = 0.05
    with hanging_listener() as redis_server:
        settings = make_settings(
            engine,
            redis_url=f"redis://127.0.0.1:{redis_server.port}/0",
            redis_timeout_seconds=0.1,
            redis_cooldown_seconds=cooldown,
        )
        with TestClient(create_app(settings, engine)) as client:
            body = {"email": "again@example.com", "password": PASSWORD}
            assert client.post("/api/auth/signup", json=body).status_code == 201
            tried = redis_server.accepted
            time.sleep(cooldown * 3)
            assert client.post("/api/auth/signin", json=body).status_code == 200
            assert redis_server.accepted > tried


def test_a_closed_redis_port_is_handled_in_process(engine: Engine) -> None:
    settings = make_settings(
        engine, redis_url=f"redis://127.0.0.1:{closed_port()}/0", auth_rate_limit="3/minute"
    )
    with TestClient(create_app(settings, engine)) as client:
        run_requests(client)
