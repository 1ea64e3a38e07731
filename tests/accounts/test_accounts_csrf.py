"""CSRF: cookie-authenticated POST/PUT/DELETE must come from a trusted origin; bearer
requests are exempt; sign-in and sign-up refuse a foreign Origin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from support import ApiUser

FOREIGN = "https://evil.example"

# What a browser on some page could attach to a request.
REFUSED_SOURCES: dict[str, dict[str, str]] = {
    "foreign-origin": {"Origin": FOREIGN},
    "foreign-origin-own-referer": {"Origin": FOREIGN, "Referer": "http://testserver/page"},
    "no-origin-no-referer": {},
    "null-origin": {"Origin": "null"},
    "foreign-referer": {"Referer": FOREIGN + "/page"},
    "lookalike-referer": {"Referer": "http://testserver.evil.example/page"},
    "other-port": {"Origin": "http://testserver:8080"},
    "other-scheme": {"Origin": "https://testserver"},
}
ALLOWED_SOURCES: dict[str, dict[str, str]] = {
    "own-origin": {"Origin": "http://testserver"},
    "own-origin-trailing-slash": {"Origin": "http://testserver/"},
    "own-referer": {"Referer": "http://testserver/portfolio?tab=lots"},
    "null-origin-own-referer": {"Origin": "null", "Referer": "http://testserver/x"},
}

# The unsafe requests a cookie could carry: (method, path, body, success status).
UNSAFE = ["create-asset", "rename-asset", "delete-asset", "signout"]


def unsafe_request(
    who: ApiUser, kind: str, headers: dict[str, str], *, with_bearer: bool = False
) -> tuple[Any, Callable[[], bool]]:
    """Send one unsafe request; return the response and a check that it took effect."""
    asset = who.create_asset(name="Original")  # made by bearer, never CSRF-checked
    if with_bearer:
        headers = {**headers, **who.headers}
    client = who.client
    if kind == "create-asset":
        response = client.post(
            "/api/assets", json={"name": "New", "type": "stock"}, headers=headers
        )
        return response, lambda: "New" in [a["name"] for a in who.get("/api/assets").json()]
    if kind == "rename-asset":
        response = client.put(
            f"/api/assets/{asset['id']}", json={"name": "Renamed"}, headers=headers
        )
        return response, lambda: who.get(f"/api/assets/{asset['id']}").json()["name"] == "Renamed"
    if kind == "delete-asset":
        response = client.delete(f"/api/assets/{asset['id']}", headers=headers)
        return response, lambda: who.get(f"/api/assets/{asset['id']}").status_code == 404
    assert kind == "signout"
    response = client.post("/api/auth/signout", headers=headers)
    return response, lambda: who.get("/api/auth/session").status_code == 401


@pytest.mark.parametrize("kind", UNSAFE)
@pytest.mark.parametrize("source", REFUSED_SOURCES.values(), ids=REFUSED_SOURCES.keys())
def test_cookie_authenticated_unsafe_request_from_an_untrusted_source_is_403(
    alice: ApiUser, kind: str, source: dict[str, str]
) -> None:
    response, took_effect = unsafe_request(alice, kind, source)

    assert response.status_code == 403, response.text
    assert isinstance(response.json()["detail"], str)
    assert not took_effect()


@pytest.mark.parametrize("kind", UNSAFE)
@pytest.mark.parametrize("source", ALLOWED_SOURCES.values(), ids=ALLOWED_SOURCES.keys())
def test_cookie_authenticated_unsafe_request_from_the_own_origin_is_allowed(
    alice: ApiUser, kind: str, source: dict[str, str]
) -> None:
    response, took_effect = unsafe_request(alice, kind, source)

    assert response.status_code in (200, 201, 204), response.text
    assert took_effect()


@pytest.mark.parametrize("kind", UNSAFE)
def test_a_bearer_request_from_a_foreign_origin_is_allowed(alice: ApiUser, kind: str) -> None:
    response, took_effect = unsafe_request(alice, kind, {"Origin": FOREIGN}, with_bearer=True)

    assert response.status_code in (200, 201, 204), response.text
    assert took_effect()


def test_a_cookie_authenticated_read_from_a_foreign_origin_is_not_refused(alice: ApiUser) -> None:
    response = alice.client.get("/api/auth/session", headers={"Origin": FOREIGN})

    assert response.status_code == 200


@pytest.mark.parametrize("kind", UNSAFE)
def test_an_origin_listed_in_trusted_origins_is_allowed(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., TestClient],
    password: str,
    kind: str,
) -> None:
    app = build_app(trusted_origins=["https://app.example"])
    client = open_client(app)
    body = client.post(
        "/api/auth/signup", json={"email": "t@example.com", "password": password}
    ).json()
    user = ApiUser(client, body["token"], body["user"]["id"], body["user"]["email"])

    # trusting one more origin does not trust every origin
    refused, _ = unsafe_request(user, kind, {"Origin": FOREIGN})
    assert refused.status_code == 403

    response, took_effect = unsafe_request(user, kind, {"Origin": "https://app.example"})
    assert response.status_code in (200, 201, 204), response.text
    assert took_effect()


def test_the_own_origin_follows_the_scheme_of_the_request(
    app: FastAPI, open_client: Callable[..., TestClient], password: str
) -> None:
    client = open_client(app, base_url="https://testserver")
    assert (
        client.post(
            "/api/auth/signup", json={"email": "h@example.com", "password": password}
        ).status_code
        == 201
    )

    refused = client.post(
        "/api/assets", json={"name": "A", "type": "stock"}, headers={"Origin": "http://testserver"}
    )
    allowed = client.post(
        "/api/assets", json={"name": "A", "type": "stock"}, headers={"Origin": "https://testserver"}
    )
    assert refused.status_code == 403
    assert allowed.status_code == 201


@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/signin"])
@pytest.mark.parametrize(
    "source",
    [{"Origin": FOREIGN}, {"Referer": FOREIGN + "/login"}, {"Origin": "null"}],
    ids=["foreign-origin", "foreign-referer", "null-origin"],
)
def test_signin_and_signup_from_a_foreign_origin_are_403_and_write_nothing(
    client: TestClient,
    alice: ApiUser,
    count_rows: Callable[[], dict[str, int]],
    password: str,
    path: str,
    source: dict[str, str],
) -> None:
    email = alice.email if path.endswith("signin") else "new@example.com"
    before = count_rows()

    response = client.post(path, json={"email": email, "password": password}, headers=source)

    assert response.status_code == 403
    assert isinstance(response.json()["detail"], str)
    assert "set-cookie" not in response.headers
    assert count_rows() == before


@pytest.mark.parametrize("path", ["/api/auth/signup", "/api/auth/signin"])
@pytest.mark.parametrize(
    "source", [{"Origin": "http://testserver"}, {}], ids=["own-origin", "api-client-no-origin"]
)
def test_signin_and_signup_from_the_own_origin_or_an_api_client_are_allowed(
    client: TestClient, alice: ApiUser, password: str, path: str, source: dict[str, str]
) -> None:
    email = alice.email if path.endswith("signin") else "new@example.com"

    response = client.post(path, json={"email": email, "password": password}, headers=source)

    assert response.status_code in (200, 201), response.text


def test_a_refused_cross_origin_request_does_not_extend_the_session(
    build_app: Callable[..., FastAPI],
    open_client: Callable[..., TestClient],
    session_row: Callable[[str], dict[str, Any] | None],
    set_session_times: Callable[..., None],
    password: str,
) -> None:
    """A forged request must leave no trace, not even a refreshed session expiry."""
    client = open_client(build_app(session_refresh_after_seconds=0))
    token = client.post(
        "/api/auth/signup", json={"email": "x@example.com", "password": password}
    ).json()["token"]
    soon = datetime.now(UTC) + timedelta(hours=1)
    set_session_times(token, expires_at=soon, refreshed_at=soon - timedelta(days=7))
    before = session_row(token)

    response = client.post(
        "/api/assets", json={"name": "A", "type": "stock"}, headers={"Origin": FOREIGN}
    )

    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    assert session_row(token) == before
