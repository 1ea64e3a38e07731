"""GET /api/auth/session and the session lifecycle: lookup by cookie or bearer, expiry,
extension at most once per refresh interval, and tokens kept only as hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select, text

from portfolio_tracker.db.models import Base

if TYPE_CHECKING:
    from support import ApiUser

SESSION = "/api/auth/session"
SessionRow = Callable[[str], dict[str, Any] | None]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def parse_instant(value: str) -> datetime:
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert instant.tzinfo is not None, value
    return instant


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def writes(statements: list[str]) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [s for s in statements if s.lstrip().upper().startswith(verbs)]


def test_session_returns_the_user_and_an_expiry_seven_days_ahead(
    client: TestClient, alice: ApiUser
) -> None:
    response = client.get(SESSION, headers=bearer(alice.token))

    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == alice.id
    assert body["user"]["email"] == alice.email
    assert set(body["session"]) == {"id", "created_at", "expires_at"}
    expires_at = parse_instant(body["session"]["expires_at"])
    expected = datetime.now(UTC) + timedelta(days=7)
    assert abs(expires_at - expected) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
        {"Authorization": "Bearer " + "x" * 5000},
        {"Cookie": "pt_session=not-a-real-token"},
    ],
    ids=["none", "garbage-bearer", "empty-bearer", "basic", "huge-bearer", "garbage-cookie"],
)
def test_session_without_a_valid_token_is_401(
    client: TestClient, alice: ApiUser, headers: dict[str, str]
) -> None:
    response = client.get(SESSION, headers=headers)

    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)
    assert response.headers["www-authenticate"] == "Bearer"


def test_an_expired_session_is_refused_by_bearer_and_by_cookie(
    alice: ApiUser, set_session_times: Callable[..., None]
) -> None:
    assert alice.client.get(SESSION).status_code == 200  # cookie
    set_session_times(alice.token, expires_at=datetime.now(UTC) - timedelta(seconds=1))

    assert alice.client.get(SESSION, headers=bearer(alice.token)).status_code == 401
    assert alice.client.get(SESSION).status_code == 401


def test_the_cookie_alone_authenticates(alice: ApiUser) -> None:
    assert "authorization" not in alice.client.headers
    response = alice.client.get(SESSION)
    assert response.status_code == 200
    assert response.json()["user"]["id"] == alice.id

    alice.client.cookies.clear()
    assert alice.client.get(SESSION).status_code == 401


def test_the_bearer_token_alone_authenticates(app: FastAPI, alice: ApiUser) -> None:
    with TestClient(app) as fresh:  # no cookie jar from the sign-up
        response = fresh.get(SESSION, headers=bearer(alice.token))

    assert response.status_code == 200
    assert response.json()["user"]["id"] == alice.id


def test_a_bearer_token_wins_over_a_cookie(alice: ApiUser, bob: ApiUser) -> None:
    response = alice.client.get(SESSION, headers=bearer(bob.token))  # alice's cookie, bob's token

    assert response.json()["user"]["id"] == bob.id


def test_a_used_session_is_extended_once_the_refresh_interval_has_passed(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., TestClient],
    session_row: SessionRow,
    set_session_times: Callable[..., None],
    password: str,
) -> None:
    client = open_client(build_app(session_refresh_after_seconds=0))
    token = client.post(
        "/api/auth/signup", json={"email": "e@example.com", "password": password}
    ).json()["token"]
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    set_session_times(token, refreshed_at=two_days_ago, expires_at=two_days_ago + timedelta(days=7))

    response = client.get(SESSION)  # by cookie

    assert response.status_code == 200
    expected = datetime.now(UTC) + timedelta(days=7)
    assert abs(parse_instant(response.json()["session"]["expires_at"]) - expected) < timedelta(
        minutes=1
    )
    row = session_row(token)
    assert row is not None
    assert abs(row["expires_at"] - expected) < timedelta(minutes=1)
    assert abs(row["refreshed_at"] - datetime.now(UTC)) < timedelta(minutes=1)
    # the cookie is re-sent with a fresh max-age
    assert response.headers["set-cookie"].startswith(f"pt_session={token};")


def test_a_bearer_use_is_extended_too(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., TestClient],
    session_row: SessionRow,
    set_session_times: Callable[..., None],
    password: str,
) -> None:
    client = open_client(build_app(session_refresh_after_seconds=0))
    token = client.post(
        "/api/auth/signup", json={"email": "e@example.com", "password": password}
    ).json()["token"]
    client.cookies.clear()
    soon = datetime.now(UTC) + timedelta(hours=1)
    set_session_times(token, expires_at=soon)

    assert client.get(SESSION, headers=bearer(token)).status_code == 200
    row = session_row(token)
    assert row is not None
    assert row["expires_at"] > datetime.now(UTC) + timedelta(days=6)


def test_with_the_default_interval_a_fresh_session_use_writes_nothing(
    engine: Engine, alice: ApiUser, session_row: SessionRow
) -> None:
    before = session_row(alice.token)

    with recorded_statements(engine) as statements:
        by_bearer = alice.client.get(SESSION, headers=bearer(alice.token))
        by_cookie = alice.client.get(SESSION)

    assert by_bearer.status_code == by_cookie.status_code == 200
    assert statements, "the listener saw no queries at all"
    assert writes(statements) == []
    assert session_row(alice.token) == before
    assert "set-cookie" not in by_cookie.headers


def test_with_the_default_interval_a_day_old_session_is_extended(
    alice: ApiUser, session_row: SessionRow, set_session_times: Callable[..., None]
) -> None:
    a_day_ago = datetime.now(UTC) - timedelta(days=1, minutes=1)
    set_session_times(alice.token, refreshed_at=a_day_ago, expires_at=a_day_ago + timedelta(days=7))

    assert alice.client.get(SESSION, headers=bearer(alice.token)).status_code == 200
    row = session_row(alice.token)
    assert row is not None
    assert row["expires_at"] > datetime.now(UTC) + timedelta(days=6, hours=23)


def test_an_expired_session_is_not_revived_by_a_use(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., TestClient],
    session_row: SessionRow,
    set_session_times: Callable[..., None],
    password: str,
) -> None:
    client = open_client(build_app(session_refresh_after_seconds=0))
    token = client.post(
        "/api/auth/signup", json={"email": "e@example.com", "password": password}
    ).json()["token"]
    past = datetime.now(UTC) - timedelta(seconds=5)
    set_session_times(token, expires_at=past)

    assert client.get(SESSION, headers=bearer(token)).status_code == 401
    row = session_row(token)
    assert row is not None
    assert row["expires_at"] <= datetime.now(UTC)


def test_tokens_are_stored_only_as_their_sha256(
    engine: Engine, client: TestClient, alice: ApiUser, password: str
) -> None:
    second = client.post(
        "/api/auth/signin", json={"email": alice.email, "password": password}
    ).json()["token"]
    tokens = [alice.token, second]

    with engine.connect() as connection:
        hashes = set(connection.execute(text("SELECT token_hash FROM sessions")).scalars())
        dumped = [
            str(value)
            for table in Base.metadata.sorted_tables
            for row in connection.execute(select(table))
            for value in row
        ]
    assert hashes == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    for token in tokens:
        assert not any(token in value for value in dumped)
