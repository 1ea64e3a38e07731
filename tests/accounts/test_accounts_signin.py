"""POST /api/auth/signin: a fresh session each time; one answer for every kind of miss."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient

if TYPE_CHECKING:
    from support import ApiUser

SIGNIN = "/api/auth/signin"


def test_signin_returns_the_user_and_a_new_token_each_time(
    client: TestClient,
    alice: ApiUser,
    count_rows: Callable[[], dict[str, int]],
    password: str,
) -> None:
    first = client.post(SIGNIN, json={"email": alice.email, "password": password})
    second = client.post(SIGNIN, json={"email": alice.email, "password": password})

    for response in (first, second):
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"user", "token"}
        assert body["user"]["id"] == alice.id
        assert body["user"]["email"] == alice.email
    tokens = {alice.token, first.json()["token"], second.json()["token"]}
    assert len(tokens) == 3
    assert count_rows()["sessions"] == 3
    for token in tokens:  # a sign-in adds a session; it does not replace the others
        me = client.get("/api/auth/session", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200


def test_signin_sets_the_session_cookie(client: TestClient, alice: ApiUser, password: str) -> None:
    response = client.post(SIGNIN, json={"email": alice.email, "password": password})

    (header,) = response.headers.get_list("set-cookie")
    assert header.startswith(f"pt_session={response.json()['token']};")
    assert "httponly" in header.lower()
    assert "samesite=lax" in header.lower()
    assert client.get("/api/auth/session").status_code == 200  # the cookie alone


def test_signin_cookie_is_secure_over_https(
    app: Any, alice: ApiUser, open_client: Callable[..., TestClient], password: str
) -> None:
    client = open_client(app, base_url="https://testserver")
    response = client.post(SIGNIN, json={"email": alice.email, "password": password})

    assert response.status_code == 200
    assert "secure" in [p.strip().lower() for p in response.headers["set-cookie"].split(";")]


def test_signin_email_is_matched_trimmed_and_case_insensitively(
    client: TestClient, alice: ApiUser, password: str
) -> None:
    response = client.post(SIGNIN, json={"email": "  ALICE@Example.Com ", "password": password})

    assert response.status_code == 200
    assert response.json()["user"]["id"] == alice.id


def test_wrong_password_and_unknown_email_get_the_identical_401(
    client: TestClient,
    alice: ApiUser,
    count_rows: Callable[[], dict[str, int]],
    password: str,
) -> None:
    before = count_rows()
    wrong_password = client.post(SIGNIN, json={"email": alice.email, "password": password + "!"})
    unknown_email = client.post(SIGNIN, json={"email": "nobody@example.com", "password": password})

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.content == unknown_email.content
    assert wrong_password.json() == {"detail": "Invalid email or password."}
    assert wrong_password.headers["www-authenticate"] == unknown_email.headers["www-authenticate"]
    assert "set-cookie" not in wrong_password.headers
    assert "set-cookie" not in unknown_email.headers
    assert count_rows() == before


def test_the_password_is_case_sensitive(client: TestClient, alice: ApiUser, password: str) -> None:
    response = client.post(SIGNIN, json={"email": alice.email, "password": password.upper()})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "alice@example.com"}, "password"),
        ({"password": "a perfectly fine passphrase"}, "email"),
        ({"email": "alice@example.com", "password": "p" * 129}, "password"),
        ({"email": "alice@example.com", "password": "x", "remember": True}, "remember"),
    ],
    ids=["no-password", "no-email", "password-too-long", "unknown-field"],
)
def test_a_malformed_signin_is_422_naming_the_field(
    client: TestClient,
    alice: ApiUser,
    count_rows: Callable[[], dict[str, int]],
    body: dict[str, Any],
    field: str,
) -> None:
    before = count_rows()
    response = client.post(SIGNIN, json=body)

    assert response.status_code == 422
    assert ["body", field] in [error["loc"] for error in response.json()["detail"]]
    assert count_rows() == before


def test_malformed_json_at_signin_is_a_4xx_json_error(client: TestClient) -> None:
    response = client.post(SIGNIN, content=b"{", headers={"Content-Type": "application/json"})

    assert 400 <= response.status_code < 500
    assert "detail" in response.json()
