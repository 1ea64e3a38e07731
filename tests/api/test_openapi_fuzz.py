"""Schemathesis over /openapi.json with a signed-in user: no input the schema allows (or
breaks) may produce a 5xx, and every response must match what the document says."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest
import schemathesis
from bench.faults import closed_port
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from portfolio_tracker.app import create_app
from portfolio_tracker.settings import Settings
from replayed_feeds import replay_feed_settings
from support import PASSWORD

if TYPE_CHECKING:
    from support import ApiUser

EXAMPLES_PER_OPERATION = 25
# Operations with business rules a schema cannot express, where schema-valid data may still
# be refused with a correct 422: a common password, a date in the future, an oversell, a
# range over 30 years or ending before it starts, a rate of a currency in itself.
# Everywhere else the document says exactly what is accepted.
BUSINESS_RULES = {
    "POST /api/auth/signup",
    "POST /api/transactions",
    "PUT /api/transactions/{transaction_id}",
    "DELETE /api/transactions/{transaction_id}",
    "POST /api/prices/manual",
    "POST /api/rates/manual",  # base and quote must differ
    "GET /api/portfolio/history",
    "POST /api/import",  # a schema-valid string is rarely a valid transactions CSV
    "POST /api/auth/password",  # the current password must be the right one
    "DELETE /api/account",  # the password must be the right one
    # the fields a price alert needs (asset, or symbol kind and symbol; direction, level)
    # and those a portfolio alert needs (move_pct) depend on its kind
    "POST /api/alerts",
    "PUT /api/alerts/{alert_id}",
    "GET /api/notifications",  # a cursor must be one the list gave (opaque)
    "PUT /api/notifications/settings",  # a webhook must be a public http(s) address
    "POST /api/indices/{name}",  # an empty series (no month) is refused
    "GET /api/reports/realized",  # Türkiye mode takes FIFO only
    # a split's ratio above 1 and a reverse split's below, not after today, no oversell
    "POST /api/assets/{asset_id}/corporate-actions",
    "POST /api/assets/{asset_id}/corporate-actions/{action_id}/confirm",
    "DELETE /api/assets/{asset_id}/corporate-actions/{action_id}",
}


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    """The app with every price feed at a loopback port nobody listens on: the fuzz never
    reaches the internet, and feed-backed operations meet a feed outage at once (a `.test`
    host would first wait on the resolver)."""
    down = f"http://127.0.0.1:{closed_port()}"
    feeds = replay_feed_settings(
        tefas_base_url=down,
        yahoo_base_url=down,
        stooq_base_url=down,
        coingecko_base_url=down,
        tcmb_base_url=down,
        ecb_base_url=down,
        feed_retry_attempts=1,
    )
    return create_app(settings, engine, feed_settings=feeds)


def no_server_error_but_an_honest_outage(
    _ctx: schemathesis.checks.CheckContext,
    response: schemathesis.Response,
    _case: schemathesis.Case,
) -> bool:
    """No 5xx, except the 503 of a dependency that is down (here the price feeds: tests
    never reach the internet), which must say so with Retry-After and a JSON detail."""
    status = response.status_code
    if status == 503:
        assert int(response.headers["retry-after"][0]) > 0, response.headers
        assert response.json()["detail"], response.text
    else:
        assert status < 500, f"server error {status}: {response.text}"
    return True


# Operations that end the user's session: fuzzed last, or every operation after them would
# only ever see 401s.
SESSION_ENDING = {"POST /api/auth/signout", "POST /api/auth/signout-all"}


def test_the_api_never_fails_and_keeps_its_contract(
    app: FastAPI, make_user: Callable[..., ApiUser]
) -> None:
    user = make_user()
    asset = user.create_asset()
    user.trade(asset["id"], "buy", "10", "2000", "2024-01-02")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    calls: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14
    assert {operation.label for operation in operations} >= SESSION_ENDING
    operations.sort(key=lambda operation: operation.label in SESSION_ENDING)
    checked_signed_in = False

    for operation in operations:
        label = operation.label
        if label in SESSION_ENDING:
            # Every operation before the first of these ran signed in (not a wall of 401s);
            # then each session-ending one starts from a fresh sign-in.
            if not checked_signed_in:
                assert user.get("/api/assets").status_code == 200, f"signed out before {label}"
                checked_signed_in = True
            signin = user.client.post(
                "/api/auth/signin", json={"email": user.email, "password": PASSWORD}
            )
            assert signin.status_code == 200, signin.text
            user.token = signin.json()["token"]

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def exercise(case: schemathesis.Case) -> None:
            calls.append(label)  # noqa: B023 - runs before the loop moves on
            excluded = (
                [schemathesis.checks.positive_data_acceptance]
                if label in BUSINESS_RULES  # noqa: B023
                else []
            )
            case.call_and_validate(
                headers=user.headers,
                excluded_checks=[*excluded, schemathesis.checks.not_a_server_error],
                additional_checks=[no_server_error_but_an_honest_outage],
            )

        try:
            exercise()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
    assert set(calls) == {operation.label for operation in operations}
    assert len(calls) >= 10 * len(operations)
