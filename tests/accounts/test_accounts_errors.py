"""Every /api/auth route answers its errors as JSON with a `detail`. The routes come from
the app itself, so a new auth route is covered without editing this file."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from support import ApiUser

PREFIX = "/api/auth"
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def auth_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every /api/auth operation, read from the OpenAPI document (which lists them all)."""
    return sorted(
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(PREFIX)
        for method in operations
    )


def assert_json_error(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert body["detail"], body


def test_the_auth_routes_are_the_six_known_ones(app: FastAPI) -> None:
    assert auth_routes(app) == [
        ("GET", "/api/auth/session"),
        ("POST", "/api/auth/password"),
        ("POST", "/api/auth/signin"),
        ("POST", "/api/auth/signout"),
        ("POST", "/api/auth/signout-all"),
        ("POST", "/api/auth/signup"),
    ]


def test_every_auth_route_answers_an_anonymous_empty_body_with_a_json_error(
    client: TestClient, app: FastAPI
) -> None:
    for method, path in auth_routes(app):
        response = client.request(method, path, json={})
        assert_json_error(response)
        assert response.status_code in (401, 422), (method, path)


def test_every_auth_route_answers_malformed_json_with_a_json_error(
    client: TestClient, app: FastAPI
) -> None:
    for method, path in auth_routes(app):
        response = client.request(
            method, path, content=b"{nope", headers={"Content-Type": "application/json"}
        )
        assert_json_error(response)


def test_every_auth_route_answers_a_foreign_origin_cookie_request_with_a_json_error(
    alice: ApiUser, app: FastAPI
) -> None:
    for method, path in auth_routes(app):
        if method == "GET":
            continue
        response = alice.client.request(
            method,
            path,
            json={"email": alice.email, "password": "x" * 12},
            headers={"Origin": "https://evil.example"},
        )
        assert response.status_code == 403, (method, path)
        assert_json_error(response)


def test_every_auth_path_answers_a_wrong_method_with_a_json_405(
    client: TestClient, app: FastAPI
) -> None:
    routes = auth_routes(app)
    for path in {path for _, path in routes}:
        allowed = {method for method, p in routes if p == path}
        for method in set(ALL_METHODS) - allowed:
            response = client.request(method, path)
            assert response.status_code == 405, (method, path)
            assert_json_error(response)


@pytest.mark.parametrize("path", ["/api/auth/nope", "/api/auth/session/extra"])
def test_an_unknown_auth_path_is_a_json_404(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert_json_error(response)


def test_a_conflict_and_an_auth_failure_are_json_errors(client: TestClient, alice: ApiUser) -> None:
    conflict = client.post(
        "/api/auth/signup", json={"email": alice.email, "password": "another fine passphrase"}
    )
    failure = client.post(
        "/api/auth/signin", json={"email": alice.email, "password": "not the passphrase"}
    )

    assert conflict.status_code == 409
    assert failure.status_code == 401
    assert_json_error(conflict)
    assert_json_error(failure)
