"""The client address that budgets are counted on: X-Forwarded-For counts only when it
comes from a configured proxy (FORWARDED_ALLOW_IPS), through the real server."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from support import make_settings, serve_in_thread

SIGNIN = "/api/auth/signin"


def failures_with_rotating_forwarded_for(base: str, attempts: int) -> list[int]:
    with httpx.Client(base_url=base, timeout=10) as client:
        return [
            client.post(
                SIGNIN,
                json={"email": f"guess{n}@example.com", "password": "wrong password!"},
                headers={"X-Forwarded-For": f"10.9.{n // 250}.{n % 250 + 1}"},
            ).status_code
            for n in range(attempts)
        ]


def test_a_local_client_rotating_x_forwarded_for_keeps_its_own_ip_budget(
    sqlite_engine: Engine,
) -> None:
    settings = make_settings(sqlite_engine, auth_ip_rate_limit="3/minute")
    assert settings.forwarded_allow_ips == ""  # the default trusts no proxy
    with serve_in_thread(create_app(settings, sqlite_engine)) as base:
        statuses = failures_with_rotating_forwarded_for(base, 4)
    assert statuses == [401, 401, 401, 429]


def test_behind_a_configured_proxy_each_forwarded_client_has_its_own_budget(
    sqlite_engine: Engine,
) -> None:
    settings = make_settings(
        sqlite_engine, auth_ip_rate_limit="3/minute", forwarded_allow_ips="127.0.0.1"
    )
    with serve_in_thread(create_app(settings, sqlite_engine)) as base:
        statuses = failures_with_rotating_forwarded_for(base, 4)
    assert statuses == [401, 401, 401, 401]
