"""POST /api/auth/signup: the account, the session, and every refusal leaving no trace."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from support import ApiUser

SIGNUP = "/api/auth/signup"


def cookie_attributes(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """(value of pt_session, lower-cased attributes) of the response's session cookie."""
    (header,) = [h for h in response.headers.get_list("set-cookie") if h.startswith("pt_session=")]
    first, *rest = (part.strip() for part in header.split(";"))
    attributes = {}
    for part in rest:
        key, _, value = part.partition("=")
        attributes[key.lower()] = value.lower()
    return first.partition("=")[2], attributes


def error_locations(response: httpx.Response) -> list[list[Any]]:
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    return [error["loc"] for error in detail]


def test_signup_creates_the_user_and_a_session(
    client: TestClient, count_rows: Callable[[], dict[str, int]], password: str
) -> None:
    response = client.post(
        SIGNUP, json={"email": "new@example.com", "password": password, "name": "New Person"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"user", "token"}
    user = body["user"]
    assert set(user) == {"id", "email", "name", "created_at"}
    uuid.UUID(user["id"])
    datetime.fromisoformat(user["created_at"])
    assert (user["email"], user["name"]) == ("new@example.com", "New Person")
    assert password not in response.text
    assert count_rows()["users"] == 1
    assert count_rows()["sessions"] == 1
    me = client.get("/api/auth/session", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["user"]["id"] == user["id"]


def test_signup_sets_an_httponly_samesite_lax_cookie_holding_the_token(
    client: TestClient, password: str
) -> None:
    response = client.post(SIGNUP, json={"email": "c@example.com", "password": password})

    value, attributes = cookie_attributes(response)
    assert value == response.json()["token"]
    assert "httponly" in attributes
    assert attributes["samesite"] == "lax"
    assert attributes["path"] == "/"
    assert int(attributes["max-age"]) == 7 * 86400
    assert "secure" not in attributes  # plain http and cookie_secure off


def test_the_cookie_is_secure_when_the_setting_says_so(
    build_app: Callable[..., FastAPI], open_client: Callable[..., TestClient], password: str
) -> None:
    client = open_client(build_app(cookie_secure=True))
    response = client.post(SIGNUP, json={"email": "s@example.com", "password": password})

    assert response.status_code == 201
    assert "secure" in cookie_attributes(response)[1]


def test_the_cookie_is_secure_when_the_request_is_https(
    app: FastAPI, open_client: Callable[..., TestClient], password: str
) -> None:
    client = open_client(app, base_url="https://testserver")
    response = client.post(SIGNUP, json={"email": "s@example.com", "password": password})

    assert response.status_code == 201
    assert "secure" in cookie_attributes(response)[1]


def test_email_is_trimmed_and_lower_cased(client: TestClient, password: str) -> None:
    response = client.post(
        SIGNUP, json={"email": "  Mixed.Case@Example.COM  ", "password": password}
    )

    assert response.status_code == 201
    assert response.json()["user"]["email"] == "mixed.case@example.com"


@pytest.mark.parametrize("again", ["alice@example.com", " ALICE@Example.com "])
def test_a_duplicate_email_is_a_conflict_and_writes_nothing(
    client: TestClient,
    alice: ApiUser,
    count_rows: Callable[[], dict[str, int]],
    password: str,
    again: str,
) -> None:
    before = count_rows()
    response = client.post(SIGNUP, json={"email": again, "password": password + " 2"})

    assert response.status_code == 409
    assert isinstance(response.json()["detail"], str)
    assert "set-cookie" not in response.headers
    assert count_rows() == before


VALID = {"email": "valid@example.com", "password": "a perfectly fine passphrase"}

# (case id, body, the field the 422 must name)
REJECTED: list[tuple[str, dict[str, Any], str]] = [
    ("password-7-chars", {**VALID, "password": "x7#kQ2z"}, "password"),
    ("password-129-chars", {**VALID, "password": "k" * 129}, "password"),
    ("password-empty", {**VALID, "password": ""}, "password"),
    ("password-common", {**VALID, "password": "password123"}, "password"),
    ("password-common-any-case", {**VALID, "password": "PassWord123"}, "password"),
    ("password-not-a-string", {**VALID, "password": 12345678}, "password"),
    ("password-missing", {"email": "valid@example.com"}, "password"),
    ("email-no-at", {**VALID, "email": "not-an-email"}, "email"),
    ("email-no-domain", {**VALID, "email": "someone@"}, "email"),
    ("email-no-local-part", {**VALID, "email": "@example.com"}, "email"),
    ("email-space-inside", {**VALID, "email": "a b@example.com"}, "email"),
    ("email-empty", {**VALID, "email": ""}, "email"),
    ("email-too-long", {**VALID, "email": "a" * 320 + "@example.com"}, "email"),
    ("email-missing", {"password": VALID["password"]}, "email"),
    ("name-too-long", {**VALID, "name": "n" * 201}, "name"),
    ("unknown-field", {**VALID, "role": "admin"}, "role"),
]


@pytest.mark.parametrize(("body", "field"), [pytest.param(b, f, id=i) for i, b, f in REJECTED])
def test_invalid_signup_is_422_naming_the_field_and_writes_nothing(
    client: TestClient,
    alice: ApiUser,
    count_rows: Callable[[], dict[str, int]],
    body: dict[str, Any],
    field: str,
) -> None:
    before = count_rows()
    response = client.post(SIGNUP, json=body)

    assert response.status_code == 422, response.text
    assert ["body", field] in error_locations(response)
    assert "set-cookie" not in response.headers
    assert count_rows() == before


@pytest.mark.parametrize("password", ["k9#vQ2zL", "k" * 127 + "9"], ids=["8-chars", "128-chars"])
def test_passwords_at_the_length_bounds_are_accepted(client: TestClient, password: str) -> None:
    response = client.post(SIGNUP, json={"email": "edge@example.com", "password": password})

    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "content",
    [b'{"email": "x@example.com", "password": ', b"not json at all", b"[1, 2]", b'"text"'],
    ids=["truncated", "not-json", "array", "string"],
)
def test_a_malformed_body_is_a_4xx_json_error_and_writes_nothing(
    client: TestClient, count_rows: Callable[[], dict[str, int]], content: bytes
) -> None:
    response = client.post(SIGNUP, content=content, headers={"Content-Type": "application/json"})

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()
    assert count_rows() == {name: 0 for name in count_rows()}
